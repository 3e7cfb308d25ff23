package boltstore

import (
	"bytes"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/tributary-io/tributary/internal/metastore"
)

func TestEntryRoundTrip(t *testing.T) {
	pk := metastore.PartitionKey{Topic: metastore.TopicID{1, 2, 3}, Partition: 7}
	for _, e := range []metastore.IndexEntry{
		{BaseOffset: 0, LastOffset: 0, ObjectKey: "k"},
		{BaseOffset: 5, LastOffset: 99, ObjectKey: "intake/0001.obj", Pos: 123, Size: 4567, MaxTimestamp: 1_700_000_000_000},
		{BaseOffset: math.MaxInt64 - 10, LastOffset: math.MaxInt64, ObjectKey: "", Pos: math.MaxInt64, Size: 0, MaxTimestamp: -1},
	} {
		got, err := decodeEntry(indexKey(pk, e.BaseOffset), encodeEntry(e))
		if err != nil || got != e {
			t.Errorf("round trip of %+v = %+v, %v", e, got, err)
		}
	}
}

func sb(first, last int32, base int64) metastore.SeqBatch {
	return metastore.SeqBatch{FirstSeq: first, LastSeq: last, BaseOffset: base}
}

func TestProducerRoundTrip(t *testing.T) {
	st := &metastore.ProducerState{Epoch: -2, Batches: []metastore.SeqBatch{sb(0, 9, 100), sb(math.MaxInt32, 3, math.MaxInt64)}}
	got, err := decodeProducer(encodeProducer(st))
	if err != nil || got.Epoch != st.Epoch || len(got.Batches) != 2 || got.Batches[1] != st.Batches[1] {
		t.Fatalf("round trip = %+v, %v", got, err)
	}
}

// FuzzDecodeEntry: decoding any value never panics, and a value that
// decodes re-encodes to the same bytes' meaning (decode(encode(e)) == e).
func FuzzDecodeEntry(f *testing.F) {
	pk := metastore.PartitionKey{Partition: 1}
	f.Add(encodeEntry(metastore.IndexEntry{BaseOffset: 3, LastOffset: 9, ObjectKey: "k", Pos: 1, Size: 2, MaxTimestamp: 3}))
	f.Add([]byte{})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, v []byte) {
		e, err := decodeEntry(indexKey(pk, 3), v)
		if err != nil {
			return
		}
		again, err := decodeEntry(indexKey(pk, 3), encodeEntry(e))
		if err != nil || again != e {
			t.Fatalf("re-decode of %+v = %+v, %v", e, again, err)
		}
	})
}

// FuzzDecodeProducer: never panics; what decodes re-encodes identically.
func FuzzDecodeProducer(f *testing.F) {
	f.Add(encodeProducer(&metastore.ProducerState{Epoch: 1, Batches: []metastore.SeqBatch{sb(1, 2, 3)}}))
	f.Add([]byte{0, 0, 9})
	f.Fuzz(func(t *testing.T, v []byte) {
		st, err := decodeProducer(v)
		if err != nil {
			return
		}
		if got := encodeProducer(st); string(got) != string(v) {
			t.Fatalf("re-encode of %x = %x", v, got)
		}
	})
}

func TestGroupRoundTrip(t *testing.T) {
	for _, g := range []metastore.Group{
		{Name: "g"},
		{Name: "g", Version: math.MaxInt64, Generation: -1, ProtocolType: "consumer", Kind: "classic",
			StateName: "Stable", State: []byte{0, 1, 2}, UpdatedAt: time.UnixMicro(1_700_000_000_123_456).UTC()},
	} {
		got, err := decodeGroup(g.Name, encodeGroup(g))
		if err != nil || got.Version != g.Version || got.Generation != g.Generation || got.ProtocolType != g.ProtocolType ||
			got.Kind != g.Kind || got.StateName != g.StateName || !bytes.Equal(got.State, g.State) ||
			got.UpdatedAt.UnixMicro() != g.UpdatedAt.UnixMicro() {
			t.Errorf("round trip of %+v = %+v, %v", g, got, err)
		}
	}
}

