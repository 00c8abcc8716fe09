#include "state/state_store.h"

#include <fcntl.h>
#include <lmdb.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <mutex>
#include <set>
#include <utility>

#include "common/log.h"
#include "common/sys_error.h"
#include "common/unique_fd.h"
#include "state/schema_upgrade.h"

namespace checker {

namespace {

constexpr std::array<const char*, kStateDbCount> kDbNames = {
    "meta", "jobs", "history", "outbox", "email", "peers", "hourly", "incidents", "history_index", "channels", "silences"};
// A database that may be absent from a store of any version: added without
// a schema bump because a checkerd that does not know it loses nothing by
// leaving it alone (it opens only the databases it names). Read as empty
// when absent; created by the next checkerd that opens the store for writing.
constexpr uint32_t kOptional = 0;
// The schema version that added each database: a reader of an older store
// finds it absent and reads it as empty.
constexpr std::array<uint32_t, kStateDbCount> kDbSince = {1, 1, 1, 1, 1, 1, 2, 2, 2, kOptional, kOptional};
constexpr const char* kSchemaKey = "schema_version";
constexpr const char* kWriterLockFile = "/writer.lock";
constexpr mdb_mode_t kFileMode = 0640;  // data.mdb and lock.mdb
constexpr mode_t kDirectoryMode = 0750;

std::string reason(int rc) {
  std::string text = mdb_strerror(rc);  // strerror() for errno values
  if (rc == MDB_MAP_FULL) {
    text += " (the state filled its memory map; see StateStore::kMapSize)";
  } else if (rc == MDB_BAD_TXN) {
    text += " (an earlier put or erase in this transaction failed, so it cannot commit)";
  }
  return text;
}

[[noreturn]] void fail(const char* call, const std::string& what, int rc) {
  throw StateError(std::string(call) + "(" + what + "): " + reason(rc), rc);
}

void check(int rc, const char* call, const std::string& what) {
  if (rc != MDB_SUCCESS) fail(call, what, rc);
}

StateError noState(const std::string& dir) {
  return StateError("no state at " + dir + ": has checkerd run with this config?", ENOENT);
}

MDB_val toVal(std::string_view bytes) {
  // LMDB takes void* but never writes through the key or data of a lookup/put.
  return MDB_val{bytes.size(), const_cast<char*>(bytes.data())};
}

std::string_view toView(const MDB_val& val) {
  return {static_cast<const char*>(val.mv_data), val.mv_size};
}

// LMDB's lock file uses fcntl() locks, which belong to the process: a second
// environment on the same files in one process would find itself "alone",
// reset the reader table under the first, and drop its locks when closed.
// So each process registers the directories it has open (by device and inode).
class Registration {
 public:
  explicit Registration(const std::string& dir) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0) throw StateError(describeErrno("stat", dir, errno), errno);
    id_ = {st.st_dev, st.st_ino};
    Registry& reg = registry();
    std::lock_guard lock(reg.mutex);
    if (reg.pid != ::getpid()) {  // a forked child: the parent's entries are not ours
      reg.open.clear();
      reg.pid = ::getpid();
    }
    if (!reg.open.insert(id_).second) {
      throw StateError(
          "state at " + dir +
          " is already open in this process (LMDB allows one environment per process)");
    }
  }
  ~Registration() {
    Registry& reg = registry();
    std::lock_guard lock(reg.mutex);
    if (reg.pid == ::getpid()) reg.open.erase(id_);
  }
  Registration(const Registration&) = delete;
  Registration& operator=(const Registration&) = delete;

 private:
  struct Registry {
    std::mutex mutex;
    pid_t pid = 0;
    std::set<std::pair<dev_t, ino_t>> open;
  };
  static Registry& registry() {
    static Registry reg;
    return reg;
  }
  std::pair<dev_t, ino_t> id_;
};

