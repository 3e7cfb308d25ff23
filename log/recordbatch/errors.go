package recordbatch

import (
	"errors"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
)

// Kinds: every *Error carries exactly one, and errors.Is(err, Kind) holds
// for it. They are franz-go's kerr values, so the broker answers with
// Kind.Code directly (STYLE 7: the code is response data).
var (
	// ErrCorrupt is CORRUPT_MESSAGE: a CRC mismatch, an impossible
	// length, a truncated batch, trailing bytes, an unknown magic.
	ErrCorrupt = kerr.CorruptMessage
	// ErrInvalidRecord is INVALID_RECORD: the batch frames and checksums
	// but breaks a LogValidator rule (counts, offset deltas, control
	// batches from clients, records that do not parse, a null key on a
	// compacted topic), or the record set is empty.
	ErrInvalidRecord = kerr.InvalidRecord
	// ErrTooLarge is MESSAGE_TOO_LARGE: a batch over max.message.bytes,
	// or one that decompresses past ValidateOptions.MaxDecompressedBytes.
	ErrTooLarge = kerr.MessageTooLarge
	// ErrInvalidTimestamp is INVALID_TIMESTAMP: a CreateTime record
	// outside the configured window, or a client batch that claims
	// LogAppendTime on a LogAppendTime topic.
	ErrInvalidTimestamp = kerr.InvalidTimestamp
	// ErrUnsupportedFormat is UNSUPPORTED_FOR_MESSAGE_FORMAT: magic 0 or 1.
	ErrUnsupportedFormat = kerr.UnsupportedForMessageFormat
	// ErrUnsupportedCompression is UNSUPPORTED_COMPRESSION_TYPE: codec
	// bits 5-7, or zstd when ValidateOptions.RejectZstd is set.
	ErrUnsupportedCompression = kerr.UnsupportedCompressionType
)

// Causes, carried in Error.Err next to the kind.
var (
	// ErrEmptyRecordSet: a produce partition with no bytes at all
	// (kind ErrInvalidRecord, as Kafka's ProduceRequest.validateRecords).
	ErrEmptyRecordSet = errors.New("recordbatch: empty record set")
	// ErrCRC: the stored CRC-32C does not match the batch (kind ErrCorrupt).
	ErrCRC = errors.New("recordbatch: crc mismatch")
	// ErrTruncated: the bytes end inside a batch (kind ErrCorrupt).
	ErrTruncated = errors.New("recordbatch: truncated batch")
)

// maxRecordErrors caps Error.RecordErrors: Kafka lists every bad record,
// but a million-record batch of bad timestamps must not cost a million
// messages here.
const maxRecordErrors = 256

// RecordError is one entry of a ProduceResponse's record_errors (v8+):
// the index of the record inside its batch and why it was rejected.
type RecordError struct {
	Index   int
	Message string
}

// Error is a validation failure. Kind says which Kafka error code the
// broker answers with; Batch and RecordIndex locate it; RecordErrors is
// what Kafka would put in record_errors (only per-record validation
// failures, as Kafka's LogValidator reports them: timestamps, keys).
type Error struct {
	Kind *kerr.Error
	// Batch is the index of the failing batch in the record set.
	Batch int
	// RecordIndex is the record the failure concerns, -1 if batch-level.
	RecordIndex int
	// Message says what was wrong, for the response's error_message.
	Message string
	// RecordErrors lists every rejected record, at most maxRecordErrors.
	RecordErrors []RecordError
	// Err is the underlying cause, if any (ErrCRC, kgo.ErrMaxDecompress…).
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("recordbatch: batch ")
	b.WriteString(strconv.Itoa(e.Batch))
	if e.RecordIndex >= 0 {
		b.WriteString(" record ")
		b.WriteString(strconv.Itoa(e.RecordIndex))
	}
	b.WriteString(": ")
	b.WriteString(e.Message)
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	b.WriteString(" [")
	b.WriteString(e.Kind.Message)
	b.WriteString("]")
	return b.String()
}

// Unwrap exposes both the kind and the cause to errors.Is and errors.As.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

// Code is the Kafka error code for the response.
func (e *Error) Code() int16 { return e.Kind.Code }

// batchErr builds a batch-level error; Validate fills in Batch.
func batchErr(kind *kerr.Error, cause error, msg string) *Error {
	return &Error{Kind: kind, RecordIndex: -1, Message: msg, Err: cause}
}

// recordErr builds an error about record i of a batch.
func recordErr(kind *kerr.Error, i int, cause error, msg string) *Error {
	return &Error{Kind: kind, RecordIndex: i, Message: msg, Err: cause}
}

// inBatch stamps the batch index onto err if it is an *Error.
func inBatch(err error, batch int) error {
	var e *Error
	if errors.As(err, &e) {
		e.Batch = batch
	}
	return err
}
