// checker-worker as a probe worker (isolation = batch), driven directly:
// a `probes` session request, then a stream of probes on stdin, the results
// on stdout in the order they finish. A probe that hangs answers last and
// holds up none of the others; a type that is not a probe type is refused
// per probe; the worker ends once stdin ends and every probe has answered;
// a malformed probe request ends it with exit 101.
#include <capnp/message.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include "ipc/framing.h"
#include "ipc/job.capnp.h"
#include "support/loopback_listener.h"
#include "support/temp_dir.h"
#include "worker_harness.h"

namespace checker {
namespace {

using ::testing::HasSubstr;

std::string sessionRequest(const std::string& workDir) {
  capnp::MallocMessageBuilder message;
  auto session = message.initRoot<ipc::WorkerRequest>().initProbes();
  session.initLimits();
  auto sandbox = session.initSandbox();
  sandbox.setWorkDir(workDir);
  sandbox.setKeepStdin(true);
  session.setMaxInFlight(16);
  return ipc::encode(message);
}

std::string probeRequest(uint64_t id, const std::string& type, std::vector<std::pair<std::string, std::string>> params) {
  capnp::MallocMessageBuilder message;
  auto probe = message.initRoot<ipc::ProbeRequest>();
  probe.setProbeId(id);
  auto run = probe.initRun();
  run.setJobId(type + ":" + std::to_string(id));
  run.setType(type);
  auto list = run.initParams(static_cast<unsigned>(params.size()));
  for (unsigned i = 0; i < params.size(); ++i) {
    list[i].setKey(params[i].first);
    list[i].setValue(params[i].second);
  }
  run.setDeadlineUnixMs(std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch()).count() + 10'000);
  return ipc::encode(message);
}

std::vector<std::pair<std::string, std::string>> tcpTo(const std::string& port, const std::string& timeoutMs) {
  return {{"host", "127.0.0.1"}, {"port", port}, {"connect_timeout_ms", timeoutMs}};
}

TEST(ProbeSession, AHangingProbeAnswersLastAndHoldsUpNoOther) {
  test::TempDir dir;
  test::LoopbackListener healthy(false), hanging(true);
  std::string bytes = sessionRequest(dir.path()) + probeRequest(1, "tcp", tcpTo(std::to_string(hanging.port()), "1500")) +
                      probeRequest(2, "tcp", tcpTo(std::to_string(healthy.port()), "1000")) + probeRequest(3, "exec", {{"command", "/bin/true"}}) +
                      probeRequest(4, "tcp", tcpTo(std::to_string(healthy.port()), "1000"));
  test::WorkerProcess worker;
  std::string error;
  ASSERT_TRUE(worker.start({}, &error)) << error;
  auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(worker.writeRequest(bytes, &error)) << error;
  std::vector<uint64_t> order;
  std::map<uint64_t, std::pair<ipc::Outcome, std::string>> results;
  std::chrono::milliseconds healthyAnsweredAfter{0};
  for (int i = 0; i < 4; ++i) {
    std::unique_ptr<ipc::DecodedMessage> message = worker.readReply(&error);
    ASSERT_TRUE(message) << error << "\n" << worker.stderrText();
    auto reply = message->root<ipc::ProbeReply>();
    order.push_back(reply.getProbeId());
    results[reply.getProbeId()] = {reply.getResult().getOutcome(), reply.getResult().getMessage().cStr()};
    if (reply.getProbeId() == 4) {
      healthyAnsweredAfter =
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    }
  }
  EXPECT_EQ(order.back(), 1u) << "the hanging probe answers last";
  EXPECT_LT(healthyAnsweredAfter.count(), 1000) << "a healthy probe waited for the hanging one";
  EXPECT_EQ(results[2].first, ipc::Outcome::OK);
  EXPECT_THAT(results[2].second, HasSubstr("connected to 127.0.0.1:" + std::to_string(healthy.port())));
  EXPECT_EQ(results[3].first, ipc::Outcome::FAILED);
  EXPECT_EQ(results[3].second, "'exec' is not a type a probe worker runs");
  EXPECT_EQ(results[1].first, ipc::Outcome::FAILED);
  EXPECT_EQ(results[1].second, "could not connect to 127.0.0.1:" + std::to_string(hanging.port()) + ": timed out after 1500 ms");
  EXPECT_FALSE(worker.readReply(&error)) << "nothing after the last result";
  int status = -1;
  ASSERT_TRUE(worker.waitExit(&status));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << "\n" << worker.stderrText();
}

TEST(ProbeSession, AMalformedProbeRequestEndsTheWorkerWith101) {
  test::TempDir dir;
  std::string garbage(64, '\xff');
  test::WorkerProcess worker;
  std::string error;
  ASSERT_TRUE(worker.start({}, &error)) << error;
  ASSERT_TRUE(worker.writeRequest(sessionRequest(dir.path()) + garbage, &error)) << error;
  int status = -1;
  ASSERT_TRUE(worker.waitExit(&status));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 101) << status;
  EXPECT_THAT(worker.stderrText(), HasSubstr("bad probe request"));
}

}  // namespace
}  // namespace checker
