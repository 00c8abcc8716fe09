#include "common/json_text.h"

#include <algorithm>

namespace checker {
namespace {

using Keys = std::initializer_list<std::string_view>;

std::string scalar(const Json& value) { return value.dump(-1, ' ', false, Json::error_handler_t::replace); }

void write(const Json& value, Keys onePerLine, bool lines, std::string& out) {
  if (value.is_object()) {
    out += '{';
    bool first = true;
    for (const auto& [key, member] : value.items()) {
      out += first ? "" : ", ";
      first = false;
      out += scalar(Json(key)) + ": ";
      write(member, onePerLine, std::find(onePerLine.begin(), onePerLine.end(), key) != onePerLine.end(), out);
    }
    out += '}';
  } else if (value.is_array()) {
    out += '[';
    for (size_t i = 0; i < value.size(); ++i) {
      out += lines ? (i ? ",\n  " : "\n  ") : (i ? ", " : "");
      write(value[i], onePerLine, false, out);
    }
    out += lines ? "\n]" : "]";
  } else {
    out += scalar(value);
  }
}

}  // namespace

std::string jsonText(const Json& value, Keys onePerLine) {
  std::string out;
  write(value, onePerLine, false, out);
  return out;
}

}  // namespace checker
