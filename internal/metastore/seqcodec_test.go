package metastore

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzDecodeSeqBatches: decoding stored bytes never panics; what decodes
// re-encodes to the same bytes; anything else is ErrCorruptState.
func FuzzDecodeSeqBatches(f *testing.F) {
	f.Add(AppendSeqBatches(nil, []SeqBatch{{0, 9, 100}, {10, 19, 110}}))
	f.Add([]byte{})
	f.Add(make([]byte, 17))
	f.Add(make([]byte, 16*6))
	f.Fuzz(func(t *testing.T, v []byte) {
		bs, err := DecodeSeqBatches(v)
		if err != nil {
			if !errors.Is(err, ErrCorruptState) {
				t.Fatalf("error %v is not ErrCorruptState", err)
			}
			return
		}
		if got := AppendSeqBatches(nil, bs); !bytes.Equal(got, v) {
			t.Fatalf("re-encoding changed the bytes")
		}
	})
}