// The pid a writer wrote into its lock file FD, or "" (it may be writing it
// just now).
std::string readLockHolder(int fd) {
  char text[24];
  ssize_t n = ::pread(fd, text, sizeof text - 1, 0);
  if (n <= 0) return "";
  std::string pid(text, static_cast<size_t>(n));
  while (!pid.empty() && pid.back() == '\n') pid.pop_back();
  for (char c : pid) {
    if (c < '0' || c > '9') return "";
  }
  return pid;
}

// flock(LOCK_EX | LOCK_NB), tried a few times over ~50 ms: StateStore::
// probeWriter holds a shared lock for an instant, and a writer starting
// just then must not be refused for it.
int lockExclusive(int fd) {
  for (int attempt = 0;; ++attempt) {
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return 0;
    if (errno != EWOULDBLOCK || attempt == 9) return errno;
    ::usleep(5'000);
  }
}

// DIR/writer.lock, held with flock(LOCK_EX) while a process has the state
// open for writing. flock, not fcntl: LMDB's own fcntl locks on lock.mdb
// belong to the process and must not be disturbed, and a flock belongs to
// the open file, which O_CLOEXEC keeps out of exec'd children.
class WriterLock {
 public:
  explicit WriterLock(const std::string& dir) : path_(dir + kWriterLockFile) {
    fd_.reset(::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, kFileMode));
    if (!fd_.valid()) throw StateError(describeErrno("open", path_, errno), errno);
    if (int err = lockExclusive(fd_.get()); err != 0) {
      std::string holder = readLockHolder(fd_.get());
      fd_.reset();
      if (err != EWOULDBLOCK) throw StateError(describeErrno("flock", path_, err), err);
      throw StateError("state at " + dir + " is open for writing by another process" +
                           (holder.empty() ? "" : " (pid " + holder + ")") +
                           ": checkerd is running on it, or checker import-state",
                       StateStore::kWriterBusy);
    }
    std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd_.get(), 0) != 0 || ::pwrite(fd_.get(), pid.data(), pid.size(), 0) < 0) {
      CHECKER_LOG_WARN("%s", describeErrno("write", path_, errno).c_str());  // the pid is for messages only
    }
  }
  ~WriterLock() = default;  // closing fd_ releases the lock
  WriterLock(const WriterLock&) = delete;
  WriterLock& operator=(const WriterLock&) = delete;

 private:
  std::string path_;
  UniqueFd fd_;
};

// Closes the environment only in the process that opened it: mdb_env_close()
// in a forked child would clear the parent's live reader slots.
struct EnvClose {
  pid_t owner;
  void operator()(MDB_env* env) const noexcept {
    if (::getpid() == owner) mdb_env_close(env);
  }
};

}  // namespace

namespace detail {

struct Environment {
  Environment(std::string dir, bool ro)
      : directory(std::move(dir)), readOnly(ro), registration(directory) {
    if (!readOnly) writerLock = std::make_unique<WriterLock>(directory);
  }

  std::string where(StateDb db) const { return directory + ", " + stateDbName(db); }
  MDB_dbi dbi(StateDb db) const { return dbis[static_cast<size_t>(db)]; }

  std::string directory;
  bool readOnly;
  Registration registration;  // declared before handle: released after the close
  std::unique_ptr<WriterLock> writerLock;  // a writer's; likewise released after the close
  std::unique_ptr<MDB_env, EnvClose> handle{nullptr, EnvClose{::getpid()}};
  std::array<MDB_dbi, kStateDbCount> dbis{};
  std::array<bool, kStateDbCount> absent{};  // read-only, older schema: reads find nothing
  uint32_t schemaVersion = 0;
  size_t maxKeySize = 0;
};

void TxnAbort::operator()(MDB_txn* txn) const noexcept { mdb_txn_abort(txn); }

}  // namespace detail

