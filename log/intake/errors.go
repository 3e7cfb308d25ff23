package intake

import "errors"

var (
	// ErrStorage: the flush holding the batch failed in the object store or
	// the metadata store; nothing was committed. Retriable.
	ErrStorage = errors.New("produce: storage failure")
	// ErrClosed: the writer is shut down.
	ErrClosed = errors.New("produce: writer closed")
)
