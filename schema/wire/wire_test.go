package wire

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"testing"
)

func frame(id int, rest ...byte) []byte {
	return append(AppendID(nil, id), rest...)
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      []byte
		id      int
		indexes []int
		payload []byte
		err     error
	}{
		{"first message", frame(1, 0x00, 0x0a, 0x01), 1, []int{0}, []byte{0x0a, 0x01}, nil},
		{"second message", frame(7, 0x02, 0x02, 0x0a), 7, []int{1}, []byte{0x0a}, nil},
		{"nested [1 0]", frame(7, 0x04, 0x02, 0x00), 7, []int{1, 0}, []byte{}, nil},
		{"deep [2 1 3]", frame(300, 0x06, 0x04, 0x02, 0x06, 0xff), 300, []int{2, 1, 3}, []byte{0xff}, nil},
		{"[0] spelled out", frame(1, 0x02, 0x00), 1, []int{0}, []byte{}, nil},
		{"big index", frame(1, 0x02, 0xac, 0x02), 1, []int{150}, []byte{}, nil},
		{"negative id", frame(-1, 0x00), -1, []int{0}, []byte{}, nil},
		{"max id", frame(1<<31-1, 0x00), 1<<31 - 1, []int{0}, []byte{}, nil},
		{"empty", nil, 0, nil, nil, ErrShort},
		{"short id", []byte{0, 0, 0, 1}, 0, nil, nil, ErrShort},
		{"magic 1 in payload", []byte{1, 0, 0, 0, 1, 0}, 0, nil, nil, ErrMagic},
		{"magic 'f'", []byte("foobar"), 0, nil, nil, ErrMagic},
		{"no path", frame(1), 0, nil, nil, ErrIndexes},
		{"truncated varint", frame(1, 0x80), 0, nil, nil, ErrIndexes},
		{"negative count", frame(1, 0x01, 0x00), 0, nil, nil, ErrIndexes},
		{"count beyond bytes", frame(1, 0x7e, 0x00, 0x00), 0, nil, nil, ErrIndexes},
		{"huge count", frame(1, 0xfe, 0xff, 0xff, 0xff, 0x0f), 0, nil, nil, ErrIndexes},
		{"count past MaxIndexes", append(frame(1, 0xca, 0x01), make([]byte, 101)...), 0, nil, nil, ErrIndexes},
		{"negative index", frame(1, 0x02, 0x01), 0, nil, nil, ErrIndexes},
		{"index past int32", frame(1, 0x02, 0x80, 0x80, 0x80, 0x80, 0x10), 0, nil, nil, ErrIndexes},
		{"overlong varint", frame(1, 0x02, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01), 0, nil, nil, ErrIndexes},
		{"index truncated", frame(1, 0x04, 0x02), 0, nil, nil, ErrIndexes},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse(tc.in)
			if !errors.Is(err, tc.err) {
				t.Fatalf("Parse(% x) error = %v, want %v", tc.in, err, tc.err)
			}
			if err != nil {
				return
			}
			if f.ID != tc.id || !slices.Equal(f.Indexes, tc.indexes) || !bytes.Equal(f.Payload, tc.payload) || f.HasGUID {
				t.Fatalf("Parse(% x) = %+v, want id %d indexes %v payload % x", tc.in, f, tc.id, tc.indexes, tc.payload)
			}
		})
	}
}

func TestAppendRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		id      int
		indexes []int
		want    []byte
	}{
		{1, nil, frame(1, 0x00)},
		{1, []int{0}, frame(1, 0x00)},
		{2, []int{1, 0}, frame(2, 0x04, 0x02, 0x00)},
		{3, []int{0, 0}, frame(3, 0x04, 0x00, 0x00)},
		{1 << 20, []int{5, 64, 3}, frame(1<<20, 0x06, 0x0a, 0x80, 0x01, 0x06)},
	} {
		b := Append(nil, tc.id, tc.indexes)
		if !bytes.Equal(b, tc.want) {
			t.Errorf("Append(%d, %v) = % x, want % x", tc.id, tc.indexes, b, tc.want)
		}
		payload := []byte("payload")
		f, err := Parse(append(b, payload...))
		want := tc.indexes
		if len(want) == 0 {
			want = []int{0}
		}
		if err != nil || f.ID != tc.id || !slices.Equal(f.Indexes, want) || !bytes.Equal(f.Payload, payload) {
			t.Errorf("round trip of %d %v: %+v, %v", tc.id, tc.indexes, f, err)
		}
	}
}

