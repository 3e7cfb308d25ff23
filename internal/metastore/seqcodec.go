package metastore

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrCorruptState: stored producer state does not decode.
var ErrCorruptState = errors.New("metastore: corrupt producer state")

// seqBatchSize is one encoded SeqBatch: first int32, last int32, base int64.
const seqBatchSize = 16

// AppendSeqBatches appends the encoding of bs (big-endian, fixed width, no
// count: the length says how many) that every backend stores producer
// state batches in.
func AppendSeqBatches(dst []byte, bs []SeqBatch) []byte {
	for _, b := range bs {
		dst = binary.BigEndian.AppendUint32(dst, uint32(b.FirstSeq))
		dst = binary.BigEndian.AppendUint32(dst, uint32(b.LastSeq))
		dst = binary.BigEndian.AppendUint64(dst, uint64(b.BaseOffset))
	}
	return dst
}

// DecodeSeqBatches decodes what AppendSeqBatches wrote; a length that is
// not whole batches, or more than MaxCachedBatches, is ErrCorruptState.
func DecodeSeqBatches(v []byte) ([]SeqBatch, error) {
	if len(v)%seqBatchSize != 0 || len(v)/seqBatchSize > MaxCachedBatches {
		return nil, fmt.Errorf("producer batches of %d bytes: %w", len(v), ErrCorruptState)
	}
	bs := make([]SeqBatch, len(v)/seqBatchSize)
	for i := range bs {
		b := v[seqBatchSize*i:]
		bs[i] = SeqBatch{
			FirstSeq:   int32(binary.BigEndian.Uint32(b)),
			LastSeq:    int32(binary.BigEndian.Uint32(b[4:])),
			BaseOffset: int64(binary.BigEndian.Uint64(b[8:])),
		}
	}
	return bs, nil
}
