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
	// ErrUnavailable wraps failures of the store itself (I/O, connection);
	// callers treat them as retriable.
	ErrUnavailable = errors.New("metastore: unavailable")
)
