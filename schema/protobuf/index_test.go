package protobuf

import (
	"errors"
	"slices"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// nestedSrc has map fields declared before nested messages: protoc puts
// their synthetic entry messages first among the nested types, and
// Confluent's paths skip them.
const nestedSrc = p3 + `
message A { int32 a = 1; }
message B {
  map<string, int32> counts = 1;
  message C {
    map<string, string> labels = 1;
    message D { int32 d = 1; }
  }
  message E { int32 e = 1; }
  C c = 2;
}
enum Skipped { SKIPPED_UNKNOWN = 0; }
message F { B.C.D d = 1; }
`

func TestMessageIndexes(t *testing.T) {
	fd := mustCompile(t, nestedSrc, nil)
	for _, tc := range []struct {
		path []int
		name protoreflect.FullName
	}{
		{nil, "shop.v1.A"},
		{[]int{0}, "shop.v1.A"},
		{[]int{1}, "shop.v1.B"},
		{[]int{1, 0}, "shop.v1.B.C"},
		{[]int{1, 0, 0}, "shop.v1.B.C.D"},
		{[]int{1, 1}, "shop.v1.B.E"},
		{[]int{2}, "shop.v1.F"},
	} {
		md, err := MessageByIndexes(fd, tc.path)
		if err != nil || md.FullName() != tc.name {
			t.Errorf("MessageByIndexes(%v) = %v, %v; want %s", tc.path, md, err, tc.name)
			continue
		}
		want := tc.path
		if want == nil {
			want = []int{0}
		}
		if got := IndexesOf(md); !slices.Equal(got, want) {
			t.Errorf("IndexesOf(%s) = %v, want %v", md.FullName(), got, want)
		}
	}
	for _, bad := range [][]int{{3}, {-1}, {1, 2}, {0, 0}, {1, 0, 0, 0}} {
		if md, err := MessageByIndexes(fd, bad); !errors.Is(err, ErrNoMessage) {
			t.Errorf("MessageByIndexes(%v) = %v, %v; want ErrNoMessage", bad, md, err)
		}
	}
	entry := fieldOf(fd.Messages().ByName("B"), "counts").Message()
	if got := IndexesOf(entry); got != nil {
		t.Errorf("IndexesOf(map entry) = %v", got)
	}
}

// TestIndexesRoundTripEveryMessage walks every message of the test schemas.
func TestIndexesRoundTripEveryMessage(t *testing.T) {
	for _, fd := range []protoreflect.FileDescriptor{
		mustCompile(t, nestedSrc, nil),
		testdataSchema(t, "order.proto").File,
		testdataSchema(t, "cart.proto").File,
	} {
		var walk func(protoreflect.MessageDescriptors)
		walk = func(msgs protoreflect.MessageDescriptors) {
			for i := 0; i < msgs.Len(); i++ {
				md := msgs.Get(i)
				walk(md.Messages())
				if md.IsMapEntry() {
					continue
				}
				back, err := MessageByIndexes(fd, IndexesOf(md))
				if err != nil || back != md {
					t.Errorf("%s: %v → %v, %v", md.FullName(), IndexesOf(md), back, err)
				}
			}
		}
		walk(fd.Messages())
	}
}

func TestMessageByName(t *testing.T) {
	fd := mustCompile(t, nestedSrc, nil)
	for _, name := range []string{"B.C.D", "shop.v1.B.C.D"} {
		md, err := MessageByName(fd, name)
		if err != nil || md.FullName() != "shop.v1.B.C.D" {
			t.Errorf("MessageByName(%q) = %v, %v", name, md, err)
		}
	}
	for _, name := range []string{"Z", "B.Z", "shop.v1", "Skipped", ""} {
		if _, err := MessageByName(fd, name); !errors.Is(err, ErrNoMessage) {
			t.Errorf("MessageByName(%q) = %v", name, err)
		}
	}
	first, err := FirstMessage(fd)
	if err != nil || first.Name() != "A" {
		t.Errorf("FirstMessage = %v, %v", first, err)
	}
	if _, err := FirstMessage(mustCompile(t, p3+"enum E { E_UNKNOWN = 0; }", nil)); !errors.Is(err, ErrNoMessage) {
		t.Errorf("FirstMessage of a file without messages: %v", err)
	}
}
