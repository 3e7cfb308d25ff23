package arrowconv

import (
	"errors"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/types/dynamicpb"
)

// everythingSeeds wraps the table cases of each test message into the
// Everything field of that type, well-formed and malformed alike.
func everythingSeeds(t testing.TB) [][]byte {
	fieldOf := map[string]protowire.Number{
		"arrowconv.test.Scalars": 1, "arrowconv.test.Optionals": 2, "arrowconv.test.Repeated": 3,
		"arrowconv.test.Maps": 4, "arrowconv.test.Oneofs": 5, "arrowconv.test.WellKnown": 6, "arrowconv.test.Tree": 7,
	}
	var seeds [][]byte
	for msg, cases := range convertCases {
		num, ok := fieldOf[msg]
		if !ok {
			continue
		}
		for _, tc := range cases {
			b := tc.wire
			if b == nil {
				b = fromJSON(t, testMD(t, msg), tc.json)
			}
			seeds = append(seeds, fBytes(num, b))
		}
	}
	return seeds
}

// FuzzAppend feeds arbitrary bytes to a converter for a message using
// every feature. Invariants: Append never panics; an error wraps one of
// the package's sentinels and adds no row, and ErrMalformed or
// ErrInvalidUTF8 only when proto.Unmarshal refuses the bytes too; a
// success adds exactly one row that passes arrow's full validation,
// proto.Unmarshal accepts the bytes, and when protojson can render the
// message the row matches that rendering.
func FuzzAppend(f *testing.F) {
	md := testMD(f, "arrowconv.test.Everything")
	types := testTypes(f)
	for _, s := range everythingSeeds(f) {
		f.Add(s)
	}
	// MaxRecursion 2 rather than 3 halves the schema (262 builders, not
	// 470) and still has Tree both as structs and cut into JSON.
	c := newTestConverter(f, md, Options{MaxRecursion: 2})
	f.Fuzz(func(t *testing.T, b []byte) {
		before := c.Len()
		err := c.Append(b)
		perr := dynUnmarshal(b, dynamicpb.NewMessage(md))
		if err != nil {
			if c.Len() != before {
				t.Fatalf("failed Append (%v) changed the row count %d → %d", err, before, c.Len())
			}
			switch {
			case errors.Is(err, ErrMalformed), errors.Is(err, ErrInvalidUTF8):
				if perr == nil {
					t.Fatalf("Append: %v; proto.Unmarshal accepts the bytes", err)
				}
			case errors.Is(err, ErrOutOfRange), errors.Is(err, ErrJSON), errors.Is(err, ErrRequiredMissing):
			default:
				t.Fatalf("Append: %v wraps no sentinel", err)
			}
			return
		}
		if c.Len() != before+1 {
			t.Fatalf("Append added %d rows", c.Len()-before)
		}
		// Flushing costs milliseconds on this wide schema, so only rows
		// that were added are flushed and checked; a failed Append that
		// left anything behind shows up in the next row's check.
		rec := c.NewRecordBatch()
		defer rec.Release()
		validate(t, rec)
		if rec.NumRows() != 1 {
			t.Fatalf("%d rows in the batch, want 1", rec.NumRows())
		}
		if errors.Is(perr, errOraclePanic) {
			t.Skip(perr) // no oracle for these bytes; Append did not panic
		}
		if perr != nil {
			t.Fatalf("Append accepted what proto.Unmarshal refuses: %v", perr)
		}
		exp, oerr := oracle(md, types, b)
		if oerr != nil {
			return // e.g. an Any of an unknown type: protojson fails, we fall back
		}
		for _, d := range match("", exp, renderRow(rec, 0, md)) {
			t.Error(d)
		}
	})
}