namespace {

using detail::Environment;
using TxnPtr = std::unique_ptr<MDB_txn, detail::TxnAbort>;

TxnPtr beginTxn(const Environment& env, unsigned flags) {
  MDB_txn* txn = nullptr;
  check(mdb_txn_begin(env.handle.get(), nullptr, flags, &txn), "mdb_txn_begin", env.directory);
  return TxnPtr(txn);
}

void commitTxn(const Environment& env, TxnPtr txn) {
  // mdb_txn_commit frees the transaction whether or not it succeeds.
  check(mdb_txn_commit(txn.release()), "mdb_txn_commit", env.directory);
}

void checkKey(const Environment& env, StateDb db, std::string_view key) {
  if (key.empty() || key.size() > env.maxKeySize) {
    throw StateError("key of " + std::to_string(key.size()) + " bytes in " + env.where(db) +
                         ": LMDB keys are 1 to " + std::to_string(env.maxKeySize) + " bytes",
                     MDB_BAD_VALSIZE);
  }
}

std::optional<std::string_view> lookup(const Environment& env, MDB_txn* txn, StateDb db,
                                       std::string_view key) {
  checkKey(env, db, key);
  if (env.absent[static_cast<size_t>(db)]) return std::nullopt;
  MDB_val k = toVal(key);
  MDB_val v{};
  int rc = mdb_get(txn, env.dbi(db), &k, &v);
  if (rc == MDB_NOTFOUND) return std::nullopt;
  check(rc, "mdb_get", env.where(db));
  return toView(v);
}

void store(const Environment& env, MDB_txn* txn, StateDb db, std::string_view key,
           std::string_view value) {
  checkKey(env, db, key);
  MDB_val k = toVal(key);
  MDB_val v = toVal(value);
  check(mdb_put(txn, env.dbi(db), &k, &v, 0), "mdb_put", env.where(db));
}

struct CursorClose {
  void operator()(MDB_cursor* cursor) const noexcept { mdb_cursor_close(cursor); }
};

// Visits the keys starting with prefix (all keys when it is empty) from the
// first one >= from (from empty: from the first).
void scan(const Environment& env, MDB_txn* txn, StateDb db, std::string_view prefix,
          std::string_view from, const StateReader::Visitor& fn) {
  if (!prefix.empty()) checkKey(env, db, prefix);
  if (from.size() < prefix.size()) from = prefix;
  if (!from.empty()) checkKey(env, db, from);
  if (env.absent[static_cast<size_t>(db)]) return;
  MDB_cursor* raw = nullptr;
  check(mdb_cursor_open(txn, env.dbi(db), &raw), "mdb_cursor_open", env.where(db));
  std::unique_ptr<MDB_cursor, CursorClose> cursor(raw);
  MDB_val k = toVal(from);
  MDB_val v{};
  int rc = mdb_cursor_get(raw, &k, &v, from.empty() ? MDB_FIRST : MDB_SET_RANGE);
  while (rc == MDB_SUCCESS) {
    std::string_view key = toView(k);
    if (!key.starts_with(prefix) || !fn(key, toView(v))) return;
    rc = mdb_cursor_get(raw, &k, &v, MDB_NEXT);
  }
  if (rc != MDB_NOTFOUND) fail("mdb_cursor_get", env.where(db), rc);
}

// The keys with PREFIX from the last one down: the cursor is set on the
// first key past every key with the prefix, then stepped back.
void scanBackward(const Environment& env, MDB_txn* txn, StateDb db, std::string_view prefix,
                  const StateReader::Visitor& fn) {
  checkKey(env, db, prefix);
  if (env.absent[static_cast<size_t>(db)]) return;
  MDB_cursor* raw = nullptr;
  check(mdb_cursor_open(txn, env.dbi(db), &raw), "mdb_cursor_open", env.where(db));
  std::unique_ptr<MDB_cursor, CursorClose> cursor(raw);
  // The smallest key above all that start with PREFIX: its last byte below
  // 0xff raised by one, what follows dropped; none when it is all 0xff.
  std::string past(prefix);
  while (!past.empty() && static_cast<unsigned char>(past.back()) == 0xff) past.pop_back();
  MDB_val k{}, v{};
  int rc = MDB_NOTFOUND;
  if (!past.empty()) {
    past.back() = static_cast<char>(static_cast<unsigned char>(past.back()) + 1);
    k = toVal(past);
    rc = mdb_cursor_get(raw, &k, &v, MDB_SET_RANGE);
  }
  rc = rc == MDB_SUCCESS ? mdb_cursor_get(raw, &k, &v, MDB_PREV) : mdb_cursor_get(raw, &k, &v, MDB_LAST);
  while (rc == MDB_SUCCESS) {
    std::string_view key = toView(k);
    if (!key.starts_with(prefix) || !fn(key, toView(v))) return;
    rc = mdb_cursor_get(raw, &k, &v, MDB_PREV);
  }
  if (rc != MDB_NOTFOUND) fail("mdb_cursor_get", env.where(db), rc);
}

// True while the environment holds no named database yet: a new store.
bool isEmpty(const Environment& env, MDB_txn* txn) {
  MDB_dbi main = 0;
  check(mdb_dbi_open(txn, nullptr, 0, &main), "mdb_dbi_open", env.directory);
  MDB_stat st{};
  check(mdb_stat(txn, main, &st), "mdb_stat", env.directory);
  return st.ms_entries == 0;
}

void openDatabases(Environment& env, MDB_txn* txn, unsigned flags) {
  for (size_t i = 0; i < kStateDbCount; ++i) {
    int rc = mdb_dbi_open(txn, kDbNames[i], flags, &env.dbis[i]);
    if (rc == MDB_NOTFOUND && kDbSince[i] != 1) {
      env.absent[i] = true;  // an older schema; checked against its version once read
      continue;
    }
    if (rc == MDB_NOTFOUND) {
      throw StateError("state at " + env.directory + " has no database '" + kDbNames[i] +
                           "': not a checker state, or damaged",
                       rc);
    }
    check(rc, "mdb_dbi_open", env.where(static_cast<StateDb>(i)));
  }
}

std::string printable(std::string_view text) {
  std::string out(text.substr(0, 40));
  for (char& c : out) {
    if (c < 0x20 || c > 0x7e) c = '?';
  }
  return out;
}

uint32_t parseSchemaVersion(const Environment& env, std::optional<std::string_view> text) {
  const std::string& dir = env.directory;
  if (!text) {
    throw StateError("state at " + dir + " has no schema_version in its meta database: " +
                     "not a checker state, or damaged");
  }
  uint32_t version = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), version);
  if (ec != std::errc() || end != text->data() + text->size() || version == 0) {
    throw StateError("state at " + dir + " has an unreadable schema_version \"" + printable(*text) +
                     "\": not a checker state, or damaged");
  }
  if (version > StateStore::kSchemaVersion) {
    throw StateError("state at " + dir + " has schema version " + std::to_string(version) +
                     ", newer than this checker's " + std::to_string(StateStore::kSchemaVersion) +
                     ": it was written by a newer checker; upgrade checker to use it");
  }
  return version;
}

