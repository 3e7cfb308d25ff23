package boltstore

import (
	"bytes"
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

// Group records: version(8) generation(4) updated(8, Unix microseconds),
// then protocol type, kind and state name each as uvarint length and
// bytes, then the coordinator's state to the end.

func encodeGroup(g metastore.Group) []byte {
	v := make([]byte, 0, 20+3*binary.MaxVarintLen64+len(g.ProtocolType)+len(g.Kind)+len(g.StateName)+len(g.State))
	v = binary.BigEndian.AppendUint64(v, uint64(g.Version))
	v = binary.BigEndian.AppendUint32(v, uint32(g.Generation))
	v = binary.BigEndian.AppendUint64(v, uint64(g.UpdatedAt.UnixMicro()))
	for _, s := range []string{g.ProtocolType, g.Kind, g.StateName} {
		v = binary.AppendUvarint(v, uint64(len(s)))
		v = append(v, s...)
	}
	return append(v, g.State...)
}

func decodeGroup(name string, v []byte) (metastore.Group, error) {
	if len(v) < 20 {
		return metastore.Group{}, fmt.Errorf("group %s: record of %d bytes: %w", name, len(v), errCorrupt)
	}
	g := metastore.Group{
		Name:       name,
		Version:    int64(binary.BigEndian.Uint64(v)),
		Generation: int32(binary.BigEndian.Uint32(v[8:])),
		UpdatedAt:  time.UnixMicro(int64(binary.BigEndian.Uint64(v[12:]))).UTC(),
	}
	d := decoder{buf: v[20:]}
	for _, s := range []*string{&g.ProtocolType, &g.Kind, &g.StateName} {
		*s = d.string()
	}
	if d.bad {
		return metastore.Group{}, fmt.Errorf("group %s: %w", name, errCorrupt)
	}
	g.State = bytes.Clone(d.buf)
	return g, nil
}

// string reads a uvarint length and that many bytes.
func (d *decoder) string() string {
	n := d.uvarint()
	if d.bad || n > uint64(len(d.buf)) {
		d.bad, d.buf = true, nil
		return ""
	}
	s := string(d.buf[:n])
	d.buf = d.buf[n:]
	return s
}

// Group offsets live in one nested bucket per group, keyed by topic, a
// zero byte and the partition (4): the partition's fixed width at the end
// makes the key decode even if a topic name holds a zero byte. Values:
// offset(8) leader epoch(4) committed(8, Unix microseconds), then the
// metadata to the end.

const offsetValueLen = 8 + 4 + 8

func offsetKey(topic string, partition int32) []byte {
	k := make([]byte, 0, len(topic)+5)
	k = append(k, topic...)
	k = append(k, 0)
	return binary.BigEndian.AppendUint32(k, uint32(partition))
}

// offsetTopicPrefix starts the keys of topic's partitions (and of any
// topic whose name extends topic with a zero byte: check offsetKeyTopic).
func offsetTopicPrefix(topic string) []byte { return append([]byte(topic), 0) }

// offsetKeyTopic returns the topic of an offset key.
func offsetKeyTopic(k []byte) string { return string(k[:len(k)-5]) }

func encodeOffset(o metastore.GroupOffset) []byte {
	v := make([]byte, 0, offsetValueLen+len(o.Metadata))
	v = binary.BigEndian.AppendUint64(v, uint64(o.Offset))
	v = binary.BigEndian.AppendUint32(v, uint32(o.LeaderEpoch))
	v = binary.BigEndian.AppendUint64(v, uint64(o.CommittedAt.UnixMicro()))
	return append(v, o.Metadata...)
}

func decodeOffset(k, v []byte) (metastore.GroupOffset, error) {
	if len(k) < 5 || k[len(k)-5] != 0 || len(v) < offsetValueLen {
		return metastore.GroupOffset{}, fmt.Errorf("group offset %q: %w", k, errCorrupt)
	}
	return metastore.GroupOffset{
		Topic:       offsetKeyTopic(k),
		Partition:   int32(binary.BigEndian.Uint32(k[len(k)-4:])),
		Offset:      int64(binary.BigEndian.Uint64(v)),
		LeaderEpoch: int32(binary.BigEndian.Uint32(v[8:])),
		CommittedAt: time.UnixMicro(int64(binary.BigEndian.Uint64(v[12:]))).UTC(),
		Metadata:    string(v[offsetValueLen:]),
	}, nil
}

// Key-value entries (metastore.KV): version(8), then the value to the
// end. The key is the bucket key.

func encodeKV(version int64, value []byte) []byte {
	v := make([]byte, 0, 8+len(value))
	v = binary.BigEndian.AppendUint64(v, uint64(version))
	return append(v, value...)
}

// kvVersion decodes only the version of an entry (at least 1).
func kvVersion(key string, v []byte) (int64, error) {
	if len(v) < 8 || int64(binary.BigEndian.Uint64(v)) < 1 {
		return 0, fmt.Errorf("key %q: entry %.8x: %w", key, v, errCorrupt)
	}
	return int64(binary.BigEndian.Uint64(v)), nil
}

// decodeKV decodes an entry, copying the value out of bbolt's page.
func decodeKV(key string, v []byte) (metastore.KVEntry, error) {
	version, err := kvVersion(key, v)
	if err != nil {
		return metastore.KVEntry{}, err
	}
	return metastore.KVEntry{Key: key, Version: version, Value: append([]byte{}, v[8:]...)}, nil
}
