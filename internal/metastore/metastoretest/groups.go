package metastoretest

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tributary-io/tributary/internal/metastore"
)

// The Groups subtests. Times the store sets (UpdatedAt, CommittedAt) are
// checked against the test's clock with clockSlack, as the store's clock
// (the database's for Postgres) may differ a little; expiry is judged by
// the store's clock alone, so those tests wait real time past a short
// retention instead.

const clockSlack = time.Second

// group is a record for name with distinct field values, generation gen.
func group(name, state string, gen int32) metastore.Group {
	return metastore.Group{
		Name: name, Generation: gen, ProtocolType: "consumer", Kind: "classic",
		StateName: state, State: []byte("members of " + name + "\x00\xff"),
	}
}

// sameGroup compares records, State by bytes and times by instant.
func sameGroup(a, b metastore.Group) bool {
	return a.Name == b.Name && a.Version == b.Version && a.Generation == b.Generation &&
		a.ProtocolType == b.ProtocolType && a.Kind == b.Kind && a.StateName == b.StateName &&
		bytes.Equal(a.State, b.State) && a.UpdatedAt.Equal(b.UpdatedAt)
}

// within checks that the store's time at lies in [before, after], give or
// take clockSlack.
func within(t *testing.T, what string, at, before, after time.Time) {
	t.Helper()
	if at.Before(before.Add(-clockSlack)) || at.After(after.Add(clockSlack)) {
		t.Fatalf("%s = %v, want between %v and %v", what, at, before, after)
	}
}

// put puts g over version prev, checks the answer and that Group reads
// the same back, and returns the stored record.
func (h *harness) put(t *testing.T, g metastore.Group, prev int64) metastore.Group {
	t.Helper()
	before := time.Now()
	got, err := h.s.PutGroup(t.Context(), g, prev)
	if err != nil {
		t.Fatalf("PutGroup(%s, prev %d): %v", g.Name, prev, err)
	}
	within(t, "UpdatedAt", got.UpdatedAt, before, time.Now())
	want := g
	want.Version, want.UpdatedAt = prev+1, got.UpdatedAt
	if !sameGroup(got, want) {
		t.Fatalf("PutGroup(%s, prev %d) = %+v, want %+v", g.Name, prev, got, want)
	}
	h.checkGroup(t, got)
	return got
}

// checkGroup checks that Group returns want.
func (h *harness) checkGroup(t *testing.T, want metastore.Group) {
	t.Helper()
	got, err := h.s.Group(t.Context(), want.Name)
	if err != nil || !sameGroup(got, want) {
		t.Fatalf("Group(%s) = %+v, %v; want %+v", want.Name, got, err, want)
	}
}

// checkNoGroup checks that name has no record.
func (h *harness) checkNoGroup(t *testing.T, name string) {
	t.Helper()
	_, err := h.s.Group(t.Context(), name)
	mustErr(t, err, metastore.ErrUnknownGroup)
}

func testPutGroup(t *testing.T, h *harness) {
	ctx, gs := t.Context(), h.s
	h.checkNoGroup(t, "g")

	in := group("g", "Stable", 4)
	in.Version, in.UpdatedAt = 77, time.Unix(1, 0) // ignored
	v1 := h.put(t, in, 0)
	in.State[0] = 'X' // the store kept its own copy
	h.checkGroup(t, v1)

	_, err := gs.PutGroup(ctx, group("g", "Empty", 9), 0)
	mustErr(t, err, metastore.ErrConflict)
	h.checkGroup(t, v1)

	next := group("g", "PreparingRebalance", 5)
	next.Kind, next.ProtocolType, next.State = "consumer", "connect", nil
	v2 := h.put(t, next, 1)
	if v2.UpdatedAt.Before(v1.UpdatedAt) {
		t.Fatalf("second put's UpdatedAt %v is before the first's %v", v2.UpdatedAt, v1.UpdatedAt)
	}
	for _, stale := range []int64{0, 1, 3, -1} {
		_, err = gs.PutGroup(ctx, group("g", "Dead", 6), stale)
		mustErr(t, err, metastore.ErrConflict)
	}
	h.checkGroup(t, v2)
	h.put(t, group("g", "Stable", 6), 2)

	// prev > 0 for a group that does not exist is a conflict too.
	_, err = gs.PutGroup(ctx, group("h", "Stable", 1), 1)
	mustErr(t, err, metastore.ErrConflict)
	h.checkNoGroup(t, "h")

	// Offsets are not touched.
	offs := []metastore.GroupOffset{{Topic: "t", Partition: 0, Offset: 5, LeaderEpoch: -1}}
	h.commit(t, "g", 6, offs...)
	h.put(t, group("g", "Empty", 7), 3)
	h.checkOffsets(t, "g", offs...)
}

