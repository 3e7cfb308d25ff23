package boltstore

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/tributary-io/tributary/internal/metastore"
)

// Keys. Every key that holds numbers is big-endian, so the byte order of
// keys is the numeric order of partitions, offsets and producer IDs (all
// non-negative).

const (
	partKeyLen  = 16 + 4
	indexKeyLen = partKeyLen + 8
)

func partKey(pk metastore.PartitionKey) []byte {
	k := make([]byte, 0, indexKeyLen)
	k = append(k, pk.Topic[:]...)
	return binary.BigEndian.AppendUint32(k, uint32(pk.Partition))
}

func indexKey(pk metastore.PartitionKey, baseOffset int64) []byte {
	return binary.BigEndian.AppendUint64(partKey(pk), uint64(baseOffset))
}

func producerKey(pk metastore.PartitionKey, producerID int64) []byte {
	return binary.BigEndian.AppendUint64(partKey(pk), uint64(producerID))
}

func indexKeyOffset(k []byte) int64 {
	return int64(binary.BigEndian.Uint64(k[partKeyLen:]))
}

// Partition state: LogStart, HighWater, Bytes, 8 bytes each.

func encodePartition(st metastore.PartitionState) []byte {
	v := make([]byte, 0, 24)
	v = binary.BigEndian.AppendUint64(v, uint64(st.LogStart))
	v = binary.BigEndian.AppendUint64(v, uint64(st.HighWater))
	return binary.BigEndian.AppendUint64(v, uint64(st.Bytes))
}

func decodePartition(v []byte) (metastore.PartitionState, error) {
	if len(v) != 24 {
		return metastore.PartitionState{}, fmt.Errorf("partition state of %d bytes: %w", len(v), errCorrupt)
	}
	return metastore.PartitionState{
		LogStart:  int64(binary.BigEndian.Uint64(v[0:])),
		HighWater: int64(binary.BigEndian.Uint64(v[8:])),
		Bytes:     int64(binary.BigEndian.Uint64(v[16:])),
	}, nil
}

// Index entries: the base offset is in the key; the value holds the rest,
// varint-encoded (an entry is typically 15–20 bytes plus the object key).

func encodeEntry(e metastore.IndexEntry) []byte {
	v := make([]byte, 0, 4*binary.MaxVarintLen64+len(e.ObjectKey))
	v = binary.AppendUvarint(v, uint64(e.LastOffset-e.BaseOffset))
	v = binary.AppendUvarint(v, uint64(e.Pos))
	v = binary.AppendUvarint(v, uint64(e.Size))
	v = binary.AppendVarint(v, e.MaxTimestamp)
	return append(v, e.ObjectKey...)
}

func decodeEntry(k, v []byte) (metastore.IndexEntry, error) {
	d := decoder{buf: v}
	span, pos, size := d.uvarint(), d.uvarint(), d.uvarint()
	ts := d.varint()
	base := indexKeyOffset(k)
	if d.bad {
		return metastore.IndexEntry{}, fmt.Errorf("index entry at offset %d: %w", base, errCorrupt)
	}
	return metastore.IndexEntry{
		BaseOffset:   base,
		LastOffset:   base + int64(span),
		ObjectKey:    string(d.buf),
		Pos:          int64(pos),
		Size:         int64(size),
		MaxTimestamp: ts,
	}, nil
}

// decoder reads varints off the front of buf; bad sticks once one fails.
type decoder struct {
	buf []byte
	bad bool
}

func (d *decoder) uvarint() uint64 {
	x, n := binary.Uvarint(d.buf)
	if n <= 0 {
		d.bad, d.buf = true, nil
		return 0
	}
	d.buf = d.buf[n:]
	return x
}

func (d *decoder) varint() int64 {
	x, n := binary.Varint(d.buf)
	if n <= 0 {
		d.bad, d.buf = true, nil
		return 0
	}
	d.buf = d.buf[n:]
	return x
}

// entryLastOffset decodes only the last offset of an entry.
func entryLastOffset(k, v []byte) (int64, error) {
	span, n := binary.Uvarint(v)
	if n <= 0 {
		return 0, fmt.Errorf("index entry at offset %d: %w", indexKeyOffset(k), errCorrupt)
	}
	return indexKeyOffset(k) + int64(span), nil
}

// Producer state: epoch(2) n(1) then n × first(4) last(4) base(8).

func encodeProducer(st *metastore.ProducerState) []byte {
	v := make([]byte, 0, 3+16*len(st.Batches))
	v = binary.BigEndian.AppendUint16(v, uint16(st.Epoch))
	v = append(v, byte(len(st.Batches)))
	return metastore.AppendSeqBatches(v, st.Batches)
}

func decodeProducer(v []byte) (*metastore.ProducerState, error) {
	if len(v) < 3 || len(v) != 3+16*int(v[2]) {
		return nil, fmt.Errorf("producer state of %d bytes: %w", len(v), errCorrupt)
	}
	bs, err := metastore.DecodeSeqBatches(v[3:])
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errCorrupt, err)
	}
	return &metastore.ProducerState{Epoch: int16(binary.BigEndian.Uint16(v)), Batches: bs}, nil
}

// Objects: uvarint refs, uvarint size.

type objectRecord struct {
	refs, size int64
}

func encodeObject(o objectRecord) []byte {
	v := make([]byte, 0, 2*binary.MaxVarintLen64)
	v = binary.AppendUvarint(v, uint64(o.refs))
	return binary.AppendUvarint(v, uint64(o.size))
}

func decodeObject(key string, v []byte) (objectRecord, error) {
	d := decoder{buf: v}
	refs, size := d.uvarint(), d.uvarint()
	if d.bad || len(d.buf) != 0 {
		return objectRecord{}, fmt.Errorf("object %s: %w", key, errCorrupt)
	}
	return objectRecord{refs: int64(refs), size: int64(size)}, nil
}

// Topics: JSON, since they are rare, small and worth reading with bbolt's
// command-line tools.

type topicRecord struct {
	ID         string            `json:"id"` // 32 hex digits
	Partitions int32             `json:"partitions"`
	Configs    map[string]string `json:"configs,omitempty"`
	CreatedUs  int64             `json:"created_us"` // Unix microseconds
}

func encodeTopic(t metastore.Topic) ([]byte, error) {
	return json.Marshal(topicRecord{
		ID:         hex.EncodeToString(t.ID[:]),
		Partitions: t.Partitions,
		Configs:    t.Configs,
		CreatedUs:  t.CreatedAt.UnixMicro(),
	})
}

func decodeTopic(name string, v []byte) (metastore.Topic, error) {
	var r topicRecord
	if err := json.Unmarshal(v, &r); err != nil {
		return metastore.Topic{}, fmt.Errorf("topic %s: %w: %w", name, errCorrupt, err)
	}
	t := metastore.Topic{
		Name:       name,
		Partitions: r.Partitions,
		Configs:    r.Configs,
		CreatedAt:  time.UnixMicro(r.CreatedUs).UTC(),
	}
	if t.Configs == nil {
		t.Configs = map[string]string{}
	}
	if len(r.ID) != hex.EncodedLen(len(t.ID)) {
		return metastore.Topic{}, fmt.Errorf("topic %s: id %q: %w", name, r.ID, errCorrupt)
	}
	if _, err := hex.Decode(t.ID[:], []byte(r.ID)); err != nil {
		return metastore.Topic{}, fmt.Errorf("topic %s: id %q: %w", name, r.ID, errCorrupt)
	}
	return t, nil
}
