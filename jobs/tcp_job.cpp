// tcp: connect to host:port (the original's TCPServerChecker).
#include <chrono>

#include "jobs/builtin_jobs.h"
#include "jobs/net_connect.h"

namespace checker {
namespace {

class TcpJob : public BuiltinJob {
 public:
  using BuiltinJob::BuiltinJob;

  bool execute() override {
    const std::string* host = required("host");
    uint64_t port = 0, timeoutMs = 0;
    if (host == nullptr || !number("port", 1, 65535, port) || !number("connect_timeout_ms", 1, 86'400'000, timeoutMs)) {
      return false;
    }
    std::string target = (host->find(':') != std::string::npos ? "[" + *host + "]" : *host) + ":" + std::to_string(port);
    auto start = std::chrono::steady_clock::now();
    Result<TcpConnection> c =
        connectTcp(*host, static_cast<uint16_t>(port), std::chrono::milliseconds(timeoutMs), context().deadline);
    if (!c) return fail("could not connect to " + target + ": " + c.error());
    auto took = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
    reportLatency(c->connectTime);
    reportMeasurement(milliseconds("connect", c->connectTime));
    reportMeasurement(milliseconds("resolve", c->resolveTime));
    return succeed("connected to " + target + " (" + c->address + ") in " + std::to_string(took.count() / 1000) + "." +
                   std::to_string(took.count() % 1000 / 100) + " ms");
  }
};

}  // namespace

std::unique_ptr<JobBase> makeTcpJob(JobParams params, JobRunContext context) {
  return std::make_unique<TcpJob>(std::move(params), std::move(context));
}

}  // namespace checker