func testListGroups(t *testing.T, h *harness) {
	if got := h.listGroups(t); len(got) != 0 {
		t.Fatalf("ListGroups of an empty store = %+v", got)
	}
	var want []metastore.Group
	for _, name := range []string{"c", "a", "B", "b"} {
		want = append(want, h.put(t, group(name, "Stable", 1), 0))
	}
	h.commit(t, "offsets-only", -1, metastore.GroupOffset{Topic: "t", Offset: 1})
	want[0] = h.put(t, group("c", "Empty", 2), 1)
	slices.SortFunc(want, func(a, b metastore.Group) int { return bytes.Compare([]byte(a.Name), []byte(b.Name)) })

	got := h.listGroups(t)
	if !slices.EqualFunc(got, want, sameGroup) {
		t.Fatalf("ListGroups =\n%+v\nwant (by name, byte order)\n%+v", got, want)
	}
}

func (h *harness) listGroups(t *testing.T) []metastore.Group {
	t.Helper()
	got, err := h.s.ListGroups(t.Context())
	if err != nil {
		t.Fatalf("ListGroups: %v", err)
	}
	return got
}

func testDeleteGroup(t *testing.T, h *harness) {
	ctx, gs := t.Context(), h.s
	for _, prev := range []int64{0, 1} {
		mustErr(t, gs.DeleteGroup(ctx, "nobody", prev), metastore.ErrUnknownGroup)
	}

	// A record and offsets: both go, at the stored version only.
	off := metastore.GroupOffset{Topic: "t", Partition: 2, Offset: 9, LeaderEpoch: 1}
	h.put(t, group("g", "Stable", 1), 0)
	v2 := h.put(t, group("g", "Empty", 1), 1)
	h.commit(t, "g", 1, off)
	h.commit(t, "other", -1, off)
	for _, stale := range []int64{0, 1, 3} {
		mustErr(t, gs.DeleteGroup(ctx, "g", stale), metastore.ErrConflict)
	}
	h.checkGroup(t, v2)
	h.checkOffsets(t, "g", off)
	if err := gs.DeleteGroup(ctx, "g", 2); err != nil {
		t.Fatalf("DeleteGroup(g, 2): %v", err)
	}
	h.checkNoGroup(t, "g")
	h.checkOffsets(t, "g")
	h.checkOffsets(t, "other", off)
	mustErr(t, gs.DeleteGroup(ctx, "g", 2), metastore.ErrUnknownGroup)

	// Offsets without a record: prev 0 deletes them.
	mustErr(t, gs.DeleteGroup(ctx, "other", 1), metastore.ErrConflict)
	h.checkOffsets(t, "other", off)
	if err := gs.DeleteGroup(ctx, "other", 0); err != nil {
		t.Fatalf("DeleteGroup of an offsets-only group: %v", err)
	}
	h.checkOffsets(t, "other")
	mustErr(t, gs.DeleteGroup(ctx, "other", 0), metastore.ErrUnknownGroup)

	// A record without offsets.
	h.put(t, group("r", "Empty", 0), 0)
	mustErr(t, gs.DeleteGroup(ctx, "r", 0), metastore.ErrConflict)
	if err := gs.DeleteGroup(ctx, "r", 1); err != nil {
		t.Fatalf("DeleteGroup of a record without offsets: %v", err)
	}
	h.checkNoGroup(t, "r")
	if got := h.listGroups(t); len(got) != 0 {
		t.Fatalf("ListGroups after deleting every group = %+v", got)
	}
}

