#pragma once
// Placeholder; the LMDB state store is written next.
