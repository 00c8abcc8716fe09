#pragma once
// A network namespace of the test's own, for tests where one instance must
// see the network differently from the others (its loopback is not the
// host's): made with `ip netns add`, joined to the host by a veth pair on a
// /30 of 10.0.0.0/8 chosen from the test's pid (so tests running at once
// never share one), loopback up inside; removed with its veth when the
// object goes, even when the test failed. Needs root (CAP_NET_ADMIN), as
// the mail fixture does.
//
//   NetworkNamespace ns;                   // throws, saying which step failed
//   DaemonProcess d(ns.execPrefix() + ...) // `nsenter --net=/run/netns/NAME PROGRAM ...`
//   UniqueFd l = ns.inside([] { return listenOnLoopback(port); });  // the namespace's 127.0.0.1
//
// What runs in the namespace reaches the host only at hostAddress() (no
// route beyond the /30); the host reaches it at insideAddress().
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/unique_fd.h"
#include "support/run_command.h"

namespace checker::test {

class NetworkNamespace {
 public:
  NetworkNamespace() {
    const unsigned pid = static_cast<unsigned>(::getpid());
    name_ = "checker-test-" + std::to_string(pid);
    hostVeth_ = "ckh" + std::to_string(pid);  // interface names: at most 15 characters
    // Pids are below 2^22: 8 + 8 + 6 bits name the /30, 10.A.B.(C*4).
    std::string net = "10." + std::to_string((pid >> 14) & 255) + "." + std::to_string((pid >> 6) & 255) + ".";
    hostAddress_ = net + std::to_string((pid & 63) * 4 + 1);
    insideAddress_ = net + std::to_string((pid & 63) * 4 + 2);
    ip_ = findIp();
    try {
      removeAll();  // left by a killed test that had the same pid
      const std::string insideVeth = "ckn" + std::to_string(pid);
      run("netns add " + name_);
      run("link add " + hostVeth_ + " type veth peer name " + insideVeth + " netns " + name_);
      run("addr add " + hostAddress_ + "/30 dev " + hostVeth_);
      run("link set " + hostVeth_ + " up");
      run("-n " + name_ + " addr add " + insideAddress_ + "/30 dev " + insideVeth);
      run("-n " + name_ + " link set " + insideVeth + " up");
      run("-n " + name_ + " link set lo up");
    } catch (...) {
      removeAll();
      throw;
    }
  }
  // What ran inside should be gone first; a process still there keeps the
  // namespace alive (unnamed) until it exits.
  ~NetworkNamespace() { removeAll(); }
  NetworkNamespace(const NetworkNamespace&) = delete;
  NetworkNamespace& operator=(const NetworkNamespace&) = delete;

  const std::string& name() const { return name_; }
  const std::string& hostAddress() const { return hostAddress_; }    // the host's end of the veth
  const std::string& insideAddress() const { return insideAddress_; }  // the namespace's end

  // The start of a command line that runs its program inside: nsenter
  // joins the network namespace only. (`ip netns exec` also mounts a sysfs
  // of its own, without the cgroup hierarchies: checkerd there fell back to
  // rlimits, unlike in production, and a sanitized worker cannot live with
  // RLIMIT_AS.)
  std::vector<std::string> execPrefix() const { return {"/usr/bin/nsenter", "--net=/run/netns/" + name_}; }

  // F() run on a thread of ours that joined the namespace: a socket it
  // makes belongs to the namespace for good, while the rest of the test
  // stays on the host (a network namespace is joined per thread).
  template <typename F>
  auto inside(F f) const {
    std::optional<decltype(f())> result;
    std::string error;
    std::thread joined([&] {
      const std::string path = "/run/netns/" + name_;
      UniqueFd handle(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
      if (!handle.valid()) {
        error = "open(" + path + "): " + std::strerror(errno);
        return;
      }
      if (::setns(handle.get(), CLONE_NEWNET) != 0) {
        error = "setns(" + path + "): " + std::strerror(errno);
        return;
      }
      result.emplace(f());  // F must not throw: it runs on a thread of its own
    });
    joined.join();
    if (!result) throw std::runtime_error(error);
    return std::move(*result);
  }

 private:
  static std::string findIp() {
    for (const char* path : {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"}) {
      if (::access(path, X_OK) == 0) return path;
    }
    throw std::runtime_error("no ip (iproute2) in /usr/sbin, /sbin, /usr/bin or /bin");
  }

  void run(const std::string& args) const {
    CommandResult r = runCommand(ip_ + " " + args);
    if (r.exitCode != 0) throw std::runtime_error("ip " + args + ": " + r.output);
  }

  // Deleting one end of the veth deletes both, at once (a namespace's own
  // devices otherwise go when the kernel gets to it, which can be later).
  void removeAll() const {
    runCommand(ip_ + " link del " + hostVeth_);
    runCommand(ip_ + " netns del " + name_);
  }

  std::string name_;
  std::string hostVeth_;
  std::string hostAddress_;
  std::string insideAddress_;
  std::string ip_;
};

}  // namespace checker::test
