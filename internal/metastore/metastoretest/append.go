package metastoretest

import (
	"math"
	"testing"

	"github.com/tributary-io/tributary/internal/metastore"
)

func testAppendDense(t *testing.T, h *harness) {
	topic := h.createTopic(t, "t", 3)
	pks := partitions(topic)
	model := make([]metastore.PartitionState, len(pks))
	var want [3][]metastore.IndexEntry

	for round := range 6 {
		var batches []metastore.AppendBatch
		var pos int64
		for i := range 4 { // four batches over the partitions, some twice
			p := (round + i*i) % 3
			b := batch(pks[p], int32(1+(round+i)%4), pos, int64(10+i))
			pos += b.Size
			batches = append(batches, b)
		}
		res, key := h.append(t, batches...)
		for i, b := range batches {
			p := b.Partition.Partition
			mustAccept(t, res[i], model[p].HighWater)
			if res[i].LogStart != 0 {
				t.Fatalf("LogStart = %d", res[i].LogStart)
			}
			want[p] = append(want[p], metastore.IndexEntry{
				BaseOffset: model[p].HighWater, LastOffset: model[p].HighWater + int64(b.NumRecords) - 1,
				ObjectKey: key, Pos: b.Pos, Size: b.Size, MaxTimestamp: b.MaxTimestamp,
			})
			model[p].HighWater += int64(b.NumRecords)
			model[p].Bytes += b.Size
		}
	}
	for p, pk := range pks {
		if st := h.partition(t, pk); st != model[p] {
			t.Fatalf("partition %d state %+v, want %+v", p, st, model[p])
		}
		got := h.checkDense(t, pk)
		if !equalEntries(got, want[p]) {
			t.Fatalf("partition %d index\n got %+v\nwant %+v", p, got, want[p])
		}
	}
}

func partitions(topic metastore.Topic) []metastore.PartitionKey {
	pks := make([]metastore.PartitionKey, topic.Partitions)
	for i := range pks {
		pks[i] = metastore.PartitionKey{Topic: topic.ID, Partition: int32(i)}
	}
	return pks
}

func equalEntries(a, b []metastore.IndexEntry) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func testAppendUnknownPartition(t *testing.T, h *harness) {
	topic := h.createTopic(t, "t", 2)
	p0 := metastore.PartitionKey{Topic: topic.ID, Partition: 0}
	p1 := metastore.PartitionKey{Topic: topic.ID, Partition: 1}
	bad := []metastore.PartitionKey{
		{Topic: topic.ID, Partition: 2},
		{Topic: topic.ID, Partition: -1},
		{Topic: metastore.TopicID{9}, Partition: 0},
	}
	batches := []metastore.AppendBatch{batch(p0, 2, 0, 10)}
	for _, pk := range bad {
		batches = append(batches, batch(pk, 3, 0, 10))
	}
	batches = append(batches, batch(p1, 1, 10, 10), batch(p0, 4, 20, 10))
	res, key := h.append(t, batches...)
	mustAccept(t, res[0], 0)
	for i := range bad {
		mustErr(t, res[1+i].Err, metastore.ErrUnknownPartition)
	}
	mustAccept(t, res[4], 0)
	mustAccept(t, res[5], 2)
	if st := h.partition(t, p0); st.HighWater != 6 || st.Bytes != 20 {
		t.Fatalf("p0 state %+v", st)
	}
	h.checkDense(t, p0)
	h.checkDense(t, p1)
	h.checkKnown(t, map[string]bool{key: true})
}

func testAppendInvalid(t *testing.T, h *harness) {
	ctx := t.Context()
	topic := h.createTopic(t, "t", 1)
	pk := metastore.PartitionKey{Topic: topic.ID}
	good := batch(pk, 1, 0, 10)
	calls := []struct {
		obj     metastore.ObjectRef
		batches []metastore.AppendBatch
	}{
		{metastore.ObjectRef{Key: "", Size: 10}, []metastore.AppendBatch{good}},
		{metastore.ObjectRef{Key: "zero", Size: 10}, []metastore.AppendBatch{good, batch(pk, 0, 0, 10)}},
		{metastore.ObjectRef{Key: "outside", Size: 10}, []metastore.AppendBatch{good, batch(pk, 1, 5, 10)}},
	}
	for _, c := range calls {
		_, err := h.s.Append(ctx, c.obj, c.batches)
		mustErr(t, err, metastore.ErrInvalidRequest)
	}
	if st := h.partition(t, pk); st != (metastore.PartitionState{}) {
		t.Fatalf("refused Appends changed state: %+v", st)
	}
	h.checkKnown(t, map[string]bool{"zero": false, "outside": false})
}

