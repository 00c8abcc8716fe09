// checker hash-password [--new-token]: the line for `[peerd] page_password`
// (common/password_hash.h). The password is read from stdin: on a terminal
// asked twice without echo, else the whole input less one final newline.
// --new-token makes a random token instead (for scripts and for Bearer),
// printed once on its own line: checker keeps only its hash.
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <iterator>
#include <optional>
#include <string>

#include "cli/commands.h"
#include "common/password_hash.h"

namespace checker::cli {
namespace {

constexpr size_t kMaxPasswordBytes = 4096;

// One line from the terminal on stdin, not echoed; nullopt at end of input.
std::optional<std::string> askQuietly(const char* prompt) {
  std::fprintf(stderr, "%s", prompt);
  termios saved{};
  bool quiet = ::tcgetattr(STDIN_FILENO, &saved) == 0;
  if (quiet) {
    termios noEcho = saved;
    noEcho.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &noEcho);
  }
  std::string line;
  bool got = static_cast<bool>(std::getline(std::cin, line));
  if (quiet) ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
  std::fprintf(stderr, "\n");
  if (!got) return std::nullopt;
  return line;
}

Result<std::string> readPassword() {
  if (::isatty(STDIN_FILENO)) {
    std::optional<std::string> first = askQuietly("Password: ");
    std::optional<std::string> again = first ? askQuietly("Again: ") : std::nullopt;
    if (!first || !again) return Error{"no password given"};
    if (*first != *again) return Error{"the two passwords differ"};
    return *first;
  }
  std::string all((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  if (!all.empty() && all.back() == '\n') all.pop_back();
  if (!all.empty() && all.back() == '\r') all.pop_back();
  return all;
}

}  // namespace

int hashPasswordCommand(const CommonOptions& options) {
  bool token = options.rest.size() == 1 && options.rest[0] == "--new-token";
  if (!options.rest.empty() && !token) {
    std::fprintf(stderr, "usage: checker hash-password [--new-token]\n");
    return kExitUsage;
  }
  std::string secret;
  if (token) {
    Result<std::string> fresh = newRandomToken();
    if (!fresh) {
      std::fprintf(stderr, "checker hash-password: %s\n", fresh.error().c_str());
      return kExitTemporary;
    }
    secret = std::move(*fresh);
  } else {
    Result<std::string> password = readPassword();
    if (!password) {
      std::fprintf(stderr, "checker hash-password: %s\n", password.error().c_str());
      return kExitUsage;
    }
    if (password->empty() || password->size() > kMaxPasswordBytes) {
      std::fprintf(stderr, "checker hash-password: the password must be 1 to %zu bytes\n", kMaxPasswordBytes);
      return kExitUsage;
    }
    secret = std::move(*password);
  }
  Result<PasswordHash> hash = hashPassword(secret);
  if (!hash) {
    std::fprintf(stderr, "checker hash-password: %s\n", hash.error().c_str());
    return kExitTemporary;
  }
  if (token) std::printf("token: %s\n", secret.c_str());
  std::printf("page_password = %s\n", formatPasswordHash(*hash).c_str());
  return kExitOk;
}

}  // namespace checker::cli