// commit commits offsets and fails on an error.
func (h *harness) commit(t *testing.T, group string, generation int32, offsets ...metastore.GroupOffset) {
	t.Helper()
	if err := h.s.CommitOffsets(t.Context(), group, generation, offsets); err != nil {
		t.Fatalf("CommitOffsets(%s, generation %d): %v", group, generation, err)
	}
}

// fetch returns FetchOffsets and checks that it is sorted by topic and
// partition.
func (h *harness) fetch(t *testing.T, group string) []metastore.GroupOffset {
	t.Helper()
	got, err := h.s.FetchOffsets(t.Context(), group)
	if err != nil {
		t.Fatalf("FetchOffsets(%s): %v", group, err)
	}
	if !slices.IsSortedFunc(got, metastore.CompareOffsets) {
		t.Fatalf("FetchOffsets(%s) not sorted by topic and partition: %+v", group, got)
	}
	return got
}

// checkOffsets checks that group's offsets are exactly want (in any
// order), CommittedAt aside, and returns them as fetched.
func (h *harness) checkOffsets(t *testing.T, group string, want ...metastore.GroupOffset) []metastore.GroupOffset {
	t.Helper()
	got := h.fetch(t, group)
	want = slices.Clone(want)
	slices.SortFunc(want, metastore.CompareOffsets)
	same := func(a, b metastore.GroupOffset) bool {
		a.CommittedAt, b.CommittedAt = time.Time{}, time.Time{}
		return a == b
	}
	if !slices.EqualFunc(got, want, same) {
		t.Fatalf("FetchOffsets(%s) =\n%+v\nwant\n%+v", group, got, want)
	}
	return got
}

func off(topic string, partition int32, offset int64) metastore.GroupOffset {
	return metastore.GroupOffset{Topic: topic, Partition: partition, Offset: offset, LeaderEpoch: -1}
}

func tp(topic string, partition int32) metastore.TopicPartition {
	return metastore.TopicPartition{Topic: topic, Partition: partition}
}

