package metastoretest

import (
	"testing"

	"github.com/tributary-io/tributary/internal/metastore"
)

// fourEntries appends entries [0,2] [3,3] [4,7] [8,9] of sizes 10, 20, 30,
// 40 to pk, each in its own object, and returns the object keys.
func (h *harness) fourEntries(t *testing.T, pk metastore.PartitionKey) []string {
	t.Helper()
	var keys []string
	for i, n := range []int32{3, 1, 4, 2} {
		_, key := h.append(t, batch(pk, n, 0, int64(10*(i+1))))
		keys = append(keys, key)
	}
	return keys
}

func testReadIndex(t *testing.T, h *harness) {
	topic := h.createTopic(t, "t", 3)
	pks := partitions(topic)
	for _, pk := range pks {
		h.fourEntries(t, pk)
	}
	p := pks[1] // neighbours on both sides in key order
	tests := []struct {
		from      int64
		limit     int
		wantBases []int64
	}{
		{0, 0, []int64{0, 3, 4, 8}},
		{-5, 0, []int64{0, 3, 4, 8}},
		{1, 0, []int64{0, 3, 4, 8}},
		{3, 0, []int64{3, 4, 8}},
		{5, 0, []int64{4, 8}},
		{7, 0, []int64{4, 8}},
		{9, 0, []int64{8}},
		{10, 0, nil},
		{100, 0, nil},
		{1, 2, []int64{0, 3}},
		{4, 1, []int64{4}},
		{8, 5, []int64{8}},
	}
	for _, tt := range tests {
		entries, st := h.readIndex(t, p, tt.from, tt.limit)
		if !sameBases(entries, tt.wantBases) {
			t.Errorf("ReadIndex(from %d, limit %d) bases = %v, want %v", tt.from, tt.limit, bases(entries), tt.wantBases)
		}
		if st != (metastore.PartitionState{HighWater: 10, Bytes: 100}) {
			t.Errorf("ReadIndex(from %d) state = %+v", tt.from, st)
		}
	}

	// Before LogStart: the first retained entry, never the previous
	// partition's last one.
	if n, err := h.s.TrimIndex(t.Context(), p, 4); err != nil || n != 2 {
		t.Fatalf("TrimIndex = %d, %v", n, err)
	}
	for _, from := range []int64{0, 2, 3, 4, 5} {
		entries, st := h.readIndex(t, p, from, 0)
		if !sameBases(entries, []int64{4, 8}) || st.LogStart != 4 {
			t.Errorf("after trim ReadIndex(from %d) = %v, %+v", from, bases(entries), st)
		}
	}
	_, _, err := h.s.ReadIndex(t.Context(), metastore.PartitionKey{Topic: topic.ID, Partition: 3}, 0, 0)
	mustErr(t, err, metastore.ErrUnknownPartition)
}

func bases(entries []metastore.IndexEntry) []int64 {
	var out []int64
	for _, e := range entries {
		out = append(out, e.BaseOffset)
	}
	return out
}

func sameBases(entries []metastore.IndexEntry, want []int64) bool {
	got := bases(entries)
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] != want[i] {
			return false
		}
	}
	return true
}