// A database that a store of this version must have but lacks: damaged.
void requireDatabasesOf(const Environment& env) {
  for (size_t i = 0; i < kStateDbCount; ++i) {
    if (env.absent[i] && kDbSince[i] != kOptional && kDbSince[i] <= env.schemaVersion) {
      throw StateError("state at " + env.directory + " has no database '" + kDbNames[i] +
                           "': not a checker state, or damaged",
                       MDB_NOTFOUND);
    }
  }
}

std::unique_ptr<Environment> openEnvironment(const std::string& dir, bool readOnly,
                                             size_t mapSize) {
  auto env = std::make_unique<Environment>(dir, readOnly);
  MDB_env* raw = nullptr;
  check(mdb_env_create(&raw), "mdb_env_create", dir);
  env->handle.reset(raw);  // from here on closed by the handle, even if open fails
  check(mdb_env_set_maxdbs(raw, kStateDbCount), "mdb_env_set_maxdbs", dir);
  // A reader leaves the map size alone and takes the writer's from the file.
  if (!readOnly) check(mdb_env_set_mapsize(raw, mapSize), "mdb_env_set_mapsize", dir);
  // MDB_NOTLS: a reader slot belongs to the transaction, not to the thread.
  // No MDB_NOSYNC: a commit returns only after fdatasync().
  unsigned flags = MDB_NOTLS | (readOnly ? MDB_RDONLY : 0u);
  int rc = mdb_env_open(raw, dir.c_str(), flags, kFileMode);
  if (rc == ENOENT && readOnly) throw noState(dir);
  check(rc, "mdb_env_open", dir);
  env->maxKeySize = static_cast<size_t>(mdb_env_get_maxkeysize(raw));
  return env;
}