func testCommitOffsets(t *testing.T, h *harness) {
	ctx, gs := t.Context(), h.s
	h.checkOffsets(t, "g") // unknown: empty, no error

	// No record needed without a generation; stored as given, sorted.
	first := []metastore.GroupOffset{
		off("b", 1, 10), off("a", 2, 20), off("a", 0, 0), off("b", 0, 30), off("a", 10, 40),
	}
	first[1].LeaderEpoch, first[1].Metadata = 7, "meta\x01data"
	before := time.Now()
	h.commit(t, "g", -1, first...)
	got := h.checkOffsets(t, "g", first...)
	for _, o := range got {
		within(t, "CommittedAt", o.CommittedAt, before, time.Now())
	}

	// Upsert: a2 changes, b3 is new, the rest stays.
	a2 := metastore.GroupOffset{Topic: "a", Partition: 2, Offset: 21, LeaderEpoch: 8}
	h.commit(t, "g", -1, a2, off("b", 3, 5))
	want := append(slices.Clone(first), off("b", 3, 5))
	want[1] = a2
	for _, o := range h.checkOffsets(t, "g", want...) {
		if o.Topic == "a" && o.Partition == 2 && o.CommittedAt.Before(got[1].CommittedAt) {
			t.Fatalf("recommitted offset's CommittedAt %v is before the first %v", o.CommittedAt, got[1].CommittedAt)
		}
	}
	// A partition given twice in one commit: the last one counts, as in a
	// Kafka OffsetCommit request.
	h.commit(t, "g", -1, off("a", 0, 1), off("a", 0, 2))
	want[2] = off("a", 0, 2)
	h.checkOffsets(t, "g", want...)

	// With a generation, the record must exist with it, or nothing is
	// stored.
	h.put(t, group("g", "Stable", 3), 0)
	for _, gen := range []int32{0, 2, 4} {
		err := gs.CommitOffsets(ctx, "g", gen, []metastore.GroupOffset{off("a", 0, 99), off("c", 0, 99)})
		mustErr(t, err, metastore.ErrIllegalGeneration)
	}
	h.checkOffsets(t, "g", want...)
	h.commit(t, "g", 3, off("a", 0, 3), off("c", 0, 1))
	want[2] = off("a", 0, 3)
	want = append(want, off("c", 0, 1))
	h.checkOffsets(t, "g", want...)
	h.commit(t, "g", -1, off("c", 0, 2)) // no check
	want[len(want)-1] = off("c", 0, 2)
	h.checkOffsets(t, "g", want...)
	// Even a commit of nothing is checked.
	if err := gs.CommitOffsets(ctx, "g", 3, nil); err != nil {
		t.Fatalf("CommitOffsets of nothing at the stored generation: %v", err)
	}
	mustErr(t, gs.CommitOffsets(ctx, "g", 2, nil), metastore.ErrIllegalGeneration)

	mustErr(t, gs.CommitOffsets(ctx, "norecord", 0, []metastore.GroupOffset{off("a", 0, 1)}), metastore.ErrIllegalGeneration)
	h.checkOffsets(t, "norecord")

	// All or none: one bad offset refuses the commit.
	err := gs.CommitOffsets(ctx, "g", -1, []metastore.GroupOffset{off("a", 0, 50), off("", 0, 50)})
	mustErr(t, err, metastore.ErrInvalidRequest)
	h.checkOffsets(t, "g", want...)
}

func testDeleteOffsets(t *testing.T, h *harness) {
	ctx, gs := t.Context(), h.s
	h.commit(t, "g", -1, off("a", 0, 1), off("a", 1, 2), off("b", 0, 3), off("ab", 0, 4))
	h.commit(t, "h", -1, off("a", 0, 5))
	err := gs.DeleteOffsets(ctx, "g", []metastore.TopicPartition{tp("a", 0), tp("a", 7), tp("nope", 0), tp("b", 0)})
	if err != nil {
		t.Fatalf("DeleteOffsets: %v", err)
	}
	h.checkOffsets(t, "g", off("a", 1, 2), off("ab", 0, 4))
	h.checkOffsets(t, "h", off("a", 0, 5))
	if err := gs.DeleteOffsets(ctx, "nobody", []metastore.TopicPartition{tp("a", 0)}); err != nil {
		t.Fatalf("DeleteOffsets of an unknown group: %v", err)
	}

	// Once the last offset is gone, a group without a record is unknown.
	if err := gs.DeleteOffsets(ctx, "h", []metastore.TopicPartition{tp("a", 0)}); err != nil {
		t.Fatalf("DeleteOffsets: %v", err)
	}
	h.checkOffsets(t, "h")
	mustErr(t, gs.DeleteGroup(ctx, "h", 0), metastore.ErrUnknownGroup)
}

// testExpireGroups lets groups age past a short retention by the store's
// clock. Whether a fresh commit or put keeps a group alive can only be
// judged if the expiry ran within the retention of it: on a store (or
// machine) slower than that, the round is run again with a longer one.
func testExpireGroups(t *testing.T, h *harness) {
	if got, err := h.s.ExpireGroups(t.Context(), time.Hour); err != nil || len(got) != 0 {
		t.Fatalf("ExpireGroups(1h) of an empty store = %q, %v", got, err)
	}
	for round, retention := 1, time.Second; ; round, retention = round+1, 2*retention {
		if expireRound(t, h, fmt.Sprint(round, "-"), retention) {
			return
		}
		if retention >= 8*time.Second {
			t.Fatalf("ExpireGroups ran more than %v after the commit before it, %d times", retention, round)
		}
		t.Logf("round %d inconclusive: ExpireGroups ran more than %v after the commit before it", round, retention)
	}
}

