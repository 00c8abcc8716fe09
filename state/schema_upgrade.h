#pragma once
// Upgrades an older LMDB state in place, inside the transaction that opens
// it for writing (StateStore::openForWriting), so a crash leaves the old
// version whole. Version 1 -> 2 keeps every record and adds what schema 2
// derives from them: each job's history index (its run count), hourly
// aggregates rebuilt from the raw runs kept, and an open incident for each
// job the policy holds failing.
#include <cstdint>

#include "state/state_store.h"

namespace checker {

// Brings the store from schema FROM to StateStore::kSchemaVersion; the
// caller then records the new version. Throws StateError.
void upgradeSchema(WriteTransaction& txn, uint32_t from);

}  // namespace checker
