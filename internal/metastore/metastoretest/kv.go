package metastoretest

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tributary-io/tributary/internal/metastore"
)

// The KV subtests. Every check reads the whole space back (KVGet of each
// key and one KVList), so a call that should have changed nothing is seen
// to have changed nothing.

// kvPut writes value over version expect (KVAbsent, KVAny or a version).
func kvPut(key string, expect int64, value string) metastore.KVOp {
	return metastore.KVOp{Key: key, Expect: expect, Value: []byte(value)}
}

// kvDel deletes key at version expect.
func kvDel(key string, expect int64) metastore.KVOp {
	return metastore.KVOp{Key: key, Expect: expect, Delete: true}
}

func kvEntry(key string, version int64, value string) metastore.KVEntry {
	return metastore.KVEntry{Key: key, Version: version, Value: []byte(value)}
}

// sameKV compares entries, values by bytes (nil and empty alike).
func sameKV(a, b metastore.KVEntry) bool {
	return a.Key == b.Key && a.Version == b.Version && bytes.Equal(a.Value, b.Value)
}

// kvApply applies ops and checks that the entries returned are want.
func (h *harness) kvApply(t *testing.T, want []metastore.KVEntry, ops ...metastore.KVOp) {
	t.Helper()
	got, err := h.s.KVApply(t.Context(), ops)
	if err != nil {
		t.Fatalf("KVApply(%+v): %v", ops, err)
	}
	if !slices.EqualFunc(got, want, sameKV) {
		t.Fatalf("KVApply(%+v) =\n%+v\nwant\n%+v", ops, got, want)
	}
}

// kvConflict applies ops, which must fail with ErrConflict naming key.
func (h *harness) kvConflict(t *testing.T, key string, ops ...metastore.KVOp) {
	t.Helper()
	_, err := h.s.KVApply(t.Context(), ops)
	mustErr(t, err, metastore.ErrConflict)
	if !strings.Contains(err.Error(), strconv.Quote(key)) {
		t.Fatalf("conflict %q does not name key %q", err, key)
	}
}

// kvList lists and fails the test on an error.
func (h *harness) kvList(t *testing.T, prefix, after string, limit int) []metastore.KVEntry {
	t.Helper()
	got, err := h.s.KVList(t.Context(), prefix, after, limit)
	if err != nil {
		t.Fatalf("KVList(%q, %q, %d): %v", prefix, after, limit, err)
	}
	return got
}

// checkKV checks that the space holds exactly want (in key order), by
// KVGet of each key and by KVList.
func (h *harness) checkKV(t *testing.T, want ...metastore.KVEntry) {
	t.Helper()
	for _, w := range want {
		got, err := h.s.KVGet(t.Context(), w.Key)
		if err != nil || !sameKV(got, w) {
			t.Fatalf("KVGet(%q) = %+v, %v; want %+v", w.Key, got, err, w)
		}
	}
	if got := h.kvList(t, "", "", 0); !slices.EqualFunc(got, want, sameKV) {
		t.Fatalf("KVList =\n%+v\nwant\n%+v", got, want)
	}
}

// checkNoKey checks that key is absent.
func (h *harness) checkNoKey(t *testing.T, key string) {
	t.Helper()
	_, err := h.s.KVGet(t.Context(), key)
	mustErr(t, err, metastore.ErrUnknownKey)
}