func testTrimIndex(t *testing.T, h *harness) {
	topic := h.createTopic(t, "t", 2)
	pk := metastore.PartitionKey{Topic: topic.ID}
	keys := h.fourEntries(t, pk)
	h.fourEntries(t, metastore.PartitionKey{Topic: topic.ID, Partition: 1})

	steps := []struct {
		before      int64
		wantRemoved int
		wantState   metastore.PartitionState
		wantDead    []string
	}{
		{0, 0, metastore.PartitionState{LogStart: 0, HighWater: 10, Bytes: 100}, nil},
		{3, 1, metastore.PartitionState{LogStart: 3, HighWater: 10, Bytes: 90}, keys[:1]},
		{5, 1, metastore.PartitionState{LogStart: 4, HighWater: 10, Bytes: 70}, keys[:2]},
		{1, 0, metastore.PartitionState{LogStart: 4, HighWater: 10, Bytes: 70}, keys[:2]},
		{100, 2, metastore.PartitionState{LogStart: 10, HighWater: 10, Bytes: 0}, keys},
	}
	for _, s := range steps {
		n, err := h.s.TrimIndex(t.Context(), pk, s.before)
		if err != nil || n != s.wantRemoved {
			t.Fatalf("TrimIndex(%d) = %d, %v; want %d", s.before, n, err, s.wantRemoved)
		}
		if st := h.partition(t, pk); st != s.wantState {
			t.Fatalf("after TrimIndex(%d) state %+v, want %+v", s.before, st, s.wantState)
		}
		h.checkDense(t, pk)
		h.checkDead(t, s.wantDead...)
	}

	res, _ := h.append(t, batch(pk, 2, 0, 5))
	mustAccept(t, res[0], 10)
	if res[0].LogStart != 10 {
		t.Fatalf("Append after trim reports LogStart %d", res[0].LogStart)
	}
	if entries, _ := h.readIndex(t, pk, 0, 0); !sameBases(entries, []int64{10}) {
		t.Fatalf("index after trim and append: %v", bases(entries))
	}
	if st := h.partition(t, metastore.PartitionKey{Topic: topic.ID, Partition: 1}); st.LogStart != 0 || st.Bytes != 100 {
		t.Fatalf("trim touched another partition: %+v", st)
	}
	_, err := h.s.TrimIndex(t.Context(), metastore.PartitionKey{Topic: topic.ID, Partition: 2}, 1)
	mustErr(t, err, metastore.ErrUnknownPartition)
}

// testDeleteRecords: DeleteRecords moves LogStart to exactly the offset
// asked (inside an entry too), drops and releases only the entries wholly
// below it, never moves LogStart back nor past HighWater, resolves -1 to
// HighWater, and survives a reopen; retention afterwards keeps the start.
func testDeleteRecords(t *testing.T, h *harness) {
	topic := h.createTopic(t, "t", 2)
	pk := metastore.PartitionKey{Topic: topic.ID}
	keys := h.fourEntries(t, pk) // [0,2] [3,3] [4,7] [8,9], sizes 10 20 30 40
	h.fourEntries(t, metastore.PartitionKey{Topic: topic.ID, Partition: 1})

	steps := []struct {
		offset    int64
		wantErr   error
		wantState metastore.PartitionState
		wantDead  []string
	}{
		{0, nil, metastore.PartitionState{LogStart: 0, HighWater: 10, Bytes: 100}, nil},
		{2, nil, metastore.PartitionState{LogStart: 2, HighWater: 10, Bytes: 100}, nil},
		{5, nil, metastore.PartitionState{LogStart: 5, HighWater: 10, Bytes: 70}, keys[:2]},
		{1, nil, metastore.PartitionState{LogStart: 5, HighWater: 10, Bytes: 70}, keys[:2]},
		{11, metastore.ErrOffsetOutOfRange, metastore.PartitionState{LogStart: 5, HighWater: 10, Bytes: 70}, keys[:2]},
		{-2, metastore.ErrOffsetOutOfRange, metastore.PartitionState{LogStart: 5, HighWater: 10, Bytes: 70}, keys[:2]},
	}
	for _, s := range steps {
		st, err := h.s.DeleteRecords(t.Context(), pk, s.offset)
		if s.wantErr != nil {
			mustErr(t, err, s.wantErr)
		} else if err != nil || st != s.wantState {
			t.Fatalf("DeleteRecords(%d) = %+v, %v; want %+v", s.offset, st, err, s.wantState)
		}
		if st := h.partition(t, pk); st != s.wantState {
			t.Fatalf("after DeleteRecords(%d) state %+v, want %+v", s.offset, st, s.wantState)
		}
		h.checkDense(t, pk)
		h.checkDead(t, s.wantDead...)
	}
	if entries, _ := h.readIndex(t, pk, 0, 0); !sameBases(entries, []int64{4, 8}) {
		t.Fatalf("index after DeleteRecords(5): %v", bases(entries))
	}
	// Retention trimming below the new start never moves it back.
	if _, err := h.s.TrimIndex(t.Context(), pk, 5); err != nil {
		t.Fatal(err)
	}
	if st := h.partition(t, pk); st.LogStart != 5 {
		t.Fatalf("TrimIndex after DeleteRecords moved LogStart to %d", st.LogStart)
	}
	h.reopen(t)
	if st := h.partition(t, pk); st.LogStart != 5 || st.Bytes != 70 {
		t.Fatalf("after reopen: %+v", st)
	}

	st, err := h.s.DeleteRecords(t.Context(), pk, metastore.DeleteToHighWater)
	if want := (metastore.PartitionState{LogStart: 10, HighWater: 10}); err != nil || st != want {
		t.Fatalf("DeleteRecords(-1) = %+v, %v; want %+v", st, err, want)
	}
	h.checkDead(t, keys...)
	res, _ := h.append(t, batch(pk, 2, 0, 5))
	mustAccept(t, res[0], 10)
	if res[0].LogStart != 10 {
		t.Fatalf("Append after DeleteRecords reports LogStart %d", res[0].LogStart)
	}
	if st := h.partition(t, metastore.PartitionKey{Topic: topic.ID, Partition: 1}); st.LogStart != 0 || st.Bytes != 100 {
		t.Fatalf("DeleteRecords touched another partition: %+v", st)
	}
	_, err = h.s.DeleteRecords(t.Context(), metastore.PartitionKey{Topic: topic.ID, Partition: 2}, 0)
	mustErr(t, err, metastore.ErrUnknownPartition)
}