// expireRound makes groups named with prefix p, lets them age past
// retention, refreshes some and expires; it reports false if the expiry
// ran too late to judge the refreshed ones.
func expireRound(t *testing.T, h *harness, p string, retention time.Duration) bool {
	ctx, gs := t.Context(), h.s
	o := off("t", 0, 1)
	h.put(t, group(p+"stable", "Stable", 1), 0)
	h.commit(t, p+"stable", 1, o)
	h.put(t, group(p+"empty", metastore.GroupStateEmpty, 1), 0)
	h.commit(t, p+"empty", -1, o, off("t", 1, 2))
	h.commit(t, p+"bare", -1, o)
	h.put(t, group(p+"record-only", metastore.GroupStateEmpty, 0), 0)
	h.commit(t, p+"recommitted", -1, o, off("u", 0, 3))
	h.put(t, group(p+"reput", metastore.GroupStateEmpty, 1), 0)
	h.commit(t, p+"reput", -1, o)

	if got, err := gs.ExpireGroups(ctx, time.Hour); err != nil || len(got) != 0 {
		t.Fatalf("ExpireGroups(1h) of fresh groups = %q, %v", got, err)
	}
	time.Sleep(retention + 300*time.Millisecond)
	// A fresh commit of one offset, or a fresh put, keeps a group alive.
	refreshed := time.Now()
	h.commit(t, p+"recommitted", -1, off("t", 0, 2))
	reput := h.put(t, group(p+"reput", metastore.GroupStateEmpty, 2), 1)
	got, err := gs.ExpireGroups(ctx, retention)
	if err != nil {
		t.Fatalf("ExpireGroups: %v", err)
	}
	if time.Since(refreshed) >= retention {
		return false
	}

	gone := []string{p + "bare", p + "empty", p + "record-only"}
	got = slices.DeleteFunc(got, func(name string) bool { return !strings.HasPrefix(name, p) }) // earlier rounds'
	slices.Sort(got)
	if !slices.Equal(got, gone) {
		t.Fatalf("ExpireGroups(%v) = %q, want %q", retention, got, gone)
	}
	for _, name := range gone {
		h.checkNoGroup(t, name)
		h.checkOffsets(t, name)
	}
	h.checkOffsets(t, p+"stable", o)
	h.checkOffsets(t, p+"recommitted", off("t", 0, 2), off("u", 0, 3))
	h.checkOffsets(t, p+"reput", o)
	h.checkGroup(t, reput)
	names := slices.DeleteFunc(groupNames(h.listGroups(t)), func(name string) bool { return !strings.HasPrefix(name, p) })
	if !slices.Equal(names, []string{p + "reput", p + "stable"}) {
		t.Fatalf("ListGroups after expiry = %q", names)
	}

	// Removed groups are not reported again; a Stable one never is.
	again, err := gs.ExpireGroups(ctx, retention)
	if err != nil || slices.ContainsFunc(again, func(name string) bool {
		return slices.Contains(gone, name) || name == p+"stable"
	}) {
		t.Fatalf("ExpireGroups again = %q, %v", again, err)
	}
	return true
}

func groupNames(groups []metastore.Group) []string {
	var names []string
	for _, g := range groups {
		names = append(names, g.Name)
	}
	return names
}

