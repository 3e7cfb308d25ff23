package metastore

import (
	"cmp"
	"slices"
	"strings"
)

// CompareOffsets orders offsets by topic (byte-wise), then partition: the
// order of FetchOffsets.
func CompareOffsets(a, b GroupOffset) int {
	return cmp.Or(strings.Compare(a.Topic, b.Topic), cmp.Compare(a.Partition, b.Partition))
}

// CommitSet returns what a CommitOffsets of offsets stores: one offset per
// partition, the last one given for it (as a Kafka broker reads an
// OffsetCommit request), sorted by CompareOffsets. Backends write them in
// that order, so commits sharing partitions touch them in one order.
// offsets is left as it was.
func CommitSet(offsets []GroupOffset) []GroupOffset {
	out := slices.Clone(offsets)
	// A stable sort keeps equal partitions in the order given: the last
	// of each run is the one to keep.
	slices.SortStableFunc(out, CompareOffsets)
	keep := out[:0]
	for i, o := range out {
		if i+1 < len(out) && CompareOffsets(o, out[i+1]) == 0 {
			continue
		}
		keep = append(keep, o)
	}
	return keep
}
