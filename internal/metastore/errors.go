package metastore

import "errors"

var (
	ErrTopicExists          = errors.New("metastore: topic already exists")
	ErrUnknownTopic         = errors.New("metastore: unknown topic")
	ErrUnknownPartition     = errors.New("metastore: unknown topic or partition")
	ErrInvalidPartitions    = errors.New("metastore: invalid partition count")
	ErrOutOfOrderSequence   = errors.New("metastore: out of order sequence number")
	ErrInvalidProducerEpoch = errors.New("metastore: invalid producer epoch")
	ErrConflict             = errors.New("metastore: index changed concurrently")
	ErrUnknownGroup         = errors.New("metastore: unknown group")
	ErrUnknownKey           = errors.New("metastore: unknown key")
	// ErrOffsetOutOfRange: DeleteRecords named an offset past the high
	// watermark (or a negative one other than -1).
	ErrOffsetOutOfRange = errors.New("metastore: offset out of range")
	// ErrIllegalGeneration: an offset commit named a generation the stored
	// group no longer has (a zombie member or a stale coordinator).
	ErrIllegalGeneration = errors.New("metastore: illegal generation")
	// ErrInvalidRequest marks a call the caller should never have made
	// (empty names or keys, batches taking no offsets, a ReplaceIndex whose
	// replacement does not cover the old entries). It is a bug, not a retry.
	ErrInvalidRequest = errors.New("metastore: invalid request")
	// ErrUnavailable wraps failures of the store itself (I/O, connection);
	// callers treat them as retriable.
	ErrUnavailable = errors.New("metastore: unavailable")
	// ErrNotApplied accompanies ErrUnavailable on a write that certainly
	// took no effect: the store was not reached, or rolled the write back
	// before its commit was sent. Running the write again is safe, even
	// one that is not idempotent. An ErrUnavailable without it may have
	// taken effect (a commit whose answer was lost).
	ErrNotApplied = errors.New("metastore: not applied")
)
