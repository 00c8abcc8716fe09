#pragma once
// systemd's notification protocol (sd_notify(3)), spoken directly: one
// datagram of "KEY=VALUE" lines to the AF_UNIX socket named by
// $NOTIFY_SOCKET (a path, or "@name" for the abstract namespace). A few
// lines of code against a stable, documented protocol: not worth libsystemd.
//
//   READY=1     checkerd's children are up (Type=notify: the unit is started)
//   WATCHDOG=1  the loop is alive; fed every WATCHDOG_USEC/2 from a loop
//               timer, so a wedged loop stops feeding and systemd restarts it
//   STOPPING=1  a graceful stop began
//   STATUS=...  one line for `systemctl status`
//
// Without $NOTIFY_SOCKET (not started by systemd) every call does nothing.
// The variables are removed from the environment once read, so no child
// talks to systemd in checkerd's name.
#include <cstdint>
#include <string>

namespace checker {

class SystemdNotifier {
 public:
  // Reads and unsets NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID.
  static SystemdNotifier fromEnvironment();
  // For tests: SOCKET as $NOTIFY_SOCKET would name it; WATCHDOG_USEC 0: none.
  SystemdNotifier(std::string socket, uint64_t watchdogUsec);

  bool enabled() const { return !socket_.empty(); }
  // The watchdog interval systemd asked for (0: no watchdog), and how often
  // to feed it: half of it, as sd_watchdog_enabled(3) advises.
  uint64_t watchdogUsec() const { return watchdogUsec_; }
  uint64_t feedEveryMs() const { return watchdogUsec_ / 2000; }

  // Each sends one datagram; false (errno kept) when it could not be sent.
  bool ready(const std::string& status);
  bool watchdog();
  bool stopping(const std::string& status);
  bool status(const std::string& status);
  bool send(const std::string& message);

 private:
  std::string socket_;
  uint64_t watchdogUsec_ = 0;
};

}  // namespace checker
