package recordbatch

import (
	"errors"
	"fmt"
	"sync"

	"github.com/twmb/franz-go/pkg/kgo"
)

// DefaultMaxDecompressedBytes bounds what one batch may decompress to
// unless ValidateOptions says otherwise.
const DefaultMaxDecompressedBytes = 64 << 20

// decompressors caches one bounded franz-go decompressor per bound.
// Brokers use one or two bounds, so the map stays tiny.
var decompressors sync.Map // int → kgo.Decompressor

// decompressorFor returns franz-go's own decompressor, bounded at max
// bytes of output.
//
// kgo.DefaultDecompressor() is bounded at math.MaxInt32, and the bounded
// constructor is unexported; the one public way to get franz-go's codecs
// with a bound is a client built with MaxDecompressBatchBytes, whose
// decompressor OptValue(WithDecompressor) returns. The client is closed
// at once (it never dials: no request is issued); the decompressor is a
// plain value that outlives it. TestDecompressorBound pins this behaviour
// so a franz-go upgrade that changes it fails loudly.
func decompressorFor(max int) (kgo.Decompressor, error) {
	if d, ok := decompressors.Load(max); ok {
		return d.(kgo.Decompressor), nil
	}
	cl, err := kgo.NewClient(kgo.MaxDecompressBatchBytes(max))
	if err != nil {
		return nil, fmt.Errorf("recordbatch: build decompressor bounded at %d bytes: %w", max, err)
	}
	d, ok := cl.OptValue(kgo.WithDecompressor).(kgo.Decompressor)
	cl.Close()
	if !ok || d == nil {
		return nil, errors.New("recordbatch: franz-go client exposes no decompressor")
	}
	actual, _ := decompressors.LoadOrStore(max, d)
	return actual.(kgo.Decompressor), nil
}

// recordBytes returns the batch's records, decompressed with d (which
// returns uncompressed input as is, without copying).
func recordBytes(h *Header, records []byte, d kgo.Decompressor) ([]byte, error) {
	codec := h.Codec()
	if codec > kgo.CodecZstd {
		return nil, batchErr(ErrUnsupportedCompression, nil, fmt.Sprintf("unknown compression codec %d", codec))
	}
	out, err := d.Decompress(records, codec)
	switch {
	case errors.Is(err, kgo.ErrMaxDecompress):
		return nil, batchErr(ErrTooLarge, err, fmt.Sprintf("decompress %s records", codecName(codec)))
	case err != nil:
		// The CRC held, so the producer built these bytes: a retry
		// cannot help. INVALID_RECORD is not retriable; CORRUPT_MESSAGE
		// is, and would have clients resend it forever.
		return nil, batchErr(ErrInvalidRecord, err, fmt.Sprintf("decompress %s records", codecName(codec)))
	}
	return out, nil
}

func codecName(c kgo.CompressionCodecType) string {
	switch c {
	case kgo.CodecNone:
		return "uncompressed"
	case kgo.CodecGzip:
		return "gzip"
	case kgo.CodecSnappy:
		return "snappy"
	case kgo.CodecLz4:
		return "lz4"
	case kgo.CodecZstd:
		return "zstd"
	}
	return fmt.Sprintf("codec %d", c)
}