func TestParseIntoReusesIndexes(t *testing.T) {
	in := frame(9, 0x06, 0x02, 0x04, 0x06, 0x0a)
	var f Frame
	allocs := testing.AllocsPerRun(100, func() {
		if err := ParseInto(&f, in); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("ParseInto allocates %v times per frame, want 0", allocs)
	}
	if !slices.Equal(f.Indexes, []int{1, 2, 3}) {
		t.Errorf("indexes = %v", f.Indexes)
	}
}

func TestParseFailureKeepsFrame(t *testing.T) {
	f := Frame{ID: 5, Indexes: []int{1}, Payload: []byte{1}}
	if err := ParseInto(&f, frame(6, 0x01)); err == nil {
		t.Fatal("want an error")
	}
	if f.ID != 5 || f.Payload == nil {
		t.Errorf("failed parse changed the frame: %+v", f)
	}
}

var guid = [16]byte{0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 1, 2, 3, 4, 5, 6, 7, 8}

func TestParseHeader(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      []byte
		want    Frame
		wantErr error
	}{
		{"guid [0]", AppendGUIDHeader(nil, guid, nil), Frame{GUID: guid, HasGUID: true, Indexes: []int{0}}, nil},
		{"guid [1 0]", AppendGUIDHeader(nil, guid, []int{1, 0}), Frame{GUID: guid, HasGUID: true, Indexes: []int{1, 0}}, nil},
		{"id [2]", AppendHeader(nil, 42, []int{2}), Frame{ID: 42, Indexes: []int{2}}, nil},
		{"id without path", AppendID(nil, 42), Frame{ID: 42, Indexes: []int{0}}, nil},
		{"guid without path", append([]byte{MagicGUID}, guid[:]...), Frame{GUID: guid, HasGUID: true, Indexes: []int{0}}, nil},
		{"empty", []byte{}, Frame{}, ErrShort},
		{"short guid", []byte{MagicGUID, 1, 2, 3}, Frame{}, ErrShort},
		{"bad magic", []byte{2, 0, 0, 0, 1}, Frame{}, ErrMagic},
		{"bytes after path", append(AppendHeader(nil, 1, []int{0, 1}), 0xff), Frame{}, ErrIndexes},
		{"bad path", append(AppendID(nil, 1), 0x7e), Frame{}, ErrIndexes},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := ParseHeader(tc.in)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("ParseHeader(% x) error = %v, want %v", tc.in, err, tc.wantErr)
			}
			if err == nil && (f.ID != tc.want.ID || f.GUID != tc.want.GUID || f.HasGUID != tc.want.HasGUID ||
				!slices.Equal(f.Indexes, tc.want.Indexes) || f.Payload != nil) {
				t.Fatalf("ParseHeader(% x) = %+v, want %+v", tc.in, f, tc.want)
			}
		})
	}
}

func TestParseRecord(t *testing.T) {
	msg := []byte{0x0a, 0x03, 'a', 'b', 'c'}
	// Header form: the payload is the bare message, even if it happens to
	// start with a zero byte.
	f, err := ParseRecord(AppendGUIDHeader(nil, guid, []int{1}), msg)
	if err != nil || !f.HasGUID || f.GUID != guid || !slices.Equal(f.Indexes, []int{1}) || !bytes.Equal(f.Payload, msg) {
		t.Errorf("header form: %+v, %v", f, err)
	}
	// No header: the prefix is in the payload.
	f, err = ParseRecord(nil, append(Append(nil, 3, []int{0}), msg...))
	if err != nil || f.ID != 3 || f.HasGUID || !bytes.Equal(f.Payload, msg) {
		t.Errorf("prefix form: %+v, %v", f, err)
	}
	// A broken header is an error that says so.
	if _, err = ParseRecord([]byte{9}, msg); !errors.Is(err, ErrMagic) {
		t.Errorf("bad header: %v", err)
	}
	if HeaderName(true) != "__key_schema_id" || HeaderName(false) != "__value_schema_id" {
		t.Error("header names")
	}
}

func ExampleParse() {
	// A value framed by a Confluent Protobuf serializer for schema 42,
	// message [1 0] (the first message nested in the second top-level one).
	value := Append(nil, 42, []int{1, 0})
	value = append(value, 0x08, 0x96, 0x01) // the message: field 1 = 150
	f, err := Parse(value)
	if err != nil {
		panic(err)
	}
	fmt.Println(f.ID, f.Indexes, len(f.Payload))
	// Output: 42 [1 0] 3
}

func BenchmarkParseInto(b *testing.B) {
	value := append(Append(nil, 1234, []int{2, 0, 1}), make([]byte, 400)...)
	var f Frame
	b.SetBytes(int64(len(value)))
	b.ReportAllocs()
	for b.Loop() {
		if err := ParseInto(&f, value); err != nil {
			b.Fatal(err)
		}
	}
}