// twoObjectLog writes [0,2] [3,3] into one object, [4,7] and [8,9] into one
// each, and returns the entries.
func (h *harness) twoObjectLog(t *testing.T, pk metastore.PartitionKey) []metastore.IndexEntry {
	t.Helper()
	h.append(t, batch(pk, 3, 0, 10), batch(pk, 1, 10, 20))
	h.append(t, batch(pk, 4, 0, 30))
	h.append(t, batch(pk, 2, 0, 40))
	return h.checkDense(t, pk)
}

func testReplaceIndex(t *testing.T, h *harness) {
	ctx := t.Context()
	topic := h.createTopic(t, "t", 1)
	pk := metastore.PartitionKey{Topic: topic.ID}
	old := h.twoObjectLog(t, pk)
	repl := metastore.IndexEntry{BaseOffset: 0, LastOffset: 7, ObjectKey: "segment/1", Pos: 0, Size: 50, MaxTimestamp: 42}

	invalid := []struct {
		old  []metastore.IndexEntry
		repl metastore.IndexEntry
	}{
		{nil, repl},
		{[]metastore.IndexEntry{old[0], old[2]}, repl},
		{old[:3], metastore.IndexEntry{BaseOffset: 0, LastOffset: 8, ObjectKey: "segment/1", Size: 50}},
		{old[:3], metastore.IndexEntry{BaseOffset: 1, LastOffset: 7, ObjectKey: "segment/1", Size: 50}},
		{old[:3], metastore.IndexEntry{BaseOffset: 0, LastOffset: 7, ObjectKey: "", Size: 50}},
	}
	for i, c := range invalid {
		err := h.s.ReplaceIndex(ctx, pk, c.old, c.repl)
		if err == nil {
			t.Fatalf("invalid replace %d accepted", i)
		}
		mustErr(t, err, metastore.ErrInvalidRequest)
	}

	if err := h.s.ReplaceIndex(ctx, pk, old[:3], repl); err != nil {
		t.Fatalf("ReplaceIndex: %v", err)
	}
	got := h.checkDense(t, pk)
	if !equalEntries(got, []metastore.IndexEntry{repl, old[3]}) {
		t.Fatalf("index after replace: %+v", got)
	}
	if st := h.partition(t, pk); st.Bytes != 90 || st.HighWater != 10 || st.LogStart != 0 {
		t.Fatalf("state after replace: %+v", st)
	}
	h.checkDead(t, old[0].ObjectKey, old[2].ObjectKey)
	h.checkKnown(t, map[string]bool{repl.ObjectKey: true, old[3].ObjectKey: true})

	// Rewriting again, into an object the old entries point into, keeps it.
	repl2 := metastore.IndexEntry{BaseOffset: 0, LastOffset: 9, ObjectKey: old[3].ObjectKey, Pos: 40, Size: 90}
	if err := h.s.ReplaceIndex(ctx, pk, got, repl2); err != nil {
		t.Fatalf("ReplaceIndex into an old object: %v", err)
	}
	h.checkDense(t, pk)
	h.checkDead(t, old[0].ObjectKey, old[2].ObjectKey, repl.ObjectKey)
}

