#pragma once
// Silences: `checker silence JOB | --tag T | --all --for 2h --reason ...`
// quiets jobs' notices until a time; they survive a restart and a kill -9,
// and expire by themselves.
//
// The `silences` database (ipc Silence) holds one row per silence, keyed
// "silence:" + 16 hex digits of its id, and "next_id" -> the next id as
// decimal text: ids only grow and are never given twice, even after a
// removal, a purge or a reopen. checkerd is the only writer
// (supervisor/silence_book.h): it writes a silence in a write transaction
// of its own, committed (fsync'd) before the request is answered.
//
// The database is optional at every schema version, as `channels` is
// (state/state_store.h): a checkerd that predates it never opens it, and a
// reader of a store without it reads no silences; adding it bumps nothing.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "config/job_selector.h"
#include "ipc/state.capnp.h"
#include "state/state_store.h"

namespace checker {

// A reason is cleaned as job messages are (common/utf8_text.h: one line,
// valid UTF-8, controls escaped) and cut to this.
inline constexpr size_t kMaxSilenceReasonBytes = 500;
// A job name or glob, or a tag. With the reason, this keeps the list of
// 1,000 silences (their most) in one control reply under 1 MiB.
inline constexpr size_t kMaxSilenceValueBytes = 128;

struct Silence {
  uint64_t id = 0;
  ipc::SilenceKind kind = ipc::SilenceKind::JOB;
  std::string value = {};  // job name or glob; tag; "" for all
  std::string reason = {};
  int64_t createdUnixMs = 0;
  int64_t endsUnixMs = 0;  // expired at and after this instant
  int64_t uid = -1;        // who asked; -1 unknown
};

// The jobs S covers.
JobSelector selectorOf(const Silence& s);
// For people: "web", "web*", "tag db", "all jobs".
std::string describeSelector(const Silence& s);

// Stores S under the next id, its reason cleaned and cut; returns it as stored.
Silence addSilence(WriteTransaction& txn, Silence s);
// Deletes silence ID; false when there is none.
bool removeSilence(WriteTransaction& txn, uint64_t id);
// The silences still active at NOW (endsUnixMs > NOW), by id. Rows that do
// not decode are skipped.
std::vector<Silence> readSilences(const StateReader& txn, int64_t nowUnixMs);
// Deletes the rows expired at NOW (and any that do not decode); how many.
size_t purgeExpiredSilences(WriteTransaction& txn, int64_t nowUnixMs);

}  // namespace checker
