package metastore

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// ValidateAppend refuses Append calls no correct broker makes
// (ErrInvalidRequest); shared by backends.
func ValidateAppend(obj ObjectRef, batches []AppendBatch) error {
	if obj.Key == "" || obj.Size < 0 {
		return fmt.Errorf("object key %q size %d: %w", obj.Key, obj.Size, ErrInvalidRequest)
	}
	for i, b := range batches {
		if b.NumRecords < 1 || b.Pos < 0 || b.Size < 0 || b.Pos+b.Size > obj.Size {
			return fmt.Errorf("batch %d: %d records at [%d, +%d) of a %d-byte object: %w",
				i, b.NumRecords, b.Pos, b.Size, obj.Size, ErrInvalidRequest)
		}
	}
	return nil
}

// ValidateReplace checks that old is a non-empty run of adjacent entries
// and that repl covers exactly their offsets (else ErrInvalidRequest);
// shared by backends.
func ValidateReplace(old []IndexEntry, repl IndexEntry) error {
	if len(old) == 0 {
		return fmt.Errorf("no entries to replace: %w", ErrInvalidRequest)
	}
	for i := 1; i < len(old); i++ {
		if old[i].BaseOffset != old[i-1].LastOffset+1 {
			return fmt.Errorf("entries %d and %d are not adjacent: %w", i-1, i, ErrInvalidRequest)
		}
	}
	first, last := old[0].BaseOffset, old[len(old)-1].LastOffset
	if repl.BaseOffset != first || repl.LastOffset != last || repl.ObjectKey == "" || repl.Pos < 0 || repl.Size < 0 {
		return fmt.Errorf("replacement [%d, %d] in %q for [%d, %d]: %w",
			repl.BaseOffset, repl.LastOffset, repl.ObjectKey, first, last, ErrInvalidRequest)
	}
	return nil
}

// ValidateTopicSpec checks a CreateTopic request: a name, and at least one
// partition (ErrInvalidPartitions). Every backend calls it first.
func ValidateTopicSpec(spec TopicSpec) error {
	if spec.Name == "" {
		return fmt.Errorf("create topic: empty name: %w", ErrInvalidRequest)
	}
	if spec.Partitions < 1 {
		return fmt.Errorf("create topic %s with %d partitions: %w", spec.Name, spec.Partitions, ErrInvalidPartitions)
	}
	return nil
}

// ValidateGroupName checks a group name given to a Groups method; shared
// by backends.
func ValidateGroupName(name string) error {
	if name == "" {
		return fmt.Errorf("empty group name: %w", ErrInvalidRequest)
	}
	return nil
}

// ValidateCommit checks a CommitOffsets request: a group name and a topic
// on every offset; shared by backends.
func ValidateCommit(group string, offsets []GroupOffset) error {
	if err := ValidateGroupName(group); err != nil {
		return err
	}
	for i, o := range offsets {
		if o.Topic == "" {
			return fmt.Errorf("group %s offset %d: empty topic: %w", group, i, ErrInvalidRequest)
		}
	}
	return nil
}

// ValidateTopicPartitions checks a DeleteOffsets request: a group name
// and a topic on every partition; shared by backends.
func ValidateTopicPartitions(group string, parts []TopicPartition) error {
	if err := ValidateGroupName(group); err != nil {
		return err
	}
	for i, p := range parts {
		if p.Topic == "" {
			return fmt.Errorf("group %s partition %d: empty topic: %w", group, i, ErrInvalidRequest)
		}
	}
	return nil
}

// ValidateRetention checks ExpireGroups's retention; shared by backends.
func ValidateRetention(retention time.Duration) error {
	if retention <= 0 {
		return fmt.Errorf("group offset retention %v: %w", retention, ErrInvalidRequest)
	}
	return nil
}

// The limits of the KV space (see KV).
const (
	MaxKVKeyLen   = 1024
	MaxKVValueLen = 16 << 20
)

// ValidateKVKey checks a key given to a KV method: non-empty, at most
// MaxKVKeyLen bytes, UTF-8 text without NUL; shared by backends.
func ValidateKVKey(key string) error {
	if key == "" {
		return fmt.Errorf("empty key: %w", ErrInvalidRequest)
	}
	return validateKVText("key", key)
}

// validateKVText checks that s could be (the start of) a key.
func validateKVText(what, s string) error {
	switch {
	case len(s) > MaxKVKeyLen:
		return fmt.Errorf("%s of %d bytes, over %d: %w", what, len(s), MaxKVKeyLen, ErrInvalidRequest)
	case !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0:
		return fmt.Errorf("%s %q is not UTF-8 text without NUL: %w", what, s, ErrInvalidRequest)
	}
	return nil
}

// ValidateKVList checks KVList's prefix and after, which may be empty;
// shared by backends.
func ValidateKVList(prefix, after string) error {
	if err := validateKVText("prefix", prefix); err != nil {
		return err
	}
	return validateKVText("after", after)
}

// ValidateKVOps checks a KVApply request: valid keys, each once, an
// Expect of KVAny or above, values within MaxKVValueLen (unless the op
// deletes); shared by backends.
func ValidateKVOps(ops []KVOp) error {
	seen := make(map[string]bool, len(ops))
	for i, op := range ops {
		if err := ValidateKVKey(op.Key); err != nil {
			return fmt.Errorf("op %d: %w", i, err)
		}
		switch {
		case op.Expect < KVAny:
			return fmt.Errorf("op %d on key %q: expected version %d: %w", i, op.Key, op.Expect, ErrInvalidRequest)
		case !op.Delete && len(op.Value) > MaxKVValueLen:
			return fmt.Errorf("op %d on key %q: value of %d bytes, over %d: %w",
				i, op.Key, len(op.Value), MaxKVValueLen, ErrInvalidRequest)
		case seen[op.Key]:
			return fmt.Errorf("op %d: key %q appears twice: %w", i, op.Key, ErrInvalidRequest)
		}
		seen[op.Key] = true
	}
	return nil
}
