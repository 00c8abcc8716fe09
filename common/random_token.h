#pragma once
// A fresh random token in hex (self-check probes, Message-IDs): unique, not
// secret. From getrandom(2); if the kernel refuses, the clock keeps it unique.
#include <cstddef>
#include <string>

namespace checker {

std::string randomHex(size_t bytes);

}  // namespace checker
