package recordbatch_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/tributary-io/tributary/log/recordbatch"
)

// The produce path: validate a partition's record set, fix timestamps as
// Kafka's LogValidator does, then stamp the offsets the log assigned.
func Example() {
	data := producedBatch()
	batches, err := recordbatch.Validate(data, recordbatch.ValidateOptions{MaxBatchBytes: 1 << 20})
	if err != nil {
		fmt.Println("reject with code", err.(*recordbatch.Error).Code())
		return
	}
	for _, b := range batches {
		raw := data[b.Offset : b.Offset+b.Len]
		if err := recordbatch.SetCreateTime(raw, b.MaxTimestamp); err != nil {
			panic(err)
		}
	}
	next, err := recordbatch.PatchRecordSet(data, 42)
	if err != nil {
		panic(err)
	}
	fmt.Println(len(batches), "batch,", batches[0].NumRecords, "records, next offset", next)

	corrupt := producedBatch()
	corrupt[30] ^= 1 // inside the CRC's range
	_, err = recordbatch.Validate(corrupt, recordbatch.ValidateOptions{})
	fmt.Println(err.(*recordbatch.Error).Code(), err.(*recordbatch.Error).Kind.Message)
	// Output:
	// 1 batch, 3 records, next offset 45
	// 2 CORRUPT_MESSAGE
}

// producedBatch builds what a producer sends: three records, zstd.
func producedBatch() []byte {
	var recs []byte
	for i := range 3 {
		r := kmsg.Record{OffsetDelta: int32(i), TimestampDelta64: int64(i), Value: []byte("hello")}
		r.Length = int32(len(r.AppendTo(nil)) - 1)
		recs = r.AppendTo(recs)
	}
	c, _ := kgo.DefaultCompressor(kgo.ZstdCompression())
	body, codec := c.Compress(new(bytes.Buffer), recs)
	rb := kmsg.RecordBatch{
		Length: int32(49 + len(body)), PartitionLeaderEpoch: -1, Magic: 2, Attributes: int16(codec),
		LastOffsetDelta: 2, FirstTimestamp: 1000, MaxTimestamp: 1002,
		ProducerID: -1, ProducerEpoch: -1, FirstSequence: -1, NumRecords: 3, Records: body,
	}
	return sealed(rb.AppendTo(nil))
}

// sealed sets a hand-built batch's CRC-32C, as a producer does.
func sealed(b []byte) []byte {
	binary.BigEndian.PutUint32(b[17:], crc32.Checksum(b[21:], crc32.MakeTable(crc32.Castagnoli)))
	return b
}
