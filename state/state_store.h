#pragma once
// The LMDB state of checker: one environment, written only by checkerd and
// read by the CLI while checkerd runs.
//
// On-disk layout (the format; change it only with a schema version bump):
//   DIR/data.mdb   the LMDB data file (mode 0640, directory 0750)
//   DIR/lock.mdb   LMDB's reader table; a reader needs write access to it,
//                  so the CLI runs as the service user or root
//   DIR/writer.lock  held with flock(LOCK_EX) by the one process that has the
//                  state open for writing (checkerd, or checker import-state)
//                  for as long as it has it open; holds that process's pid
//                  as decimal text, for messages only. The kernel drops the
//                  lock when the process dies, however it dies.
//   named databases, keys plain byte strings, values as in ipc/state.capnp:
//     meta     "schema_version" -> decimal text, currently "2"; "heartbeat"
//     jobs     job id -> JobState
//     history  job id + "\0" + 16 hex digits of start ms -> RunRecord
//     outbox   16 hex digits of the entry id -> OutboxEntry
//     email    "selfcheck" -> EmailState
//     peers    peer name -> PeerState
//     hourly, incidents, history_index (schema 2): see ipc/state.capnp
//     channels channel name -> ChannelHealth (optional at every schema
//              version: added without a bump, state/channel_health.h)
//     silences "silence:" + 16 hex id -> Silence, "next_id" -> decimal text
//              (optional as channels is: state/silences.h)
//   A store whose schema_version is newer than kSchemaVersion is refused (by
//   readers too: they could misread it); a store without one is not ours.
//   An older one is upgraded in place when opened for writing
//   (state/schema_upgrade.h); opened read-only (the CLI before checkerd
//   restarted), the databases it lacks read as empty.
//
// Rules that LMDB imposes on callers:
//   - One StateStore per directory per process (a second open in the same
//     process would reset LMDB's lock file; openFor* refuses it).
//   - Never use a store across fork(): the child opens its own, or execs.
//   - One write transaction at a time per store; beginWrite() blocks while
//     another process or thread writes. Opening a second one on the same
//     thread deadlocks.
//   - Views returned by get()/forEach() point into the map and are valid
//     until the transaction ends (in a write transaction: until its next
//     put or erase). Copy what must outlive it.
//   - LMDB keys are 1..511 bytes; longer or empty keys are a StateError.
//   - Transactions must end before their store is destroyed.
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

struct MDB_txn;  // from <lmdb.h>, kept out of this header

namespace checker {

// The named databases of DESIGN.md, section "State (LMDB)".
enum class StateDb { meta, jobs, history, outbox, email, peers, hourly, incidents, historyIndex, channels, silences };
inline constexpr size_t kStateDbCount = 11;
// The database's name inside the environment: "meta", "jobs", ...
const char* stateDbName(StateDb db);

// Every failure of the store, worded "call(DIR): reason", e.g.
// "mdb_env_open(/var/lib/checker): Permission denied".
class StateError : public std::runtime_error {
 public:
  explicit StateError(const std::string& message, int code = 0);
  // The LMDB or errno code of the failed call (e.g. MDB_MAP_FULL), else 0.
  int code() const noexcept { return code_; }

 private:
  int code_;
};

namespace detail {
struct Environment;
struct TxnAbort {
  void operator()(MDB_txn* txn) const noexcept;
};
}  // namespace detail

// The read calls shared by both transaction kinds. Code that only reads
// takes a `const StateReader&` and so works inside a write transaction too.
// It owns the LMDB transaction and aborts it when destroyed.
class StateReader {
 public:
  using Visitor = std::function<bool(std::string_view key, std::string_view value)>;

  std::optional<std::string_view> get(StateDb db, std::string_view key) const;
  // Calls fn(key, value) in key order (bytewise); fn returns false to stop.
  void forEach(StateDb db, const Visitor& fn) const;
  void forEachWithPrefix(StateDb db, std::string_view prefix, const Visitor& fn) const;
  // The keys starting with prefix that are >= from (from starts with prefix).
  void forEachWithPrefixFrom(StateDb db, std::string_view prefix, std::string_view from, const Visitor& fn) const;
  // The keys starting with prefix, in reverse key order (the newest first
  // where keys end in a time): a "latest N" read that touches only N.
  void forEachWithPrefixBackward(StateDb db, std::string_view prefix, const Visitor& fn) const;
  size_t count(StateDb db) const;

