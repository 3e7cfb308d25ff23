package arrowconv

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"google.golang.org/protobuf/encoding/protowire"
)

// TestFailedAppendLeavesNoStaleValues: a record refused mid-parse (here an
// invalid UTF-8 string, then a truncated varint) must not leak its values
// into the next row's implicit-presence fields, which emit their slot's
// value whether or not the row set them. Found by FuzzAppend.
func TestFailedAppendLeavesNoStaleValues(t *testing.T) {
	md := testMD(t, "arrowconv.test.Everything")
	c := newTestConverter(t, md, Options{MaxRecursion: 2})
	var bad []byte
	bad = protowire.AppendTag(bad, 9, protowire.BytesType)
	bad = protowire.AppendBytes(bad, []byte{0xff, 0xfe, 0xfd})
	if err := c.Append(bad); err == nil {
		t.Fatal("an invalid UTF-8 string was accepted")
	}
	var trunc []byte
	trunc = protowire.AppendTag(trunc, 10, protowire.VarintType)
	trunc = protowire.AppendVarint(trunc, 123456)
	trunc = append(trunc, protowire.AppendTag(nil, 10, protowire.VarintType)...)
	trunc = append(trunc, 0x80) // a varint that never ends
	if err := c.Append(trunc); err == nil {
		t.Fatal("a truncated varint was accepted")
	}
	if err := c.Append(nil); err != nil { // the empty message
		t.Fatal(err)
	}
	rec := c.NewRecordBatch()
	defer rec.Release()
	if rec.NumRows() != 1 {
		t.Fatalf("%d rows, want 1", rec.NumRows())
	}
	for i, f := range rec.Schema().Fields() {
		switch f.Name {
		case "s":
			if got := rec.Column(i).(*array.String).Value(0); got != "" {
				t.Errorf("s = %q after failed appends, want \"\"", got)
			}
		case "u":
			if got := rec.Column(i).ValueStr(0); got != "0" {
				t.Errorf("u = %s after failed appends, want 0", got)
			}
		}
	}
}
