#include "common/sys_error.h"

#include <cstring>

namespace checker {

std::string describeErrno(std::string_view call, std::string_view argument, int err) {
  std::string text(call);
  text += '(';
  text += argument;
  text += "): ";
  text += std::strerror(err);
  return text;
}

SysError::SysError(std::string_view call, std::string_view argument, int err)
    : std::runtime_error(describeErrno(call, argument, err)), code_(err) {}

}  // namespace checker