func TestOffsetRoundTrip(t *testing.T) {
	for _, o := range []metastore.GroupOffset{
		{Topic: "t", LeaderEpoch: -1},
		{Topic: "a\x00b", Partition: math.MaxInt32, Offset: math.MaxInt64, LeaderEpoch: 3, Metadata: "m\x00",
			CommittedAt: time.UnixMicro(1_700_000_000_123_456).UTC()},
	} {
		got, err := decodeOffset(offsetKey(o.Topic, o.Partition), encodeOffset(o))
		if err != nil || got.Topic != o.Topic || got.Partition != o.Partition || got.Offset != o.Offset ||
			got.LeaderEpoch != o.LeaderEpoch || got.Metadata != o.Metadata || got.CommittedAt.UnixMicro() != o.CommittedAt.UnixMicro() {
			t.Errorf("round trip of %+v = %+v, %v", o, got, err)
		}
	}
}

// FuzzDecodeGroup: decoding any record never panics, and a record that
// decodes re-encodes to bytes that decode to the same record (lengths
// may be re-encoded shorter).
func FuzzDecodeGroup(f *testing.F) {
	f.Add(encodeGroup(metastore.Group{Version: 1, ProtocolType: "consumer", Kind: "classic", StateName: "Empty", State: []byte{1}}))
	f.Add([]byte{})
	f.Add(make([]byte, 20))
	f.Fuzz(func(t *testing.T, v []byte) {
		g, err := decodeGroup("g", v)
		if err != nil {
			return
		}
		again, err := decodeGroup("g", encodeGroup(g))
		if err != nil || !reflect.DeepEqual(again, g) {
			t.Fatalf("re-decode of %+v = %+v, %v", g, again, err)
		}
	})
}

// FuzzDecodeOffset: decoding any key and value never panics, and a pair
// that decodes re-encodes to the same bytes.
func FuzzDecodeOffset(f *testing.F) {
	o := metastore.GroupOffset{Topic: "t", Partition: 2, Offset: 3, LeaderEpoch: -1, Metadata: "m"}
	f.Add(offsetKey(o.Topic, o.Partition), encodeOffset(o))
	f.Add([]byte{0, 0, 0, 0, 0}, []byte{})
	f.Fuzz(func(t *testing.T, k, v []byte) {
		o, err := decodeOffset(k, v)
		if err != nil {
			return
		}
		if gk, gv := offsetKey(o.Topic, o.Partition), encodeOffset(o); !bytes.Equal(gk, k) || !bytes.Equal(gv, v) {
			t.Fatalf("re-encode of %x=%x is %x=%x", k, v, gk, gv)
		}
	})
}

func TestKVRoundTrip(t *testing.T) {
	for _, e := range []metastore.KVEntry{
		{Key: "k", Version: 1, Value: []byte{}},
		{Key: "registry/subjects/s", Version: math.MaxInt64, Value: []byte("{\"schema\":\"\x00\xff\"}")},
	} {
		got, err := decodeKV(e.Key, encodeKV(e.Version, e.Value))
		if err != nil || !reflect.DeepEqual(got, e) {
			t.Errorf("round trip of %+v = %+v, %v", e, got, err)
		}
	}
	for _, v := range [][]byte{nil, {0, 0, 0, 0, 0, 0, 0}, make([]byte, 8), {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}} {
		if _, err := decodeKV("k", v); err == nil {
			t.Errorf("entry %x decoded", v)
		}
	}
}

// FuzzDecodeKV: decoding any entry never panics, and an entry that
// decodes re-encodes to the same bytes.
func FuzzDecodeKV(f *testing.F) {
	f.Add(encodeKV(1, []byte("value")))
	f.Add([]byte{})
	f.Add(make([]byte, 8))
	f.Fuzz(func(t *testing.T, v []byte) {
		e, err := decodeKV("k", v)
		if err != nil {
			return
		}
		if e.Key != "k" || e.Version < 1 {
			t.Fatalf("decoded %+v", e)
		}
		if got := encodeKV(e.Version, e.Value); !bytes.Equal(got, v) {
			t.Fatalf("re-encode of %x = %x", v, got)
		}
	})
}
