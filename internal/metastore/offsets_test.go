package metastore_test

import (
	"slices"
	"testing"

	"github.com/tributary-io/tributary/internal/metastore"
)

func TestCommitSet(t *testing.T) {
	o := func(topic string, p int32, off int64) metastore.GroupOffset {
		return metastore.GroupOffset{Topic: topic, Partition: p, Offset: off}
	}
	in := []metastore.GroupOffset{o("b", 0, 1), o("a", 1, 2), o("b", 0, 3), o("a", -1, 4), o("b", 0, 5), o("a", 1, 6)}
	given := slices.Clone(in)
	want := []metastore.GroupOffset{o("a", -1, 4), o("a", 1, 6), o("b", 0, 5)}
	if got := metastore.CommitSet(in); !slices.Equal(got, want) {
		t.Fatalf("CommitSet = %+v, want %+v (last per partition, sorted)", got, want)
	}
	if !slices.Equal(in, given) {
		t.Fatalf("CommitSet changed its argument to %+v", in)
	}
	if got := metastore.CommitSet(nil); len(got) != 0 {
		t.Fatalf("CommitSet(nil) = %+v", got)
	}
}