// testDeleteTopicOffsets: DeleteTopic removes every group's offsets of
// the topic's name, and only those.
func testDeleteTopicOffsets(t *testing.T, h *harness) {
	ctx, gs := t.Context(), h.s
	h.createTopic(t, "t", 2)
	h.createTopic(t, "tt", 1)
	rec := h.put(t, group("g1", "Stable", 1), 0)
	h.commit(t, "g1", 1, off("t", 0, 1), off("t", 1, 2), off("tt", 0, 3), off("t-1", 0, 4), off("s", 0, 5))
	h.commit(t, "g2", -1, off("t", 1, 6))

	if _, err := h.s.DeleteTopic(ctx, "t"); err != nil {
		t.Fatalf("DeleteTopic: %v", err)
	}
	h.checkOffsets(t, "g1", off("tt", 0, 3), off("t-1", 0, 4), off("s", 0, 5))
	h.checkOffsets(t, "g2")
	mustErr(t, gs.DeleteGroup(ctx, "g2", 0), metastore.ErrUnknownGroup)
	h.checkGroup(t, rec)
}

// testGroupsInvalid: calls with an empty group or topic name or a
// retention that is not positive are refused and change nothing.
func testGroupsInvalid(t *testing.T, h *harness) {
	ctx, gs := t.Context(), h.s
	_, err := gs.Group(ctx, "")
	mustErr(t, err, metastore.ErrInvalidRequest)
	_, err = gs.PutGroup(ctx, group("", "Empty", 0), 0)
	mustErr(t, err, metastore.ErrInvalidRequest)
	mustErr(t, gs.DeleteGroup(ctx, "", 0), metastore.ErrInvalidRequest)
	mustErr(t, gs.CommitOffsets(ctx, "", -1, []metastore.GroupOffset{off("t", 0, 1)}), metastore.ErrInvalidRequest)
	mustErr(t, gs.CommitOffsets(ctx, "g", -1, []metastore.GroupOffset{off("", 0, 1)}), metastore.ErrInvalidRequest)
	_, err = gs.FetchOffsets(ctx, "")
	mustErr(t, err, metastore.ErrInvalidRequest)
	mustErr(t, gs.DeleteOffsets(ctx, "", []metastore.TopicPartition{tp("t", 0)}), metastore.ErrInvalidRequest)
	mustErr(t, gs.DeleteOffsets(ctx, "g", []metastore.TopicPartition{tp("", 0)}), metastore.ErrInvalidRequest)
	for _, r := range []time.Duration{0, -time.Second} {
		_, err = gs.ExpireGroups(ctx, r)
		mustErr(t, err, metastore.ErrInvalidRequest)
	}
	if got := h.listGroups(t); len(got) != 0 {
		t.Fatalf("invalid calls left groups %+v", got)
	}
	h.checkOffsets(t, "g")
}

// testGroupsReopen: records and offsets survive closing the store.
func testGroupsReopen(t *testing.T, h *harness) {
	a := h.put(t, group("a", "Stable", 2), 0)
	h.commit(t, "a", 2, off("t", 0, 7), metastore.GroupOffset{Topic: "u", Partition: 3, Offset: 8, LeaderEpoch: 4, Metadata: "m"})
	h.commit(t, "b", -1, off("t", 1, 9))
	offsA, offsB := h.fetch(t, "a"), h.fetch(t, "b")
	h.reopen(t)
	h.checkGroup(t, a)
	for name, want := range map[string][]metastore.GroupOffset{"a": offsA, "b": offsB} {
		got := h.fetch(t, name)
		if !slices.EqualFunc(got, want, func(x, y metastore.GroupOffset) bool {
			return x.Topic == y.Topic && x.Partition == y.Partition && x.Offset == y.Offset &&
				x.LeaderEpoch == y.LeaderEpoch && x.Metadata == y.Metadata && x.CommittedAt.Equal(y.CommittedAt)
		}) {
			t.Fatalf("offsets of %s after reopen =\n%+v\nwant\n%+v", name, got, want)
		}
	}
}
