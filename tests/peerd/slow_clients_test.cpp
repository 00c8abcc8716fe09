// Slow and greedy clients cannot lock a peer out of peerd's HTTP server
// (peerd/status_server.h, peerd/connection_table.h), with real TCP clients
// on loopback from several source addresses (127.0.0.2, .3, ...: a client
// each): the per-client bound, who makes room at the bound, the first
// request's deadline counted from the accept, and the idle keep-alive
// timeout. The server takes no clock: the limits are short instead.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "peerd/connection_table.h"
#include "status_server_fixture.h"

namespace checker::peerd {
namespace {

using namespace fixture;
using ::testing::StartsWith;
using Clock = std::chrono::steady_clock;

const char kPartial[] = "GET / HTTP/1.1\r\nHost: slow\r\n";  // and never the end of the headers
const char kKeepAlive[] = "GET / HTTP/1.1\r\nHost: peer\r\n\r\n";

// No deadline gets in the way: what closes a connection here is a bound.
ServerLimits boundsOnly() {
  ServerLimits limits;
  limits.requestTimeoutMs = 60'000;
  limits.idleTimeoutMs = 60'000;
  return limits;
}

// A partial request from 127.0.0.FROM, its connection added to SOCKETS.
int halfRequestFrom(int from, uint16_t port, Sockets* sockets) {
  int fd = connectFrom(from, port);
  if (fd >= 0) {
    sockets->add(fd);
    sendAll(fd, kPartial);
  }
  return fd;
}

// The question of a client on 127.0.0.FROM, on a connection of its own.
std::string askFrom(int from, uint16_t port) {
  int fd = connectFrom(from, port);
  if (fd < 0) return "";
  sendAll(fd, "GET / HTTP/1.0\r\n\r\n");
  std::string answer = readUntilClosed(fd);
  ::close(fd);
  return answer;
}

TEST(ClientKey, AnIpv4AddressOrAnIpv6SixtyFourAndMappedIpv4IsIpv4) {
  auto key = [](const char* text) {
    sockaddr_storage address{};
    if (uv_ip4_addr(text, 1, reinterpret_cast<sockaddr_in*>(&address)) != 0) {
      uv_ip6_addr(text, 1, reinterpret_cast<sockaddr_in6*>(&address));
    }
    return std::make_pair(clientKey(address), isLoopback(address));
  };
  EXPECT_EQ(key("192.0.2.7"), std::make_pair(std::string("192.0.2.7"), false));
  EXPECT_EQ(key("127.0.0.2"), std::make_pair(std::string("127.0.0.2"), true));
  EXPECT_EQ(key("2001:db8:1:2:3:4:5:6").first, "2001:db8:1:2::/64");
  EXPECT_EQ(key("2001:db8:1:2:ffff::1").first, key("2001:db8:1:2:3:4:5:6").first);
  EXPECT_NE(key("2001:db8:1:3::1").first, key("2001:db8:1:2::1").first);
  EXPECT_EQ(key("::ffff:192.0.2.7"), std::make_pair(std::string("192.0.2.7"), false));
  EXPECT_EQ(key("::ffff:127.0.0.1"), std::make_pair(std::string("127.0.0.1"), true));
  EXPECT_EQ(key("::1"), std::make_pair(std::string("::/64"), true));
}

// One client cannot hold more than its share: its own oldest half-request
// goes for its newcomer, and another client is neither closed nor refused.
TEST(SlowClients, OneClientIsHeldToItsBoundAndOthersAreUntouched) {
  ServerLimits limits = boundsOnly();
  limits.maxConnectionsPerClient = 4;
  limits.capLoopback = true;
  Server server(limits);
  Sockets sockets;
  int other = halfRequestFrom(3, server.port(), &sockets);
  std::vector<int> greedy;
  for (int i = 0; i < 24; ++i) greedy.push_back(halfRequestFrom(2, server.port(), &sockets));
  ASSERT_GE(other, 0);
  // 24 from 127.0.0.2 with room for 4: the first 20 are closed, oldest first.
  std::vector<int> oldest(greedy.begin(), greedy.begin() + 20), newest(greedy.begin() + 20, greedy.end());
  EXPECT_EQ(closedByThePeer(oldest, oldest.size()), oldest.size());
  EXPECT_THAT(askFrom(3, server.port()), StartsWith("HTTP/1.0 200 OK\r\n"));
  for (int fd : newest) EXPECT_FALSE(closedNow(fd)) << "one of the 4 newest was closed";
  EXPECT_FALSE(closedNow(other)) << "another client's connection was closed";
  // The bound is per client, not a refusal: 127.0.0.2's own question is answered too.
  EXPECT_THAT(askFrom(2, server.port()), StartsWith("HTTP/1.0 200 OK\r\n"));
}

// At the table's bound the newcomer is taken; of the connections of one
// client, one that has not delivered a request goes before one that has.
TEST(SlowClients, AtTheBoundAConnectionThatDeliveredIsKeptOverOneThatHasNot) {
  ServerLimits limits = boundsOnly();
  limits.maxConnections = 3;
  Server server(limits);
  Sockets sockets;
  int kept = connectTo(server.port());
  ASSERT_GE(kept, 0);
  sockets.add(kept);
  sendAll(kept, kKeepAlive);
  ASSERT_EQ(bodyOf(readOneResponse(kept)), "True");  // delivered, then idle: the longest idle of all
  int first = halfRequestFrom(1, server.port(), &sockets);
  int second = halfRequestFrom(1, server.port(), &sockets);
  ASSERT_GE(second, 0);
  int newcomer = halfRequestFrom(1, server.port(), &sockets);  // the table is full
  ASSERT_GE(newcomer, 0);
  EXPECT_EQ(closedByThePeer({first}, 1), 1u) << "the oldest half-request did not make room";
  sendAll(kept, kKeepAlive);
  EXPECT_EQ(bodyOf(readOneResponse(kept)), "True") << "the connection that delivered a request was closed";
  EXPECT_FALSE(closedNow(second));
  // The newcomer was taken: it finishes its request and is answered.
  sendAll(newcomer, "\r\n");
  EXPECT_EQ(bodyOf(readOneResponse(newcomer)), "True");
  // The next newcomer closes the next oldest half-request, still not KEPT.
  int third = halfRequestFrom(1, server.port(), &sockets);
  ASSERT_GE(third, 0);
  EXPECT_EQ(closedByThePeer({second}, 1), 1u);
  sendAll(kept, kKeepAlive);
  EXPECT_EQ(bodyOf(readOneResponse(kept)), "True");
}

// A flood of half-requests from one address fills the table: a newcomer
// from elsewhere closes one of the client holding the most, even when
// another client's half-request is older, and is answered.
TEST(SlowClients, AtTheBoundTheClientHoldingTheMostMakesRoom) {
  ServerLimits limits = boundsOnly();
  limits.maxConnections = 16;
  Server server(limits);  // loopback is not held to the per-client bound here
  Sockets sockets;
  int lonely = halfRequestFrom(3, server.port(), &sockets);  // the oldest of all
  ASSERT_GE(lonely, 0);
  std::vector<int> flood;
  for (int i = 0; i < 15; ++i) flood.push_back(halfRequestFrom(2, server.port(), &sockets));
  // Each kept-alive newcomer from 127.0.0.4 closes one of the flood's while
  // 127.0.0.2 holds more than 127.0.0.4: 7 times.
  for (int round = 0; round < 7; ++round) {
    int fd = connectFrom(4, server.port());
    ASSERT_GE(fd, 0);
    sockets.add(fd);
    sendAll(fd, kKeepAlive);
    EXPECT_EQ(bodyOf(readOneResponse(fd)), "True") << round;
  }
  EXPECT_EQ(closedByThePeer(flood, 7), 7u);
  for (size_t i = 0; i < flood.size(); ++i) EXPECT_EQ(closedNow(flood[i]), i < 7) << "flood connection " << i;
  EXPECT_FALSE(closedNow(lonely)) << "the client with one connection paid for the flood";
}

// A connection that sends nothing is closed at the deadline, and a slow
// client cannot restart it with a late first byte: the first request has
// requestTimeoutMs from the accept.
TEST(SlowClients, TheFirstRequestsDeadlineCountsFromTheAccept) {
  ServerLimits limits;
  limits.requestTimeoutMs = 2000;
  Server server(limits);
  auto start = Clock::now();
  int silent = connectTo(server.port());
  ASSERT_GE(silent, 0);
  EXPECT_EQ(readUntilClosed(silent, std::chrono::seconds(10)), "");  // closed without a word
  ::close(silent);
  auto silentFor = Clock::now() - start;
  EXPECT_GE(silentFor, std::chrono::milliseconds(1900));
  EXPECT_LT(silentFor, std::chrono::milliseconds(4000));

  start = Clock::now();
  int late = connectTo(server.port());
  ASSERT_GE(late, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(1600));  // the slow client's own pace
  sendAll(late, kPartial);
  std::string answer = readUntilClosed(late, std::chrono::seconds(10));
  ::close(late);
  auto lateFor = Clock::now() - start;
  EXPECT_THAT(answer, StartsWith("HTTP/1.1 408 "));
  // From the accept: about 2 s. From the first byte it would be 3.6 s.
  EXPECT_LT(lateFor, std::chrono::milliseconds(2800)) << "the deadline restarted at the first byte";
}

// After an answer a kept-alive connection may wait idleTimeoutMs for its
// next question, then it is closed; asked within it, it is answered.
TEST(SlowClients, AKeptAliveConnectionIdleAfterItsAnswerIsClosed) {
  ServerLimits limits;
  limits.requestTimeoutMs = 60'000;  // what closes it is the idle timeout alone
  limits.idleTimeoutMs = 800;
  Server server(limits);
  int fd = connectTo(server.port());
  ASSERT_GE(fd, 0);
  sendAll(fd, kKeepAlive);
  ASSERT_EQ(bodyOf(readOneResponse(fd)), "True");
  sendAll(fd, kKeepAlive);  // well within the idle time
  ASSERT_EQ(bodyOf(readOneResponse(fd)), "True");
  auto answered = Clock::now();
  EXPECT_EQ(readUntilClosed(fd, std::chrono::seconds(10)), "");
  auto idleFor = Clock::now() - answered;
  ::close(fd);
  EXPECT_GE(idleFor, std::chrono::milliseconds(700));
  EXPECT_LT(idleFor, std::chrono::milliseconds(5000)) << "an idle kept-alive connection stayed open";
}

}  // namespace
}  // namespace checker::peerd
