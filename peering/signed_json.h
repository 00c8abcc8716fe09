#pragma once
// The strict reading of a signed answer's JSON object, shared by
// peering/status_document.cpp and peering/confirm_document.cpp (internal to
// the peering library, which alone links nlohmann's JSON): a top-level
// object whose members appear once each, and typed members read or
// refused with a reason.
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace checker::peerd {

// TEXT as a JSON object with no member repeated, or an Error saying why not.
Result<nlohmann::json> parseSignedObject(std::string_view text);

// OBJECT's member NAME as a string, integer (int64) or boolean; or an Error
// naming the member.
Result<std::string> stringMember(const nlohmann::json& object, const char* name);
Result<int64_t> integerMember(const nlohmann::json& object, const char* name);
Result<bool> boolMember(const nlohmann::json& object, const char* name);

}  // namespace checker::peerd
