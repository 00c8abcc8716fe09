#include "peerd/connection_table.h"

#include <netinet/in.h>

#include <cstring>

#include <uv.h>

namespace checker::peerd {
namespace {

using Entry = ConnectionTable::Entry;
using List = ConnectionTable::List;

// The table's lists link through prev/next, a client's through clientPrev/clientNext.
template <Entry* Entry::*Prev, Entry* Entry::*Next>
void pushBack(List* list, Entry* e) {
  e->*Prev = list->last;
  e->*Next = nullptr;
  if (list->last != nullptr) list->last->*Next = e;
  list->last = e;
  if (list->first == nullptr) list->first = e;
}

template <Entry* Entry::*Prev, Entry* Entry::*Next>
void unlink(List* list, Entry* e) {
  if (e->*Prev != nullptr) (e->*Prev)->*Next = e->*Next;
  if (e->*Next != nullptr) (e->*Next)->*Prev = e->*Prev;
  if (list->first == e) list->first = e->*Next;
  if (list->last == e) list->last = e->*Prev;
  e->*Prev = e->*Next = nullptr;
}

constexpr auto pushTable = pushBack<&Entry::prev, &Entry::next>;
constexpr auto unlinkTable = unlink<&Entry::prev, &Entry::next>;
constexpr auto pushClient = pushBack<&Entry::clientPrev, &Entry::clientNext>;
constexpr auto unlinkClient = unlink<&Entry::clientPrev, &Entry::clientNext>;

// The oldest undelivered, else the longest idle delivered.
Entry* firstToGo(const List& undelivered, const List& delivered) {
  return undelivered.first != nullptr ? undelivered.first : delivered.first;
}

bool isMappedIpv4(const in6_addr& a) {
  static const uint8_t kPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return std::memcmp(a.s6_addr, kPrefix, sizeof kPrefix) == 0;
}

}  // namespace

std::string clientKey(const sockaddr_storage& address) {
  char text[INET6_ADDRSTRLEN] = {};
  if (address.ss_family == AF_INET) {
    uv_ip4_name(reinterpret_cast<const sockaddr_in*>(&address), text, sizeof text);
    return text;
  }
  if (address.ss_family != AF_INET6) return "";
  const in6_addr& a = reinterpret_cast<const sockaddr_in6*>(&address)->sin6_addr;
  if (isMappedIpv4(a)) {  // a dual-stack listener's IPv4 client: its own address, not the /64 of all IPv4
    sockaddr_in v4{};
    v4.sin_family = AF_INET;
    std::memcpy(&v4.sin_addr, a.s6_addr + 12, 4);
    uv_ip4_name(&v4, text, sizeof text);
    return text;
  }
  sockaddr_in6 prefix{};  // the /64: a host's addresses, as one client
  prefix.sin6_family = AF_INET6;
  std::memcpy(prefix.sin6_addr.s6_addr, a.s6_addr, 8);
  uv_ip6_name(&prefix, text, sizeof text);
  return std::string(text) + "/64";
}

bool isLoopback(const sockaddr_storage& address) {
  if (address.ss_family == AF_INET) {
    return (ntohl(reinterpret_cast<const sockaddr_in*>(&address)->sin_addr.s_addr) >> 24) == 127;
  }
  if (address.ss_family != AF_INET6) return false;
  const in6_addr& a = reinterpret_cast<const sockaddr_in6*>(&address)->sin6_addr;
  return IN6_IS_ADDR_LOOPBACK(&a) || (isMappedIpv4(a) && a.s6_addr[12] == 127);
}

ConnectionTable::ConnectionTable(size_t maxConnections, size_t maxPerClient)
    : maxConnections_(maxConnections), maxPerClient_(maxPerClient) {}

ConnectionTable::Entry* ConnectionTable::victimFor(const std::string& key, bool capped) const {
  if (capped) {
    auto it = clients_.find(key);
    if (it != clients_.end() && it->second.count >= maxPerClient_) return victimWithin(it->second);
  }
  if (size_ < maxConnections_ || byCount_.empty()) return nullptr;
  const Client* heaviest = byCount_.rbegin()->second;
  if (heaviest->count > 1) return victimWithin(*heaviest);
  return firstToGo(undelivered_, delivered_);  // one each: no client to blame, the oldest goes
}

ConnectionTable::Entry* ConnectionTable::victimWithin(const Client& client) const {
  return firstToGo(client.undelivered, client.delivered);
}

void ConnectionTable::add(Entry* entry, const std::string& key, bool capped) {
  Client& client = clients_[key];
  if (client.count == 0) {
    client.key = key;
    client.capped = capped;
  }
  entry->client = &client;
  entry->delivered = false;
  pushTable(&undelivered_, entry);
  pushClient(&client.undelivered, entry);
  ++size_;
  recount(&client, client.count + 1);
}

void ConnectionTable::remove(Entry* entry) {
  Client* client = entry->client;
  if (client == nullptr) return;
  unlinkTable(entry->delivered ? &delivered_ : &undelivered_, entry);
  unlinkClient(entry->delivered ? &client->delivered : &client->undelivered, entry);
  entry->client = nullptr;
  --size_;
  recount(client, client->count - 1);
  if (client->count == 0) clients_.erase(client->key);
}

void ConnectionTable::delivered(Entry* entry) {
  Client* client = entry->client;
  if (client == nullptr) return;
  if (entry->delivered) return active(entry);
  unlinkTable(&undelivered_, entry);
  unlinkClient(&client->undelivered, entry);
  entry->delivered = true;
  pushTable(&delivered_, entry);
  pushClient(&client->delivered, entry);
}

void ConnectionTable::active(Entry* entry) {
  Client* client = entry->client;
  if (client == nullptr || !entry->delivered) return;  // the undelivered stay in accept order
  if (delivered_.last != entry) {
    unlinkTable(&delivered_, entry);
    pushTable(&delivered_, entry);
  }
  if (client->delivered.last != entry) {
    unlinkClient(&client->delivered, entry);
    pushClient(&client->delivered, entry);
  }
}

ConnectionTable::Entry* ConnectionTable::any() const { return firstToGo(undelivered_, delivered_); }

void ConnectionTable::recount(Client* client, size_t count) {
  if (client->count > 0) byCount_.erase({client->count, client});
  client->count = count;
  if (count > 0) byCount_.insert({count, client});
}

}  // namespace checker::peerd
