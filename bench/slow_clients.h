#pragma once
// checker-bench-peerd's `slow` mode (bench/peerd_load.cpp starts checkerd):
// ATTACKERS connections from ADDRESSES loopback source addresses
// (127.0.0.2, 127.0.0.3, ...) that send a partial request ("GET /
// HTTP/1.1\r\nHost: x\r\n"), then one more header line every 2 s, and never
// finish it. An attacker whose connection the server closes reconnects at
// the next sweep (every 100 ms), so the attack holds ATTACKERS connections
// as well as it can. Meanwhile a normal client on 127.0.0.1 asks `GET /`
// every 50 ms, one request per connection, as a peer does, and times each
// answer from connect to the last byte; a failure is no whole 200 answer
// within 5 s (a peer's default timeout: it would say "not responding").
// First the same normal client alone (the floor, in the same run), then
// under the attack. Bounded: ATTACKERS connections at once, SECONDS long.
#include <sys/types.h>

#include <functional>

namespace checker::bench {

struct SlowClientsOptions {
  int seconds = 20;
  int attackers = 2000;
  int addresses = 8;
};

// Runs the floor and the attack against peerd (pid PEERD) on
// 127.0.0.1:PORT and prints the figures. BETWEEN is called often from this
// thread (it drains checkerd's log pipe). 0 when done (whatever the
// figures), 1 on an error (thrown as std::runtime_error).
int runSlowClients(int port, pid_t peerd, const SlowClientsOptions& options, const std::function<void()>& between);

}  // namespace checker::bench