// testKV: creates, updates (by version and KVAny), deletes and creates
// again, with the versions the contract gives.
func testKV(t *testing.T, h *harness) {
	h.checkNoKey(t, "a")
	h.checkKV(t)

	in := kvPut("a", metastore.KVAbsent, "one")
	h.kvApply(t, []metastore.KVEntry{kvEntry("a", 1, "one")}, in)
	in.Value[0] = 'X' // the store kept its own copy
	got, err := h.s.KVGet(t.Context(), "a")
	if err != nil {
		t.Fatal(err)
	}
	got.Value[0] = 'Y' // and hands out copies
	h.checkKV(t, kvEntry("a", 1, "one"))

	h.kvApply(t, []metastore.KVEntry{kvEntry("a", 2, "two")}, kvPut("a", 1, "two"))
	h.kvApply(t, []metastore.KVEntry{kvEntry("a", 3, "three")}, kvPut("a", metastore.KVAny, "three"))
	h.kvApply(t, []metastore.KVEntry{kvEntry("b", 1, "")}, kvPut("b", metastore.KVAny, ""))
	h.kvApply(t, []metastore.KVEntry{kvEntry("c", 1, "")}, metastore.KVOp{Key: "c"}) // nil value
	h.checkKV(t, kvEntry("a", 3, "three"), kvEntry("b", 1, ""), kvEntry("c", 1, ""))

	h.kvApply(t, []metastore.KVEntry{{Key: "a"}}, kvDel("a", 3))
	h.checkNoKey(t, "a")
	h.kvApply(t, []metastore.KVEntry{{Key: "b"}}, kvDel("b", metastore.KVAny))
	// Deleting an absent key with KVAny, or expecting it absent, is a no-op.
	h.kvApply(t, []metastore.KVEntry{{Key: "a"}, {Key: "z"}}, kvDel("a", metastore.KVAny), kvDel("z", metastore.KVAbsent))
	h.checkKV(t, kvEntry("c", 1, ""))

	// Versions count from the last create.
	h.kvApply(t, []metastore.KVEntry{kvEntry("a", 1, "again")}, kvPut("a", metastore.KVAbsent, "again"))
	h.checkKV(t, kvEntry("a", 1, "again"), kvEntry("c", 1, ""))

	if got, err := h.s.KVApply(t.Context(), nil); err != nil || len(got) != 0 {
		t.Fatalf("KVApply of no ops = %+v, %v", got, err)
	}
	h.checkKV(t, kvEntry("a", 1, "again"), kvEntry("c", 1, ""))
}

// testKVConflicts: a stale version, a create of a key that exists, an
// update or delete of one that does not: each is ErrConflict naming the
// key, and changes nothing.
func testKVConflicts(t *testing.T, h *harness) {
	h.kvApply(t, []metastore.KVEntry{kvEntry("a", 1, "a1"), kvEntry("b", 1, "b1")},
		kvPut("a", metastore.KVAbsent, "a1"), kvPut("b", metastore.KVAbsent, "b1"))
	h.kvApply(t, []metastore.KVEntry{kvEntry("a", 2, "a2")}, kvPut("a", 1, "a2"))
	state := []metastore.KVEntry{kvEntry("a", 2, "a2"), kvEntry("b", 1, "b1")}

	for _, c := range []struct {
		key string
		op  metastore.KVOp
	}{
		{"a", kvPut("a", 1, "stale")},
		{"a", kvPut("a", 3, "future")},
		{"a", kvDel("a", 1)},
		{"b", kvPut("b", metastore.KVAbsent, "exists")},
		{"b", kvDel("b", metastore.KVAbsent)},
		{"c", kvPut("c", 1, "absent")},
		{"c", kvDel("c", 2)},
	} {
		h.kvConflict(t, c.key, c.op)
		h.checkKV(t, state...)
	}
}

// testKVAtomic: a KVApply whose ops do not all hold changes nothing,
// wherever the failing op stands; one whose ops all hold applies all of
// them and returns the entries in the order of the ops.
func testKVAtomic(t *testing.T, h *harness) {
	state := []metastore.KVEntry{kvEntry("a", 1, "a1"), kvEntry("b", 1, "b1"), kvEntry("x", 1, "x1")}
	h.kvApply(t, state, kvPut("a", metastore.KVAbsent, "a1"), kvPut("b", metastore.KVAbsent, "b1"), kvPut("x", metastore.KVAny, "x1"))

	good := []metastore.KVOp{kvPut("d", metastore.KVAny, "d1"), kvPut("a", 1, "a2"), kvPut("c", metastore.KVAbsent, "c1"), kvDel("b", 1)}
	for _, bad := range []struct {
		key string
		op  metastore.KVOp
	}{
		{"e", kvPut("e", 5, "e")},
		{"x", kvPut("x", metastore.KVAbsent, "x")},
		{"x", kvDel("x", 2)},
	} {
		for at := range len(good) + 1 { // the failing op first, between, last
			ops := slices.Insert(slices.Clone(good), at, bad.op)
			h.kvConflict(t, bad.key, ops...)
			h.checkKV(t, state...)
		}
	}

	h.kvApply(t, []metastore.KVEntry{kvEntry("d", 1, "d1"), kvEntry("a", 2, "a2"), kvEntry("c", 1, "c1"), {Key: "b"}}, good...)
	h.checkKV(t, kvEntry("a", 2, "a2"), kvEntry("c", 1, "c1"), kvEntry("d", 1, "d1"), kvEntry("x", 1, "x1"))
}

