package iceberg

import (
	"context"
	"encoding/binary"
	"strconv"
	"testing"

	iceberggo "github.com/apache/iceberg-go"
	icetable "github.com/apache/iceberg-go/table"
)

// TestCommittedFilesCarryColumnBounds: iceberg-go keeps only counts for
// a column inside a struct, and every column of the layout is in one,
// so ingest's files had no bounds and a filter on kafka.event_timestamp
// pruned nothing (compacted tables queried slower than before). Each
// committed file must carry the bounds of the kafka columns and of the
// value's primitive fields, as iceberg-go reads them back from the
// manifests, and a filter on kafka.event_timestamp must plan only the
// files it can match.
func TestCommittedFilesCarryColumnBounds(t *testing.T) {
	ctx := context.Background()
	cat := newClient(t, newCatalogURL(t))
	tbl, err := Open(ctx, cat, []string{"kafka", "orders"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	md := compileMessage(t, orderV1, "shop.v1.Order")
	w := newWriter(t, tbl, md)
	const commits, per = 4, 10
	next := map[int32]int64{}
	for c := range commits {
		for i := range per {
			off := int64(c*per + i)
			w.add(int32(c%2), off, orderMsg(md, int(off)))
			next[int32(c%2)] = off + 1
		}
		if err := w.commit(next); err != nil {
			t.Fatal(err)
		}
	}
	it := tbl.Iceberg()
	sc := it.Schema()
	id := func(name string) int {
		t.Helper()
		f, ok := sc.FindFieldByName(name)
		if !ok {
			t.Fatalf("no column %s", name)
		}
		return f.ID
	}
	tasks, err := it.Scan().PlanFiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(tasks) != commits {
		t.Fatalf("%d data files, want %d", len(tasks), commits)
	}
	for _, task := range tasks {
		df := task.File
		lo, hi := df.LowerBoundValues(), df.UpperBoundValues()
		for _, c := range []string{"kafka.partition", "kafka.offset", "kafka.event_timestamp", "val.id"} {
			if lo[id(c)] == nil || hi[id(c)] == nil {
				t.Fatalf("%s: no bounds on %s", df.FilePath(), c)
			}
		}
		part := int32(binary.LittleEndian.Uint32(lo[id("kafka.partition")]))
		offLo := int64(binary.LittleEndian.Uint64(lo[id("kafka.offset")]))
		offHi := int64(binary.LittleEndian.Uint64(hi[id("kafka.offset")]))
		tsLo := int64(binary.LittleEndian.Uint64(lo[id("kafka.event_timestamp")]))
		tsHi := int64(binary.LittleEndian.Uint64(hi[id("kafka.event_timestamp")]))
		c := offLo / per
		if offLo != c*per || offHi != c*per+per-1 || part != int32(c%2) ||
			string(hi[id("kafka.partition")]) != string(lo[id("kafka.partition")]) {
			t.Fatalf("%s: partition %d offsets [%d, %d], want partition %d offsets [%d, %d]", df.FilePath(), part, offLo, offHi, c%2, c*per, c*per+per-1)
		}
		if tsLo != 1_700_000_000_000_000+offLo || tsHi != 1_700_000_000_000_000+offHi {
			t.Fatalf("%s: event_timestamp [%d, %d]", df.FilePath(), tsLo, tsHi)
		}
		// val.id is "o<offset>", and a commit's offsets have as many digits.
		if l, h := string(lo[id("val.id")]), string(hi[id("val.id")]); l != "o"+strconv.FormatInt(offLo, 10) || h != "o"+strconv.FormatInt(offHi, 10) {
			t.Fatalf("%s: val.id bounds [%q, %q]", df.FilePath(), l, h)
		}
		if _, ok := lo[id("val.ship_to.city")]; !ok {
			t.Fatalf("%s: no bound on val.ship_to.city", df.FilePath())
		}
		if _, ok := lo[id("val.tags.element")]; ok {
			t.Fatalf("%s: a bound on a list element", df.FilePath())
		}
		if n := df.NullValueCounts()[id("kafka.offset")]; n != 0 {
			t.Fatalf("%s: %d null offsets", df.FilePath(), n)
		}
	}
	// The last commit's rows only: one file to read.
	cut := 1_700_000_000_000_000 + int64((commits-1)*per)
	f := iceberggo.GreaterThanEqual(iceberggo.Reference("kafka.event_timestamp"), cut)
	pruned, err := it.Scan(icetable.WithRowFilter(f)).PlanFiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(pruned) != 1 {
		t.Fatalf("a filter on the last commit's event times plans %d files, want 1", len(pruned))
	}
}