func testAppendIdempotent(t *testing.T, h *harness) {
	topic := h.createTopic(t, "t", 2)
	p0 := metastore.PartitionKey{Topic: topic.ID, Partition: 0}
	p1 := metastore.PartitionKey{Topic: topic.ID, Partition: 1}
	const pid = 7

	res, _ := h.append(t, idem(p0, 5, pid, 0, 0), batch(p0, 1, 0, 10), idem(p0, 5, pid, 0, 5))
	mustAccept(t, res[0], 0)
	mustAccept(t, res[1], 5)
	mustAccept(t, res[2], 6)

	// A retry of both in a later Append, with the next batch between them.
	res, _ = h.append(t, idem(p0, 5, pid, 0, 0), idem(p0, 2, pid, 0, 10), idem(p0, 5, pid, 0, 5))
	mustDup(t, res[0], 0)
	mustAccept(t, res[1], 11)
	mustDup(t, res[2], 6)
	// A duplicate inside one Append.
	res, _ = h.append(t, idem(p0, 1, pid, 0, 12), idem(p0, 1, pid, 0, 12))
	mustAccept(t, res[0], 13)
	mustDup(t, res[1], 13)
	if st := h.partition(t, p0); st.HighWater != 14 {
		t.Fatalf("duplicates took offsets: %+v", st)
	}

	res, _ = h.append(t, idem(p0, 1, pid, 0, 20), idem(p0, 1, pid, 0, 12+1-2), idem(p0, 1, pid, 0, 13))
	mustErr(t, res[0].Err, metastore.ErrOutOfOrderSequence)
	mustErr(t, res[1].Err, metastore.ErrOutOfOrderSequence)
	mustAccept(t, res[2], 14)

	// State is per partition: the same producer starts anywhere on p1.
	res, _ = h.append(t, idem(p1, 3, pid, 0, 1000))
	mustAccept(t, res[0], 0)

	// Only the last five batches are remembered: the sixth-newest is no
	// longer a duplicate, and not in sequence either.
	for seq := int32(14); seq < 19; seq++ {
		res, _ = h.append(t, idem(p0, 1, pid, 0, seq))
		mustAccept(t, res[0], int64(seq)+1)
	}
	res, _ = h.append(t, idem(p0, 1, pid, 0, 18), idem(p0, 1, pid, 0, 14), idem(p0, 1, pid, 0, 13))
	mustDup(t, res[0], 19)
	mustDup(t, res[1], 15)
	mustErr(t, res[2].Err, metastore.ErrOutOfOrderSequence)
	h.checkDense(t, p0)
}

func mustDup(t *testing.T, r metastore.AppendResult, base int64) {
	t.Helper()
	if r.Err != nil || !r.Duplicate || r.BaseOffset != base {
		t.Fatalf("result = %+v, want duplicate of %d", r, base)
	}
}

func testAppendProducerEpochs(t *testing.T, h *harness) {
	topic := h.createTopic(t, "t", 1)
	pk := metastore.PartitionKey{Topic: topic.ID}
	const pid = 3

	res, _ := h.append(t, idem(pk, 2, pid, 4, 0), idem(pk, 2, pid, 4, 2))
	mustAccept(t, res[0], 0)
	mustAccept(t, res[1], 2)
	res, _ = h.append(t,
		idem(pk, 1, pid, 5, 4), // new epoch must start at 0
		idem(pk, 1, pid, 5, 0), // it does
		idem(pk, 1, pid, 4, 4), // the old epoch is fenced
		idem(pk, 2, pid, 4, 2), // even for what was a duplicate
		idem(pk, 1, pid, 5, 1),
	)
	mustErr(t, res[0].Err, metastore.ErrOutOfOrderSequence)
	mustAccept(t, res[1], 4)
	mustErr(t, res[2].Err, metastore.ErrInvalidProducerEpoch)
	mustErr(t, res[3].Err, metastore.ErrInvalidProducerEpoch)
	mustAccept(t, res[4], 5)

	// Sequences wrap from MaxInt32 to 0.
	res, _ = h.append(t, idem(pk, 3, pid+1, 0, math.MaxInt32-1), idem(pk, 2, pid+1, 0, 1),
		idem(pk, 3, pid+1, 0, math.MaxInt32-1))
	mustAccept(t, res[0], 6)
	mustAccept(t, res[1], 9)
	mustDup(t, res[2], 6)
	if st := h.partition(t, pk); st.HighWater != 11 {
		t.Fatalf("state %+v", st)
	}
}