// kvListKeys are keys whose byte order differs from other orders: a
// prefix that is a key itself, digits that sort as text, multi-byte
// UTF-8, the characters on either side of a UTF-8 length boundary and of
// the surrogates, and U+10FFFF, the greatest.
var kvListKeys = []string{
	"a", "a/", "a/1", "a/10", "a/2", "a/b/1", "a0", "a\x01", "b", "b/1",
	"é/1", "é/2", "ê", "\x7f", "\x7fz", "\u0080", "\uD7FF", "\uD7FFz", "\uE000",
	"\U0010FFFF", "\U0010FFFF/x",
}

// testKVList: KVList filters by prefix, starts after after, stops at
// limit, in byte order of the keys, and pages through everything.
func testKVList(t *testing.T, h *harness) {
	var ops []metastore.KVOp
	all := map[string]metastore.KVEntry{}
	for i, k := range kvListKeys {
		ops = append(ops, kvPut(k, metastore.KVAbsent, fmt.Sprint("value ", i)))
		all[k] = kvEntry(k, 1, fmt.Sprint("value ", i))
	}
	ops = append(ops, kvPut("a/gone", metastore.KVAbsent, "x"))
	if _, err := h.s.KVApply(t.Context(), ops); err != nil {
		t.Fatal(err)
	}
	h.kvApply(t, []metastore.KVEntry{kvEntry("a/2", 2, "v2")}, kvPut("a/2", 1, "v2"))
	h.kvApply(t, []metastore.KVEntry{{Key: "a/gone"}}, kvDel("a/gone", 1))
	all["a/2"] = kvEntry("a/2", 2, "v2")

	// want is the entries of keys, which must be in byte order.
	want := func(keys ...string) []metastore.KVEntry {
		t.Helper()
		if !slices.IsSorted(keys) {
			t.Fatalf("test keys %q are not in byte order", keys)
		}
		var out []metastore.KVEntry
		for _, k := range keys {
			out = append(out, all[k])
		}
		return out
	}
	sorted := slices.Clone(kvListKeys)
	slices.Sort(sorted)
	for _, c := range []struct {
		prefix, after string
		limit         int
		want          []metastore.KVEntry
	}{
		{"", "", 0, want(sorted...)},
		{"", "", -1, want(sorted...)},
		{"a/", "", 0, want("a/", "a/1", "a/10", "a/2", "a/b/1")},
		{"a/", "a/", 0, want("a/1", "a/10", "a/2", "a/b/1")},
		{"a/", "a/10", 0, want("a/2", "a/b/1")},
		{"a/", "a/15", 0, want("a/2", "a/b/1")},
		{"a/", "0", 0, want("a/", "a/1", "a/10", "a/2", "a/b/1")},
		{"a/", "b", 0, nil},
		{"a/", "", 2, want("a/", "a/1")},
		{"a/", "a/1", 2, want("a/10", "a/2")},
		{"a", "", 0, want("a", "a\x01", "a/", "a/1", "a/10", "a/2", "a/b/1", "a0")},
		{"a/b/1", "", 0, want("a/b/1")},
		{"a/b/1/", "", 0, nil},
		{"c", "", 0, nil},
		{"é", "", 0, want("é/1", "é/2")},
		{"\x7f", "", 0, want("\x7f", "\x7fz")},
		{"\uD7FF", "", 0, want("\uD7FF", "\uD7FFz")},
		{"\U0010FFFF", "", 0, want("\U0010FFFF", "\U0010FFFF/x")},
		{"\U0010FFFF", "\U0010FFFF", 0, want("\U0010FFFF/x")},
		{"", "\uE000", 0, want("\U0010FFFF", "\U0010FFFF/x")},
		{"", "\U0010FFFF/x", 0, nil},
	} {
		if got := h.kvList(t, c.prefix, c.after, c.limit); !slices.EqualFunc(got, c.want, sameKV) {
			t.Fatalf("KVList(%q, %q, %d) =\n%+v\nwant\n%+v", c.prefix, c.after, c.limit, got, c.want)
		}
	}

	var paged []metastore.KVEntry
	for after := ""; ; {
		page := h.kvList(t, "", after, 4)
		paged = append(paged, page...)
		if len(page) < 4 {
			break
		}
		after = page[len(page)-1].Key
	}
	if !slices.EqualFunc(paged, want(sorted...), sameKV) {
		t.Fatalf("paged through %+v", paged)
	}
}