void makeDirectory(const std::string& dir) {
  if (::mkdir(dir.c_str(), kDirectoryMode) != 0 && errno != EEXIST) {
    throw StateError(describeErrno("mkdir", dir, errno), errno);
  }
}

// A reader must not call mdb_env_open on a missing or still empty data file:
// LMDB would create lock.mdb, then fail obscurely (EBADF writing the header).
void requireExistingState(const std::string& dir) {
  std::string data = dir + "/data.mdb";
  struct stat st {};
  if (::stat(data.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) throw noState(dir);
    throw StateError(describeErrno("stat", data, errno), errno);
  }
  if (st.st_size == 0) throw noState(dir);
}

// Slots of readers that died inside a read transaction (a killed CLI) would
// otherwise pin old pages and keep the file growing.
void freeDeadReaders(const Environment& env) {
  int dead = 0;
  check(mdb_reader_check(env.handle.get(), &dead), "mdb_reader_check", env.directory);
  if (dead > 0) {
    CHECKER_LOG_INFO("state %s: freed %d reader slot(s) of dead processes", env.directory.c_str(),
                     dead);
  }
}

}  // namespace

const char* stateDbName(StateDb db) { return kDbNames.at(static_cast<size_t>(db)); }

StateError::StateError(const std::string& message, int code)
    : std::runtime_error(message), code_(code) {}

// --- transactions -------------------------------------------------------

StateReader::StateReader(const Environment* env, MDB_txn* txn) : env_(env), txn_(txn) {}

MDB_txn* StateReader::handle() const {
  if (!txn_) throw StateError("transaction on state already ended (committed or moved from)");
  return txn_.get();
}

std::optional<std::string_view> StateReader::get(StateDb db, std::string_view key) const {
  return lookup(*env_, handle(), db, key);
}

void StateReader::forEach(StateDb db, const Visitor& fn) const {
  scan(*env_, handle(), db, {}, {}, fn);
}

void StateReader::forEachWithPrefix(StateDb db, std::string_view prefix, const Visitor& fn) const {
  scan(*env_, handle(), db, prefix, prefix, fn);
}

void StateReader::forEachWithPrefixFrom(StateDb db, std::string_view prefix, std::string_view from,
                                        const Visitor& fn) const {
  scan(*env_, handle(), db, prefix, from, fn);
}

void StateReader::forEachWithPrefixBackward(StateDb db, std::string_view prefix, const Visitor& fn) const {
  scanBackward(*env_, handle(), db, prefix, fn);
}

size_t StateReader::count(StateDb db) const {
  if (env_->absent[static_cast<size_t>(db)]) return 0;
  MDB_stat st{};
  check(mdb_stat(handle(), env_->dbi(db), &st), "mdb_stat", env_->where(db));
  return st.ms_entries;
}

void WriteTransaction::put(StateDb db, std::string_view key, std::string_view value) {
  store(env(), handle(), db, key, value);
}

bool WriteTransaction::erase(StateDb db, std::string_view key) {
  checkKey(env(), db, key);
  MDB_val k = toVal(key);
  int rc = mdb_del(handle(), env().dbi(db), &k, nullptr);
  if (rc == MDB_NOTFOUND) return false;
  check(rc, "mdb_del", env().where(db));
  return true;
}

