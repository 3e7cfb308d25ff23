package enforce

import (
	"reflect"
	"testing"

	"github.com/tributary-io/tributary/schema/wire"
)

// FuzzParseFrame holds parseFrame's shortcut to wire.ParseRecordInto:
// the same frame, or the same error, for any header and value.
func FuzzParseFrame(f *testing.F) {
	f.Add([]byte(nil), []byte{0, 0, 0, 0, 7, 0, 0x0a, 0x01, 'x'})
	f.Add([]byte(nil), []byte{0, 0x80, 0, 0, 1, 0})
	f.Add([]byte(nil), []byte{0, 0, 0, 0, 7, 2, 2, 4, 0x0a})
	f.Add([]byte(nil), []byte{1, 0, 0, 0, 7, 0})
	f.Add([]byte(nil), []byte{0, 0, 0, 0, 7})
	f.Add([]byte{0, 0, 0, 0, 9, 0}, []byte{0x0a, 0x01, 'x'})
	f.Fuzz(func(t *testing.T, header, data []byte) {
		if len(header) == 0 {
			header = nil
		}
		got, want := wire.Frame{Indexes: []int{5, 6}, HasGUID: true}, wire.Frame{Indexes: []int{5, 6}, HasGUID: true}
		gerr, werr := parseFrame(&got, header, data), wire.ParseRecordInto(&want, header, data)
		if (gerr == nil) != (werr == nil) || (gerr != nil && gerr.Error() != werr.Error()) {
			t.Fatalf("parseFrame: %v, wire: %v", gerr, werr)
		}
		if gerr == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("parseFrame: %+v, wire: %+v", got, want)
		}
	})
}