// testKVConcurrentCAS races workers incrementing one counter by
// read-then-compare-and-swap, the first of them creating it, each
// retrying on ErrConflict: no increment is lost or applied twice.
func testKVConcurrentCAS(t *testing.T, h *harness) {
	const workers, increments = 8, 12
	ctx := t.Context()
	var conflicts atomic.Int64
	parallel(t, workers, func(int) error {
		for done := 0; done < increments; {
			n, expect := 0, metastore.KVAbsent
			e, err := h.s.KVGet(ctx, "counter")
			switch {
			case errors.Is(err, metastore.ErrUnknownKey):
			case err != nil:
				return err
			default:
				if n, err = strconv.Atoi(string(e.Value)); err != nil {
					return fmt.Errorf("counter %+v: %w", e, err)
				}
				expect = e.Version
			}
			switch _, err := h.s.KVApply(ctx, []metastore.KVOp{kvPut("counter", expect, strconv.Itoa(n+1))}); {
			case err == nil:
				done++
			case errors.Is(err, metastore.ErrConflict):
				conflicts.Add(1)
			default:
				return err
			}
		}
		return nil
	})
	const total = workers * increments
	h.checkKV(t, kvEntry("counter", total, strconv.Itoa(total)))
	t.Logf("%d increments, %d conflicts", total, conflicts.Load())
}

// testKVConcurrentTransfers races workers moving units between accounts,
// each transfer one KVApply on two keys over the versions read (the keys
// in either order, so that a backend locking them as given would
// deadlock): the sum stays, and every key's version counts exactly the
// transfers that touched it.
func testKVConcurrentTransfers(t *testing.T, h *harness) {
	const accounts, workers, transfers, start = 4, 6, 10, 100
	ctx := t.Context()
	account := func(i int) string { return fmt.Sprintf("acct/%d", i) }
	var ops []metastore.KVOp
	for i := range accounts {
		ops = append(ops, kvPut(account(i), metastore.KVAbsent, strconv.Itoa(start)))
	}
	if _, err := h.s.KVApply(ctx, ops); err != nil {
		t.Fatal(err)
	}
	// read returns an account's balance and version.
	read := func(key string) (int, int64, error) {
		e, err := h.s.KVGet(ctx, key)
		if err != nil {
			return 0, 0, err
		}
		n, err := strconv.Atoi(string(e.Value))
		return n, e.Version, err
	}
	touched := make([][accounts]int64, workers) // each written by its worker only
	parallel(t, workers, func(w int) error {
		for i := 0; i < transfers; {
			from, to := (w+i)%accounts, (w+i+1+i%2)%accounts
			fromN, fromV, err := read(account(from))
			if err != nil {
				return err
			}
			toN, toV, err := read(account(to))
			if err != nil {
				return err
			}
			ops := []metastore.KVOp{
				kvPut(account(from), fromV, strconv.Itoa(fromN-1)),
				kvPut(account(to), toV, strconv.Itoa(toN+1)),
			}
			if w%2 == 1 {
				slices.Reverse(ops)
			}
			switch _, err := h.s.KVApply(ctx, ops); {
			case err == nil:
				touched[w][from]++
				touched[w][to]++
				i++
			case !errors.Is(err, metastore.ErrConflict):
				return fmt.Errorf("worker %d transfer %d: %w", w, i, err)
			}
		}
		return nil
	})
	sum := 0
	for a := range accounts {
		n, v, err := read(account(a))
		if err != nil {
			t.Fatal(err)
		}
		want := int64(1)
		for w := range workers {
			want += touched[w][a]
		}
		if v != want {
			t.Errorf("%s at version %d after %d transfers touched it", account(a), v, want-1)
		}
		sum += n
	}
	if sum != accounts*start {
		t.Fatalf("balances sum to %d, want %d", sum, accounts*start)
	}
}

