package recordbatch

import (
	"errors"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
)

// TestDecompressorBound pins what decompressorFor relies on: a franz-go
// client's decompressor honours MaxDecompressBatchBytes for every codec,
// returning kgo.ErrMaxDecompress instead of inflating further.
func TestDecompressorBound(t *testing.T) {
	const bound = 1 << 20
	d, err := decompressorFor(bound)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range codecs[1:] {
		t.Run(c.name, func(t *testing.T) {
			fits, codec := compress(t, c.codec, make([]byte, bound))
			if out, err := d.Decompress(fits, codec); err != nil || len(out) != bound {
				t.Fatalf("at the bound: %d bytes, %v", len(out), err)
			}
			over, codec := compress(t, c.codec, make([]byte, bound+1))
			if _, err := d.Decompress(over, codec); !errors.Is(err, kgo.ErrMaxDecompress) {
				t.Fatalf("one byte over the bound: %v, want kgo.ErrMaxDecompress", err)
			}
		})
	}
	if again, _ := decompressorFor(bound); again != d {
		t.Error("decompressorFor built a second decompressor for the same bound")
	}
}
