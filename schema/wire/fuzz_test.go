package wire

import (
	"bytes"
	"slices"
	"testing"
)

// FuzzParse: Parse, ParseHeader and ParseRecord never panic and never
// return more indexes than bytes; a frame that parses re-encodes (Append +
// payload) to bytes that parse to the same frame, and the canonical
// encoding is never longer than the input's prefix.
func FuzzParse(f *testing.F) {
	f.Add(frame(1, 0x00, 0x0a, 0x01))
	f.Add(frame(7, 0x04, 0x02, 0x00))
	f.Add(frame(7, 0x02, 0x00))
	f.Add(frame(-1, 0x06, 0x04, 0x02, 0x06, 0xff))
	f.Add(frame(1, 0x7e, 0x00))
	f.Add(frame(1, 0x01))
	f.Add(AppendGUIDHeader(nil, guid, []int{3, 1}))
	f.Add([]byte("\x00foobar"))
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := Parse(b)
		if err == nil {
			checkFrame(t, b, fr)
		}
		if h, err := ParseHeader(b); err == nil {
			if len(h.Indexes) > len(b) || len(h.Indexes) == 0 {
				t.Fatalf("header % x: %d indexes", b, len(h.Indexes))
			}
			var again []byte
			if h.HasGUID {
				again = AppendGUIDHeader(nil, h.GUID, h.Indexes)
			} else {
				again = AppendHeader(nil, h.ID, h.Indexes)
			}
			h2, err := ParseHeader(again)
			if err != nil || h2.ID != h.ID || h2.GUID != h.GUID || !slices.Equal(h2.Indexes, h.Indexes) {
				t.Fatalf("header % x re-encoded as % x parses to %+v, %v", b, again, h2, err)
			}
		}
		_, _ = ParseRecord(b, b)
	})
}

func checkFrame(t *testing.T, b []byte, fr Frame) {
	t.Helper()
	if len(fr.Indexes) == 0 || len(fr.Indexes) > len(b) || len(fr.Indexes) > MaxIndexes {
		t.Fatalf("% x: %d indexes", b, len(fr.Indexes))
	}
	prefix := Append(nil, fr.ID, fr.Indexes)
	if len(prefix) > len(b)-len(fr.Payload) {
		t.Fatalf("% x: canonical prefix % x is longer than the parsed one", b, prefix)
	}
	again, err := Parse(append(prefix, fr.Payload...))
	if err != nil || again.ID != fr.ID || !slices.Equal(again.Indexes, fr.Indexes) || !bytes.Equal(again.Payload, fr.Payload) {
		t.Fatalf("% x re-encoded parses to %+v, %v; want %+v", b, again, err, fr)
	}
}
