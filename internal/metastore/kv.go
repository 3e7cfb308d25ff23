package metastore

import "context"

// KVEntry is one key of the KV part of the metadata store.
type KVEntry struct {
	Key   string
	Value []byte
	// Version counts the writes of the key since it was (last) created:
	// 1 after the create, +1 per update.
	Version int64
}

// KVAbsent and KVAny are the special KVOp.Expect values.
const (
	// KVAbsent expects the key not to exist (a create).
	KVAbsent int64 = 0
	// KVAny applies the op whatever the key's version (or absence).
	KVAny int64 = -1
)

// KVOp is one write of a KVApply transaction.
type KVOp struct {
	Key string
	// Expect is the version the key must have for the transaction to
	// apply: KVAbsent, KVAny, or a version from a read.
	Expect int64
	// Value is the new value; ignored when Delete is set.
	Value []byte
	// Delete removes the key (deleting an absent key with KVAny is a no-op).
	Delete bool
}

// KV is a small transactional key-value space in the metadata store, for
// the parts of Tributary that keep a few durable, shared records with
// compare-and-swap semantics and need no tables of their own: the schema
// registry (subjects, versions, ids, configs) and the Iceberg REST catalog
// (namespaces, tables and their metadata locations). Every broker sharing
// the store sees the same keys, so every broker serves the same registry
// and catalog. Callers name their keys with a prefix of their own
// ("registry/…", "catalog/…").
//
// Contract (checked by metastoretest):
//   - KVGet returns the entry (ErrUnknownKey when absent).
//   - KVList returns up to limit entries whose keys start with prefix and
//     sort after after (byte-wise), in key order; limit < 1 means no limit.
//   - KVApply applies every op or none, atomically and durably: if any op's
//     Expect does not hold, nothing changes and the error wraps
//     ErrConflict and names the key. It returns, parallel to ops, the
//     entries as written (a deleted key's entry has Version 0). A key may
//     appear at most once per call.
//   - Keys are non-empty and at most 1024 bytes of UTF-8 text without
//     NUL (Postgres keeps them as text, which holds neither invalid UTF-8
//     nor NUL; every backend refuses them alike); values at most 16 MiB;
//     anything else (an Expect below KVAny, a key twice in one KVApply, a
//     KVList prefix or after that is longer than a key or not such text;
//     both may be empty) is ErrInvalidRequest. See MaxKVKeyLen and
//     MaxKVValueLen.
//   - KVApply with no ops changes nothing and returns no entries.
type KV interface {
	KVGet(ctx context.Context, key string) (KVEntry, error)
	KVList(ctx context.Context, prefix, after string, limit int) ([]KVEntry, error)
	KVApply(ctx context.Context, ops []KVOp) ([]KVEntry, error)
}