// testKVInvalid: keys that are empty, too long or not text without NUL,
// an Expect below KVAny, a value over the limit, a key twice in one
// call, and KVList bounds no key could start with are ErrInvalidRequest
// and change nothing; the largest key and value allowed are accepted.
func testKVInvalid(t *testing.T, h *harness) {
	ctx := t.Context()
	long := strings.Repeat("k", metastore.MaxKVKeyLen)
	big := make([]byte, metastore.MaxKVValueLen+1)
	for _, key := range []string{"", long + "k", "a\x00b", "\xff", "a\xc3"} {
		_, err := h.s.KVGet(ctx, key)
		mustErr(t, err, metastore.ErrInvalidRequest)
		_, err = h.s.KVApply(ctx, []metastore.KVOp{kvPut(key, metastore.KVAny, "v")})
		mustErr(t, err, metastore.ErrInvalidRequest)
		if key == "" {
			continue
		}
		_, err = h.s.KVList(ctx, key, "", 0)
		mustErr(t, err, metastore.ErrInvalidRequest)
		_, err = h.s.KVList(ctx, "", key, 0)
		mustErr(t, err, metastore.ErrInvalidRequest)
	}
	for _, ops := range [][]metastore.KVOp{
		{kvPut("a", -2, "v")},
		{{Key: "a", Expect: metastore.KVAny, Value: big}},
		{kvPut("a", metastore.KVAbsent, "v"), kvPut("b", metastore.KVAbsent, "v"), kvDel("a", metastore.KVAny)},
		{kvPut("a", metastore.KVAbsent, "v"), kvPut("", metastore.KVAbsent, "v")},
	} {
		_, err := h.s.KVApply(ctx, ops)
		mustErr(t, err, metastore.ErrInvalidRequest)
	}
	h.checkKV(t)

	// A delete ignores its value; the limits themselves are allowed.
	h.kvApply(t, []metastore.KVEntry{{Key: "a"}}, metastore.KVOp{Key: "a", Expect: metastore.KVAny, Delete: true, Value: big})
	largest := metastore.KVOp{Key: long, Expect: metastore.KVAbsent, Value: big[:metastore.MaxKVValueLen]}
	largest.Value[0], largest.Value[len(largest.Value)-1] = 1, 2
	h.kvApply(t, []metastore.KVEntry{{Key: long, Version: 1, Value: largest.Value}}, largest)
	h.checkKV(t, metastore.KVEntry{Key: long, Version: 1, Value: largest.Value})
}

// testKVReopen: entries and their versions survive closing the store,
// and compare-and-swaps go on from them.
func testKVReopen(t *testing.T, h *harness) {
	h.kvApply(t, []metastore.KVEntry{kvEntry("a", 1, "a1"), kvEntry("b", 1, "b1"), kvEntry("c", 1, "\x00\xff")},
		kvPut("a", metastore.KVAbsent, "a1"), kvPut("b", metastore.KVAbsent, "b1"), kvPut("c", metastore.KVAny, "\x00\xff"))
	h.kvApply(t, []metastore.KVEntry{kvEntry("a", 2, "a2"), {Key: "b"}}, kvPut("a", 1, "a2"), kvDel("b", 1))
	h.kvApply(t, []metastore.KVEntry{kvEntry("a", 3, "a3")}, kvPut("a", 2, "a3"))
	state := []metastore.KVEntry{kvEntry("a", 3, "a3"), kvEntry("c", 1, "\x00\xff")}
	for range 2 {
		h.reopen(t)
		h.checkKV(t, state...)
	}
	h.kvConflict(t, "a", kvPut("a", 2, "stale"))
	h.kvApply(t, []metastore.KVEntry{kvEntry("a", 4, "a4"), kvEntry("b", 1, "b")}, kvPut("a", 3, "a4"), kvPut("b", metastore.KVAbsent, "b"))
}
