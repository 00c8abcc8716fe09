// peerd's HTTP server (peerd/status_server.h) with the original's plain
// answer (peerd/plain_answer.h), on loopback with real TCP clients: the
// bodies byte for byte over HTTP/1.0 and 1.1, keep-alive, and bad traffic
// (malformed requests, huge headers, a trickling client, a flood of idle
// connections, 5,000 of them against the production bound, random bytes)
// while a well-behaved client keeps being served.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "peerd/plain_answer.h"
#include "peerd/status_server.h"
#include "status_server_fixture.h"

namespace checker::peerd {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using namespace fixture;

TEST(PlainAnswer, MailFirstThenTheSchedulersHeartbeat) {
  int64_t now = 1'800'000'000'000;
  EXPECT_EQ(plainAnswer({false, now - 1000}, now, 120'000), "True");
  EXPECT_EQ(plainAnswer({false, now - 120'001}, now, 120'000), "JobProblem");
  EXPECT_EQ(plainAnswer({false, 0}, now, 120'000), "JobProblem");  // never heard from the scheduler
  EXPECT_EQ(plainAnswer({true, now - 120'001}, now, 120'000), "MailProblem");
  EXPECT_EQ(plainAnswer({true, now}, now, 120'000), "MailProblem");
}

TEST(StatusServer, HttpOneZeroGetsTheBodyByteForByteAndAClose) {
  Server server(shortLimits());
  std::string answer = ask(server.port(), "GET / HTTP/1.0\r\n\r\n");
  EXPECT_THAT(answer, StartsWith("HTTP/1.0 200 OK\r\n"));
  EXPECT_THAT(answer, HasSubstr("Connection: close\r\n"));
  EXPECT_EQ(bodyOf(answer), "True");
  server.setView({true, nowMs()});
  EXPECT_EQ(bodyOf(ask(server.port(), "GET /anything/at/all HTTP/1.0\r\n\r\n")), "MailProblem");
  server.setView({false, nowMs() - 10 * 60'000});
  EXPECT_EQ(bodyOf(ask(server.port(), "GET /?x=1 HTTP/1.0\r\n\r\n")), "JobProblem");
}

// The loopback rule of the status page and /metrics (peerd/routes.h) needs
// to know who asks: the server gives each request its client's address.
TEST(StatusServer, EachRequestCarriesItsClientsAddress) {
  Server v4(shortLimits());
  EXPECT_EQ(bodyOf(ask(v4.port())), "True");
  EXPECT_EQ(v4.lastClient(), "127.0.0.1");
  std::unique_ptr<Server> v6;
  try {
    v6 = std::make_unique<Server>(shortLimits(), "::1");
  } catch (const std::runtime_error& e) {
    GTEST_SKIP() << "no IPv6 loopback here (" << e.what() << "); 127.0.0.1 was checked";
  }
  int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in6 address{};
  address.sin6_family = AF_INET6;
  address.sin6_addr = in6addr_loopback;
  address.sin6_port = htons(v6->port());
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0) << std::strerror(errno);
  sendAll(fd, "GET / HTTP/1.0\r\n\r\n");
  EXPECT_EQ(bodyOf(readUntilClosed(fd)), "True");
  ::close(fd);
  EXPECT_EQ(v6->lastClient(), "::1");
}

TEST(StatusServer, HttpOneOneKeepsTheConnectionForSeveralQuestions) {
  Server server(shortLimits());
  int fd = connectTo(server.port());
  ASSERT_GE(fd, 0);
  for (int i = 0; i < 3; ++i) {
    sendAll(fd, "GET / HTTP/1.1\r\nHost: peer\r\n\r\n");
    std::string answer = readOneResponse(fd);
    EXPECT_THAT(answer, StartsWith("HTTP/1.1 200 OK\r\n")) << i;
    EXPECT_THAT(answer, HasSubstr("Connection: keep-alive\r\n"));
    EXPECT_EQ(bodyOf(answer), "True");
  }
  // Two questions in one packet (pipelined) get two answers, in order.
  sendAll(fd, "GET / HTTP/1.1\r\nHost: p\r\n\r\nHEAD / HTTP/1.1\r\nHost: p\r\nConnection: close\r\n\r\n");
  std::string both = readUntilClosed(fd);
  EXPECT_EQ(both.find("HTTP/1.1 200 OK"), 0u);
  EXPECT_NE(both.find("HTTP/1.1 200 OK", 10), std::string::npos);
  EXPECT_THAT(both, ::testing::EndsWith("\r\n\r\n")) << "HEAD has no body";
  ::close(fd);
  // Not a question peers ask.
  EXPECT_THAT(ask(server.port(), "POST / HTTP/1.0\r\n\r\n"), StartsWith("HTTP/1.0 405 "));
}

TEST(StatusServer, MalformedRequestsAndRandomBytesGetFourHundredAndServiceGoesOn) {
  Server server(shortLimits());
  EXPECT_THAT(ask(server.port(), "GARBAGE\r\n\r\n"), StartsWith("HTTP/1.1 400 "));
  EXPECT_THAT(ask(server.port(), "GET / HTTP/9.9\r\n\r\n"), HasSubstr(" 400 "));
  std::mt19937 random(12345);
  for (int round = 0; round < 20; ++round) {
    std::string noise(512, '\0');
    for (char& c : noise) c = static_cast<char>(random());
    std::string answer = ask(server.port(), noise);
    EXPECT_THAT(answer, ::testing::AnyOf(HasSubstr(" 400 "), HasSubstr(" 408 "), ::testing::IsEmpty())) << round;
    EXPECT_EQ(bodyOf(ask(server.port())), "True") << "a good peer was not served after round " << round;
  }
  // A body where none belongs.
  EXPECT_THAT(ask(server.port(), "GET / HTTP/1.0\r\nContent-Length: 5\r\n\r\nhello"), HasSubstr(" 413 "));
}

size_t answersIn(const std::string& bytes) {
  size_t count = 0;
  for (size_t at = bytes.find("HTTP/1."); at != std::string::npos; at = bytes.find("HTTP/1.", at + 1)) ++count;
  return count;
}

TEST(StatusServer, ARefusedRequestGetsItsRefusalAndNothingElse) {
  Server server(shortLimits());
  const std::pair<const char*, const char*> refused[] = {
      {"GET / HTTP/9.9\r\n\r\n", "HTTP/1.1 400 "},
      {"GET / HTTP/0.9\r\n\r\n", "HTTP/1.1 400 "},
      {"GET /\r\n\r\n", "HTTP/1.1 400 "},
      {"GET / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", "HTTP/1.1 413 "},
      {"GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "HTTP/1.1 413 "},
  };
  for (const auto& [request, status] : refused) {
    std::string answer = ask(server.port(), request);
    EXPECT_THAT(answer, StartsWith(status)) << request;
    EXPECT_EQ(answersIn(answer), 1u) << "the refused request was served too: " << answer;
  }
}

TEST(StatusServer, NothingIsAnsweredAfterAnAnswerThatCloses) {
  Server server(shortLimits());
  std::string answer = ask(server.port(), "GET /a HTTP/1.0\r\n\r\nGET /b HTTP/1.0\r\n\r\n");
  EXPECT_EQ(answersIn(answer), 1u) << answer;
  answer = ask(server.port(), "GET /a HTTP/1.1\r\nConnection: close\r\n\r\nGET /b HTTP/1.1\r\n\r\n");
  EXPECT_EQ(answersIn(answer), 1u) << answer;
  // An Upgrade is not made: the request is answered, once, and the connection closed.
  answer = ask(server.port(), "GET / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
  EXPECT_THAT(answer, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(answer, HasSubstr("Connection: close\r\n"));
  EXPECT_EQ(answersIn(answer), 1u) << answer;
  answer = ask(server.port(), "CONNECT peer:443 HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\n");
  EXPECT_THAT(answer, StartsWith("HTTP/1.1 405 "));
  EXPECT_EQ(answersIn(answer), 1u) << answer;
}

// A client whose receive buffer is small, so answers pile up on the
// server's side of the connection instead of in the kernel.
int connectWithSmallReceiveBuffer(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int size = 4096;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// The server's end of the client's connection FD (the server runs in this
// process), or -1: found among our descriptors by its two ports.
int serverEndOf(int fd) {
  sockaddr_in client{};
  socklen_t length = sizeof client;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&client), &length) != 0) return -1;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    int candidate = std::atoi(entry.path().filename().c_str());
    sockaddr_in peer{};
    length = sizeof peer;
    if (candidate != fd && ::getpeername(candidate, reinterpret_cast<sockaddr*>(&peer), &length) == 0 &&
        peer.sin_family == AF_INET && peer.sin_port == client.sin_port) {
      return candidate;
    }
  }
  return -1;
}

TEST(StatusServer, ManyPipelinedQuestionsGetEveryAnswerWholeAndInOrder) {
  Server server(ServerLimits{});  // no timeout while a slow machine drains the answers
  std::string get = "GET / HTTP/1.1\r\nHost: p\r\n\r\n", head = "HEAD / HTTP/1.1\r\nHost: p\r\n\r\n";
  int fd = connectTo(server.port());
  sendAll(fd, get);
  std::string getAnswer = readOneResponse(fd);
  sendAll(fd, head + "GET / HTTP/1.1\r\nHost: p\r\nConnection: close\r\n\r\n");
  std::string headAndLast = readUntilClosed(fd);
  ::close(fd);
  ASSERT_EQ(bodyOf(getAnswer), "True");
  std::string headAnswer = headAndLast.substr(0, headAndLast.find("\r\n\r\n") + 4);
  std::string lastAnswer = headAndLast.substr(headAnswer.size());
  // Far more answers (about 650 KB, under the server's 1 MiB bound) than the
  // two small socket buffers between server and client hold: most are
  // queued on the server, some written in pieces. All asked before the
  // client reads anything.
  std::string questions, expected;
  for (int i = 0; i < 5000; ++i) {
    bool isHead = i % 3 == 1;
    questions += isHead ? head : get;
    expected += isHead ? headAnswer : getAnswer;
  }
  questions += "GET / HTTP/1.1\r\nHost: p\r\nConnection: close\r\n\r\n";
  expected += lastAnswer;
  fd = connectWithSmallReceiveBuffer(server.port());
  ASSERT_GE(fd, 0);
  sendAll(fd, get);
  ASSERT_EQ(readOneResponse(fd), getAnswer);  // accepted: its end exists
  int serverEnd = serverEndOf(fd);
  ASSERT_GE(serverEnd, 0);
  int small = 4096;  // a fixed send buffer: no autotuning up to megabytes
  ASSERT_EQ(::setsockopt(serverEnd, SOL_SOCKET, SO_SNDBUF, &small, sizeof small), 0);
  sendAll(fd, questions);  // the server reads on while it queues answers
  std::string answers = readUntilClosed(fd);
  ::close(fd);
  EXPECT_EQ(answers.size(), expected.size());
  EXPECT_TRUE(answers == expected) << "answers lost, repeated or out of order";
}

TEST(StatusServer, AClientThatDoesNotReadItsAnswersIsCutOff) {
  Server server(ServerLimits{});  // no timeout: what cuts it off is the bound on queued answers
  int fd = connectWithSmallReceiveBuffer(server.port());
  ASSERT_GE(fd, 0);
  std::string burst;
  for (int i = 0; i < 1000; ++i) burst += "GET / HTTP/1.1\r\nHost: p\r\n\r\n";
  // Up to 400,000 questions (about 50 MB of answers, never read): the
  // server closes the connection once 1 MiB of answers waits for it.
  bool cut = false;
  for (int round = 0; round < 400 && !cut; ++round) {
    for (size_t sent = 0; sent < burst.size();) {
      ssize_t n = ::send(fd, burst.data() + sent, burst.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) {
        cut = true;
        break;
      }
      sent += static_cast<size_t>(n);
    }
    if (round % 50 == 0) {
      EXPECT_EQ(bodyOf(ask(server.port())), "True") << "a good peer was not served after round " << round;
    }
  }
  ::close(fd);
  EXPECT_TRUE(cut) << "a client that never reads was served without bound";
  EXPECT_EQ(bodyOf(ask(server.port())), "True");
}

TEST(StatusServer, OneMegabyteOfHeadersIsRefused) {
  Server server(shortLimits());
  std::string huge = "GET / HTTP/1.1\r\nHost: p\r\nX-Fill: " + std::string(1 << 20, 'a') + "\r\n\r\n";
  int fd = connectTo(server.port());
  std::thread writer([&] { sendAll(fd, huge); });  // the server stops reading long before the end
  std::string answer = readUntilClosed(fd);
  ::shutdown(fd, SHUT_RDWR);
  writer.join();
  ::close(fd);
  EXPECT_THAT(answer, StartsWith("HTTP/1.1 431 "));
  EXPECT_EQ(bodyOf(ask(server.port())), "True");
}

TEST(StatusServer, AClientTricklingOneByteAtATimeIsCutOffWhileOthersAreServed) {
  Server server(shortLimits());  // a whole request within 400 ms
  int slow = connectTo(server.port());
  std::string request = "GET / HTTP/1.1\r\nHost: slow\r\n\r\n";
  auto start = std::chrono::steady_clock::now();
  bool cut = false;
  for (char c : request) {
    if (::send(slow, &c, 1, MSG_NOSIGNAL) != 1) {
      cut = true;
      break;
    }
    EXPECT_EQ(bodyOf(ask(server.port())), "True");  // served meanwhile
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the trickle itself, not a wait for an event
  }
  std::string answer = readUntilClosed(slow, std::chrono::seconds(5));
  ::close(slow);
  EXPECT_TRUE(cut || answer.find(" 408 ") != std::string::npos) << answer;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(StatusServer, AFloodOfIdleConnectionsCannotLockAPeerOut) {
  ServerLimits limits = shortLimits();
  limits.requestTimeoutMs = 60'000;  // the idle ones would stay for a minute
  Server server(limits);
  // A peer that keeps its connection alive and asks now and then is not
  // idle: the connections that never said a word go first.
  int kept = connectTo(server.port());
  ASSERT_GE(kept, 0);
  std::vector<int> idle;
  for (size_t i = 0; i < 4 * limits.maxConnections; ++i) {
    int fd = connectTo(server.port());
    if (fd >= 0) idle.push_back(fd);
    if (i % 32 == 0) {
      EXPECT_EQ(bodyOf(ask(server.port())), "True") << "after " << i << " idle connections";
      sendAll(kept, "GET / HTTP/1.1\r\nHost: peer\r\n\r\n");
      EXPECT_EQ(bodyOf(readOneResponse(kept)), "True") << "kept alive, after " << i << " idle connections";
    }
  }
  EXPECT_EQ(bodyOf(ask(server.port())), "True");
  for (int fd : idle) ::close(fd);
  ::close(kept);
}

// The descriptors this process has open.
size_t openDescriptors() {
  size_t count = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) ++count;
  return count;
}

// peerd tries to listen again while its port is taken (PeerdService's bind
// retry): a failed try leaves no socket or handle behind, and a later one works.
TEST(StatusServer, AListenThatFailsLeavesNothingOpenAndCanBeTriedAgain) {
  int taken = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  ASSERT_EQ(::bind(taken, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(taken, 1), 0);
  ASSERT_EQ(::getsockname(taken, reinterpret_cast<sockaddr*>(&address), &length), 0);
  uint16_t port = ntohs(address.sin_port);
  uv_loop_t loop;
  uv_loop_init(&loop);
  {
    StatusServer server(&loop, [](const HttpRequest&) { return HttpResponse{200, "text/plain", "True"}; });
    size_t before = 0;  // after the first try: libuv keeps one descriptor in reserve per loop
    for (int attempt = 0; attempt < 3; ++attempt) {
      Result<std::string> refused = server.listen("127.0.0.1", port);
      EXPECT_FALSE(refused.ok());
      EXPECT_THAT(refused.error(), HasSubstr("bind(127.0.0.1:" + std::to_string(port) + ")")) << attempt;
      uv_run(&loop, UV_RUN_NOWAIT);  // the failed listener's close completes
      if (attempt == 0) before = openDescriptors();
    }
    EXPECT_EQ(openDescriptors(), before) << "failed listeners' sockets were left open";
    ::close(taken);
    Result<std::string> bound = server.listen("127.0.0.1", port);
    EXPECT_TRUE(bound.ok()) << bound.error();
    EXPECT_EQ(bound.ok() ? *bound : "", "127.0.0.1:" + std::to_string(port));
    server.close();
    uv_run(&loop, UV_RUN_DEFAULT);
  }
  EXPECT_EQ(uv_loop_close(&loop), 0) << "a handle was left in the loop";
}

// The case: 5,000 idle connections against the production bound
// (1,024), while a well-behaved peer keeps asking, on fresh connections and
// on one it keeps alive.
TEST(StatusServer, FiveThousandIdleConnectionsNeverLockAWellBehavedPeerOut) {
  constexpr size_t kIdle = 5000;
  ServerLimits limits;  // the production bounds: 1,024 connections, 10 s to send a request
  // Both ends live in this process: the idle sockets, the server's (at most
  // the bound, and a few closing) and some spare.
  OpenFilesAtLeast files(kIdle + limits.maxConnections + 256);
  if (!files.ok()) {
    GTEST_SKIP() << "needs " << kIdle + limits.maxConnections + 256
                 << " open files (RLIMIT_NOFILE) and the hard limit is " << files.hardLimit();
  }
  Server server(limits);
  int kept = connectTo(server.port());
  ASSERT_GE(kept, 0);
  Sockets sockets;
  sockets.add(kept);
  auto askOnTheKeptConnection = [&](size_t idle) {
    sendAll(kept, "GET / HTTP/1.1\r\nHost: peer\r\n\r\n");
    EXPECT_EQ(bodyOf(readOneResponse(kept)), "True") << "kept-alive question after " << idle << " idle connections";
  };
  askOnTheKeptConnection(0);
  Sockets idle;
  for (size_t i = 1; i <= kIdle; ++i) {
    int fd = connectTo(server.port());
    ASSERT_GE(fd, 0) << "connection " << i << ": " << strerror(errno);
    idle.add(fd);
    if (i % 500 == 0) {
      EXPECT_EQ(bodyOf(ask(server.port())), "True") << "after " << i << " idle connections";
      askOnTheKeptConnection(i);
    }
  }
  EXPECT_EQ(bodyOf(ask(server.port())), "True");
  askOnTheKeptConnection(kIdle);
  // The bound held: all but the newest 1,024 (less the kept-alive one) were closed.
  size_t mustBeClosed = kIdle - (limits.maxConnections - 1);
  EXPECT_GE(closedByThePeer(idle.fds(), mustBeClosed), mustBeClosed);
}

}  // namespace
}  // namespace checker::peerd
