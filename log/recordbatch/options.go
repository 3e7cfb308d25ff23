package recordbatch

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// DefaultMaxBatchBytes is Kafka's default max.message.bytes.
const DefaultMaxBatchBytes = 1048588

// ValidateOptions carries the topic configuration Validate enforces. The
// zero value is Kafka's defaults for a CreateTime topic receiving a
// client produce.
type ValidateOptions struct {
	// MaxBatchBytes is max.message.bytes: the largest batch accepted,
	// header included; a larger one is ErrTooLarge.
	// Default (0): DefaultMaxBatchBytes.
	MaxBatchBytes int

	// MaxDecompressedBytes bounds what one compressed batch may inflate
	// to; past it the batch is ErrTooLarge and nothing larger is
	// allocated. At most math.MaxInt32.
	// Default (0): DefaultMaxDecompressedBytes (64 MiB).
	MaxDecompressedBytes int

	// TimestampType is the topic's message.timestamp.type.
	// Default: CreateTime.
	TimestampType TimestampType

	// TimestampBeforeMax and TimestampAfterMax are KIP-937's
	// message.timestamp.before.max.ms and .after.max.ms: how far, in
	// ms, a CreateTime record's timestamp may lie before or after Now
	// (ErrInvalidTimestamp past that). Default (0): unchecked.
	TimestampBeforeMax, TimestampAfterMax int64

	// Now is the broker's clock, Unix ms, for the timestamp window.
	// Default (0): time.Now().
	Now int64

	// Compacted is cleanup.policy=compact: records without a key are
	// rejected (ErrInvalidRecord, per record). Default: false.
	Compacted bool

	// RejectZstd refuses zstd batches (ErrUnsupportedCompression), as
	// Kafka does for Produce v3-v6: zstd needs v7 (KIP-110).
	// Default: false.
	RejectZstd bool

	// AllowMultipleBatches accepts more than one batch. Kafka refuses
	// that for v2 batches (LogValidator: one batch per partition), so
	// leave it off for client produce; it is for re-validating stored
	// record sets. Default: false.
	AllowMultipleBatches bool

	// AllowNonZeroBaseOffset accepts batches whose baseOffset is not 0.
	// Kafka refuses those from clients (UnifiedLog
	// .analyzeAndValidateRecords); it is for re-validating batches that
	// PatchRecordSet has stamped. Default: false.
	AllowNonZeroBaseOffset bool
}

// Validate reports options no topic could have.
func (o ValidateOptions) Validate() error {
	var errs []error
	if o.MaxBatchBytes < 0 {
		errs = append(errs, fmt.Errorf("MaxBatchBytes %d is negative", o.MaxBatchBytes))
	}
	if o.MaxDecompressedBytes < 0 || o.MaxDecompressedBytes > math.MaxInt32 {
		errs = append(errs, fmt.Errorf("MaxDecompressedBytes %d is outside [0, %d]", o.MaxDecompressedBytes, math.MaxInt32))
	}
	if o.TimestampType != CreateTime && o.TimestampType != LogAppendTime {
		errs = append(errs, fmt.Errorf("unknown TimestampType %d", o.TimestampType))
	}
	if o.TimestampBeforeMax < 0 || o.TimestampAfterMax < 0 {
		errs = append(errs, errors.New("TimestampBeforeMax and TimestampAfterMax must not be negative"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("recordbatch: options: %w", err)
	}
	return nil
}

// withDefaults fills in the documented defaults.
func (o ValidateOptions) withDefaults() ValidateOptions {
	if o.MaxBatchBytes == 0 {
		o.MaxBatchBytes = DefaultMaxBatchBytes
	}
	if o.MaxDecompressedBytes == 0 {
		o.MaxDecompressedBytes = DefaultMaxDecompressedBytes
	}
	if o.Now == 0 {
		o.Now = time.Now().UnixMilli()
	}
	return o
}

// window is the range a CreateTime record's timestamp must fall in.
func (o *ValidateOptions) window() (lo, hi int64) {
	lo, hi = math.MinInt64, math.MaxInt64
	if o.TimestampBeforeMax > 0 {
		lo = satAdd(o.Now, -o.TimestampBeforeMax)
	}
	if o.TimestampAfterMax > 0 {
		hi = satAdd(o.Now, o.TimestampAfterMax)
	}
	return lo, hi
}

// satAdd is a+b, clamped to the int64 range instead of wrapping.
func satAdd(a, b int64) int64 {
	s := a + b
	switch {
	case b > 0 && s < a:
		return math.MaxInt64
	case b < 0 && s > a:
		return math.MinInt64
	}
	return s
}
