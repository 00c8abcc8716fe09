#pragma once
// Which of peerd's open connections makes room for a newcomer
// (peerd/status_server.h keeps one entry per connection; no I/O here).
// Connections are grouped by client: an IPv4 address, or an IPv6 /64 (one
// host's worth of addresses; an IPv4-mapped IPv6 address is its IPv4
// address). The newcomer is always taken; at a bound one connection goes:
//   - its client at maxPerClient (a capped client): one of that client's;
//   - the table at maxConnections: one of the client holding the most
//     connections (the one with the oldest such connection when every
//     client holds one), so a flood from a few addresses costs those
//     addresses their own connections, never a peer its only one.
// Within that choice the one that goes is the oldest connection (by accept)
// that has not delivered a whole request, else the longest idle (by the
// last bytes read) of those that have: a peer that was served and keeps
// its connection is kept over one that has sent half a request.
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>

namespace checker::peerd {

// The client a connection from ADDRESS belongs to ("192.0.2.7",
// "2001:db8:1:2::/64"); "" for another family.
std::string clientKey(const sockaddr_storage& address);
// 127.0.0.0/8, ::1 or an IPv4-mapped 127.0.0.0/8: this host.
bool isLoopback(const sockaddr_storage& address);

class ConnectionTable {
 public:
  struct Client;
  // One per connection, owned by it (OWNER is handed back by ownerOf()).
  struct Entry {
    void* owner = nullptr;
    Client* client = nullptr;
    bool delivered = false;  // a whole request came in
    Entry* prev = nullptr;   // in the table's list (undelivered or delivered)
    Entry* next = nullptr;
    Entry* clientPrev = nullptr;  // in its client's list of the same kind
    Entry* clientNext = nullptr;
  };

  // First is the one to go: undelivered by accept, delivered by last activity.
  struct List {
    Entry* first = nullptr;
    Entry* last = nullptr;
  };
  struct Client {
    std::string key;
    bool capped = true;
    size_t count = 0;
    List undelivered, delivered;
  };

  ConnectionTable(size_t maxConnections, size_t maxPerClient);
  ConnectionTable(const ConnectionTable&) = delete;
  ConnectionTable& operator=(const ConnectionTable&) = delete;

  // The entry whose connection must close before a newcomer from KEY is
  // added (CAPPED: KEY is held to maxPerClient), or nullptr: room enough.
  Entry* victimFor(const std::string& key, bool capped) const;
  // Adds ENTRY, a newcomer from KEY, as the newest undelivered connection.
  void add(Entry* entry, const std::string& key, bool capped);
  // Takes ENTRY out (its connection closes); forgets a client left with none.
  void remove(Entry* entry);
  // ENTRY delivered a whole request: now among the delivered, the most recently active.
  void delivered(Entry* entry);
  // Bytes came in on ENTRY: a delivered one becomes the most recently active.
  void active(Entry* entry);

  size_t size() const { return size_; }
  size_t clients() const { return clients_.size(); }
  // Some entry, or nullptr when the table is empty.
  Entry* any() const;

 private:
  Entry* victimWithin(const Client& client) const;
  void recount(Client* client, size_t count);

  size_t maxConnections_, maxPerClient_;
  size_t size_ = 0;
  List undelivered_, delivered_;
  std::unordered_map<std::string, Client> clients_;  // nodes never move: entries point at them
  std::set<std::pair<size_t, Client*>> byCount_;     // the heaviest last
};

}  // namespace checker::peerd
