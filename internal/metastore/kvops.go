package metastore

import (
	"bytes"
	"fmt"
)

// CheckKVExpect checks op's Expect against the stored version of its key
// (0: absent) and returns an error that wraps ErrConflict and names the
// key when it does not hold. Every backend's KVApply calls it on the
// versions it read (and locked), so the rule lives in one place.
func CheckKVExpect(op KVOp, stored int64) error {
	switch {
	case op.Expect == KVAny || op.Expect == stored:
		return nil
	case op.Expect == KVAbsent:
		return fmt.Errorf("key %q exists at version %d, expected absent: %w", op.Key, stored, ErrConflict)
	case stored == 0:
		return fmt.Errorf("key %q is absent, expected version %d: %w", op.Key, op.Expect, ErrConflict)
	default:
		return fmt.Errorf("key %q is at version %d, expected %d: %w", op.Key, stored, op.Expect, ErrConflict)
	}
}

// KVWritten is the entry op leaves when applied over the stored version
// (0: absent): version 0 without a value for a delete, else the next
// version (1 for a create) with a copy of the value, never nil.
func KVWritten(op KVOp, stored int64) KVEntry {
	if op.Delete {
		return KVEntry{Key: op.Key}
	}
	value := bytes.Clone(op.Value)
	if value == nil {
		value = []byte{}
	}
	return KVEntry{Key: op.Key, Value: value, Version: stored + 1}
}
