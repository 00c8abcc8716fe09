#pragma once
// Errors from system calls, worded as `call(argument): strerror`, e.g.
// "open(/var/lib/checker): Permission denied".
#include <stdexcept>
#include <string>
#include <string_view>

namespace checker {

class SysError : public std::runtime_error {
 public:
  SysError(std::string_view call, std::string_view argument, int err);
  int code() const noexcept { return code_; }

 private:
  int code_;
};

// Formats `call(argument): strerror(err)` without throwing.
std::string describeErrno(std::string_view call, std::string_view argument, int err);

}  // namespace checker