void WriteTransaction::commit() {
  handle();  // throws when already ended
  commitTxn(env(), release());
}

// --- the store ----------------------------------------------------------

StateStore::StateStore(std::unique_ptr<Environment> env) : env_(std::move(env)) {}
StateStore::StateStore(StateStore&&) noexcept = default;
StateStore& StateStore::operator=(StateStore&&) noexcept = default;
StateStore::~StateStore() = default;

StateStore StateStore::openForWriting(const std::string& directory, size_t mapSize) {
  makeDirectory(directory);
  std::unique_ptr<Environment> env = openEnvironment(directory, false, mapSize);
  freeDeadReaders(*env);
  TxnPtr txn = beginTxn(*env, 0);
  const bool fresh = isEmpty(*env, txn.get());
  openDatabases(*env, txn.get(), MDB_CREATE);
  if (fresh) store(*env, txn.get(), StateDb::meta, kSchemaKey, std::to_string(kSchemaVersion));
  const uint32_t found = parseSchemaVersion(*env, lookup(*env, txn.get(), StateDb::meta, kSchemaKey));
  WriteTransaction write(env.get(), txn.release());
  if (found < kSchemaVersion) {
    upgradeSchema(write, found);  // in the same transaction: all of it or nothing
    write.put(StateDb::meta, kSchemaKey, std::to_string(kSchemaVersion));
  }
  write.commit();
  env->schemaVersion = kSchemaVersion;
  if (fresh) {
    CHECKER_LOG_INFO("state %s: created (schema version %u)", directory.c_str(), kSchemaVersion);
  } else if (found < kSchemaVersion) {
    CHECKER_LOG_INFO("state %s: upgraded from schema version %u to %u", directory.c_str(), found, kSchemaVersion);
  }
  return StateStore(std::move(env));
}

StateStore StateStore::openReadOnly(const std::string& directory) {
  requireExistingState(directory);
  std::unique_ptr<Environment> env = openEnvironment(directory, true, 0);
  TxnPtr txn = beginTxn(*env, MDB_RDONLY);
  if (isEmpty(*env, txn.get())) throw noState(directory);  // checkerd is still creating it
  openDatabases(*env, txn.get(), 0);
  env->schemaVersion = parseSchemaVersion(*env, lookup(*env, txn.get(), StateDb::meta, kSchemaKey));
  requireDatabasesOf(*env);
  commitTxn(*env, std::move(txn));  // a committed read keeps the database handles open
  return StateStore(std::move(env));
}

StateStore::WriterProbe StateStore::probeWriter(const std::string& directory) {
  std::string path = directory + kWriterLockFile;
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd.valid()) {
    if (errno == ENOENT) return {};  // no writer ever opened it
    throw StateError(describeErrno("open", path, errno), errno);
  }
  WriterProbe probe;
  if (::flock(fd.get(), LOCK_SH | LOCK_NB) == 0) {
    ::flock(fd.get(), LOCK_UN);
  } else if (errno == EWOULDBLOCK) {
    probe.held = true;
    probe.pid = readLockHolder(fd.get());
  } else {
    int err = errno;
    throw StateError(describeErrno("flock", path, err), err);
  }
  return probe;
}

const Environment& StateStore::environment() const {
  if (!env_) throw StateError("use of a moved-from StateStore");
  return *env_;
}

ReadTransaction StateStore::beginRead() const {
  const Environment& env = environment();
  return ReadTransaction(&env, beginTxn(env, MDB_RDONLY).release());
}

WriteTransaction StateStore::beginWrite() {
  const Environment& env = environment();
  if (env.readOnly) {
    throw StateError("beginWrite(" + env.directory + "): the state was opened read-only", EACCES);
  }
  return WriteTransaction(&env, beginTxn(env, 0).release());
}

uint32_t StateStore::schemaVersion() const { return environment().schemaVersion; }
const std::string& StateStore::directory() const { return environment().directory; }
bool StateStore::readOnly() const { return environment().readOnly; }

}  // namespace checker
