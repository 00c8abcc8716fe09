#pragma once
// How every channel payload is written (internal to channels/): keys in
// the order they were set, so the bodies read as docs/channels.md shows
// them, and a string that is not valid UTF-8 (text should have been
// cleaned where it entered) gets U+FFFD for its bad bytes instead of
// nlohmann::json throwing.
#include <string>

#include <nlohmann/json.hpp>

namespace checker::channels {

using PayloadJson = nlohmann::ordered_json;

inline std::string payloadText(const PayloadJson& value) {
  return value.dump(-1, ' ', false, PayloadJson::error_handler_t::replace);
}

}  // namespace checker::channels