func testReplaceIndexConflict(t *testing.T, h *harness) {
	ctx := t.Context()
	topic := h.createTopic(t, "t", 1)
	pk := metastore.PartitionKey{Topic: topic.ID}
	old := h.twoObjectLog(t, pk)
	repl := metastore.IndexEntry{BaseOffset: 4, LastOffset: 9, ObjectKey: "segment/1", Size: 60}

	changed := []metastore.IndexEntry{old[2], old[3]}
	changed[1].Size++
	moved := []metastore.IndexEntry{old[2], old[3]}
	moved[0].ObjectKey = "elsewhere"
	for i, c := range [][]metastore.IndexEntry{changed, moved} {
		err := h.s.ReplaceIndex(ctx, pk, c, repl)
		if err == nil {
			t.Fatalf("replace %d of changed entries accepted", i)
		}
		mustErr(t, err, metastore.ErrConflict)
	}

	// A dead object is not revived.
	res, dead := h.append(t, batch(metastore.PartitionKey{Topic: topic.ID, Partition: 7}, 1, 0, 1))
	mustErr(t, res[0].Err, metastore.ErrUnknownPartition)
	deadRepl := repl
	deadRepl.ObjectKey = dead
	mustErr(t, h.s.ReplaceIndex(ctx, pk, old[2:], deadRepl), metastore.ErrConflict)

	// Entries trimmed away meanwhile.
	if _, err := h.s.TrimIndex(ctx, pk, 3); err != nil {
		t.Fatal(err)
	}
	first := metastore.IndexEntry{BaseOffset: 0, LastOffset: 3, ObjectKey: "segment/2", Size: 30}
	mustErr(t, h.s.ReplaceIndex(ctx, pk, old[:2], first), metastore.ErrConflict)

	// None of that changed anything but the trim.
	got := h.checkDense(t, pk)
	if !equalEntries(got, old[1:]) {
		t.Fatalf("index after conflicts: %+v", got)
	}
	h.checkKnown(t, map[string]bool{"segment/1": false, "segment/2": false})

	// And the replace that was meant goes through.
	if err := h.s.ReplaceIndex(ctx, pk, old[2:], repl); err != nil {
		t.Fatalf("ReplaceIndex: %v", err)
	}
	mustErr(t, h.s.ReplaceIndex(ctx, pk, old[2:], repl), metastore.ErrConflict)
}

// testPartitionStates: one read gives the state of every listed partition
// that exists (the long-poll watcher's one query for all watched
// partitions), the same as Partition gives one at a time; unknown ones are
// left out.
func testPartitionStates(t *testing.T, h *harness) {
	a, b := h.createTopic(t, "a", 2), h.createTopic(t, "b", 1)
	pa, pb := partitions(a), partitions(b)
	h.fourEntries(t, pa[1])
	h.append(t, batch(pb[0], 5, 0, 7))
	unknown := metastore.PartitionKey{Topic: a.ID, Partition: 9}
	got, err := h.s.PartitionStates(t.Context(), []metastore.PartitionKey{pa[0], pa[1], pb[0], unknown})
	if err != nil {
		t.Fatalf("PartitionStates: %v", err)
	}
	want := map[metastore.PartitionKey]metastore.PartitionState{
		pa[0]: {}, pa[1]: {HighWater: 10, Bytes: 100}, pb[0]: {HighWater: 5, Bytes: 7},
	}
	if len(got) != len(want) {
		t.Fatalf("PartitionStates = %v, want %v", got, want)
	}
	for pk, st := range want {
		if got[pk] != st {
			t.Errorf("PartitionStates[%v] = %+v, want %+v", pk, got[pk], st)
		}
		if one, err := h.s.Partition(t.Context(), pk); err != nil || one != got[pk] {
			t.Errorf("Partition(%v) = %+v, %v; PartitionStates gave %+v", pk, one, err, got[pk])
		}
	}
	if empty, err := h.s.PartitionStates(t.Context(), nil); err != nil || len(empty) != 0 {
		t.Errorf("PartitionStates(nil) = %v, %v", empty, err)
	}
}