 protected:
  StateReader(const detail::Environment* env, MDB_txn* txn);
  StateReader(StateReader&&) noexcept = default;
  StateReader& operator=(StateReader&&) noexcept = default;
  ~StateReader() = default;  // not polymorphic: never deleted through a base pointer

  // The open transaction; throws when it was committed or moved from.
  MDB_txn* handle() const;
  const detail::Environment& env() const { return *env_; }
  std::unique_ptr<MDB_txn, detail::TxnAbort> release() { return std::move(txn_); }

 private:
  const detail::Environment* env_;
  std::unique_ptr<MDB_txn, detail::TxnAbort> txn_;
};

// A snapshot: sees the state as of beginRead(), whatever commits later.
class ReadTransaction : public StateReader {
 public:
  ReadTransaction(ReadTransaction&&) noexcept = default;
  ReadTransaction& operator=(ReadTransaction&&) noexcept = default;

 private:
  friend class StateStore;
  ReadTransaction(const detail::Environment* env, MDB_txn* txn) : StateReader(env, txn) {}
};

// Sees its own writes; aborted when destroyed unless commit() was called.
class WriteTransaction : public StateReader {
 public:
  WriteTransaction(WriteTransaction&&) noexcept = default;
  WriteTransaction& operator=(WriteTransaction&&) noexcept = default;

  void put(StateDb db, std::string_view key, std::string_view value);
  bool erase(StateDb db, std::string_view key);  // false when absent
  // Durable on return (fdatasync, no MDB_NOSYNC): survives a kill of this
  // process, and a machine crash as far as the disk honours the flush.
  // Throws StateError; the transaction is over either way.
  void commit();

 private:
  friend class StateStore;
  WriteTransaction(const detail::Environment* env, MDB_txn* txn) : StateReader(env, txn) {}
};

class StateStore {
 public:
  // 2: hourly aggregates, incidents and the history index (issue 17).
  static constexpr uint32_t kSchemaVersion = 2;
  // Address space reserved for the map. It is virtual memory, not disk: the
  // file grows only as data is written. History at the default retention
  // takes about 1.3 MB per job run once a minute (BENCHMARKS.md, "History
  // growth"), so 1,000 such jobs pass 1 GiB; 8 GiB leaves room for ~6,000
  // at the defaults, or longer retention. When full, put() (rarely commit()) throws a
  // StateError with code() MDB_MAP_FULL and the transaction must be dropped.
  static constexpr size_t kMapSize = size_t{8} << 30;

  // Creates DIR (0750) when absent, every named database, and meta
  // "schema_version" when new; frees reader slots of dead processes.
  // mapSize other than the default is for tests of a full map.
  // One writer at a time: while another process has the state open for
  // writing (DIR/writer.lock), throws a StateError with code()
  // kWriterBusy that names that process's pid. LMDB alone would let a
  // second writer in and serialise the two, so an import could change the
  // state under a running checkerd, whose in-memory records would then
  // overwrite it.
  static StateStore openForWriting(const std::string& directory, size_t mapSize = kMapSize);
  // The code() of the StateError above (EWOULDBLOCK).
  static constexpr int kWriterBusy = EWOULDBLOCK;
  // For the CLI while checkerd writes: creates nothing, and fails with
  // "no state at DIR: has checkerd run with this config?" before checkerd
  // has run.
  static StateStore openReadOnly(const std::string& directory);

  // Whether a process has the state at DIRECTORY open for writing now
  // (holds DIR/writer.lock), and its pid as it wrote it ("" when unknown).
  // It takes a shared flock for an instant, which a writer starting just
  // then waits out. Throws StateError when the lock file cannot be opened
  // for a reason other than its absence (absent: no writer).
  struct WriterProbe {
    bool held = false;
    std::string pid;
  };
  static WriterProbe probeWriter(const std::string& directory);

  StateStore(StateStore&&) noexcept;
  StateStore& operator=(StateStore&&) noexcept;
  ~StateStore();

  ReadTransaction beginRead() const;
  WriteTransaction beginWrite();  // throws StateError on a read-only store

  uint32_t schemaVersion() const;
  const std::string& directory() const;
  bool readOnly() const;

 private:
  explicit StateStore(std::unique_ptr<detail::Environment> env);
  const detail::Environment& environment() const;  // throws when moved from
  // Heap-held so that transactions keep a stable pointer across moves.
  std::unique_ptr<detail::Environment> env_;
};

}  // namespace checker
