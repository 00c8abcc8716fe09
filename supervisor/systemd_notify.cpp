#include "supervisor/systemd_notify.h"
#include "common/unique_fd.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>

namespace checker {
namespace {

std::string takeEnv(const char* name) {
  const char* value = std::getenv(name);
  std::string out = value != nullptr ? value : "";
  ::unsetenv(name);
  return out;
}

// STATUS is one line: systemd shows it as is.
std::string oneLine(const std::string& text) {
  std::string out = text.substr(0, text.find('\n'));
  return out;
}

}  // namespace

SystemdNotifier::SystemdNotifier(std::string socket, uint64_t watchdogUsec)
    : socket_(std::move(socket)), watchdogUsec_(watchdogUsec) {}

SystemdNotifier SystemdNotifier::fromEnvironment() {
  std::string socket = takeEnv("NOTIFY_SOCKET");
  std::string usec = takeEnv("WATCHDOG_USEC");
  std::string pid = takeEnv("WATCHDOG_PID");
  uint64_t watchdog = 0;
  // The watchdog is ours only if WATCHDOG_PID is unset or names us.
  if (!usec.empty() && (pid.empty() || std::strtol(pid.c_str(), nullptr, 10) == ::getpid())) {
    watchdog = std::strtoull(usec.c_str(), nullptr, 10);
  }
  // Only a path or an abstract name is a socket systemd gave us.
  if (socket.empty() || (socket[0] != '/' && socket[0] != '@')) socket.clear();
  return SystemdNotifier(socket, socket.empty() ? 0 : watchdog);
}

bool SystemdNotifier::send(const std::string& message) {
  if (socket_.empty()) return true;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (socket_.size() >= sizeof address.sun_path) {
    errno = ENAMETOOLONG;
    return false;
  }
  std::memcpy(address.sun_path, socket_.data(), socket_.size());
  if (socket_[0] == '@') address.sun_path[0] = '\0';  // the abstract namespace
  socklen_t length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_.size());
  UniqueFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return false;
  ssize_t sent = ::sendto(fd.get(), message.data(), message.size(), MSG_NOSIGNAL,
                          reinterpret_cast<sockaddr*>(&address), length);
  int saved = errno;
  fd.reset();
  errno = saved;  // for the caller's log line
  return sent == static_cast<ssize_t>(message.size());
}

bool SystemdNotifier::ready(const std::string& text) { return send("READY=1\nSTATUS=" + oneLine(text) + "\n"); }
bool SystemdNotifier::watchdog() { return send("WATCHDOG=1\n"); }
bool SystemdNotifier::stopping(const std::string& text) { return send("STOPPING=1\nSTATUS=" + oneLine(text) + "\n"); }
bool SystemdNotifier::status(const std::string& text) { return send("STATUS=" + oneLine(text) + "\n"); }

}  // namespace checker
