// Package objstoretest is the conformance suite every objstore backend
// runs: the contract written in package objstore's doc, as tests. A backend
// passes when Run passes against a fresh, empty store per subtest.
package objstoretest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/tributary-io/tributary/internal/objstore"
)

// Run checks the Store contract. newStore must return an empty store that
// the subtest may fill; it should register its own cleanup with t.Cleanup.
// Run closes each store at the end of its subtest.
func Run(t *testing.T, newStore func(t *testing.T) objstore.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s objstore.Store)
	}{
		{"PutGet", testPutGet},
		{"EmptyObject", testEmptyObject},
		{"BinaryData", testBinaryData},
		{"Replace", testReplace},
		{"PutCopiesData", testPutCopiesData},
		{"GetMissing", testGetMissing},
		{"GetRange", testGetRange},
		{"GetRangeInvalid", testGetRangeInvalid},
		{"ReadRange", testReadRange},
		{"Prepare", testPrepare},
		{"Delete", testDelete},
		{"DeleteMissing", testDeleteMissing},
		{"ListPrefix", testListPrefix},
		{"ListSortOrder", testListSortOrder},
		{"ListEmpty", testListEmpty},
		{"InvalidKeys", testInvalidKeys},
		{"ConcurrentPuts", testConcurrentPuts},
		{"LargeObject", testLargeObject},
		{"CanceledContext", testCanceledContext},
		{"DeleteKeyPrefix", testDeleteKeyPrefix},
		{"SpecialCharacterKeys", testSpecialCharacterKeys},
		{"ListMany", testListMany},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			defer func() {
				if err := s.Close(); err != nil {
					t.Errorf("close: %v", err)
				}
			}()
			tc.fn(t, s)
		})
	}
}

// randBytes returns n reproducible pseudo-random bytes for seed.
func randBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func put(t *testing.T, s objstore.Store, key string, data []byte) {
	t.Helper()
	if err := s.Put(t.Context(), key, data); err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
}

func mustGet(t *testing.T, s objstore.Store, key string, want []byte) {
	t.Helper()
	got, err := s.Get(t.Context(), key)
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("get %s: got %d bytes, want %d (contents differ)", key, len(got), len(want))
	}
}

func list(t *testing.T, s objstore.Store, prefix string) []objstore.ObjectInfo {
	t.Helper()
	infos, err := s.List(t.Context(), prefix)
	if err != nil {
		t.Fatalf("list %q: %v", prefix, err)
	}
	return infos
}

func keysOf(infos []objstore.ObjectInfo) []string {
	keys := make([]string, len(infos))
	for i, info := range infos {
		keys[i] = info.Key
	}
	return keys
}

func testPutGet(t *testing.T, s objstore.Store) {
	data := randBytes(1, 1000)
	put(t, s, "intake/000001-ab12.obj", data)
	mustGet(t, s, "intake/000001-ab12.obj", data)
}

func testEmptyObject(t *testing.T, s objstore.Store) {
	put(t, s, "empty", nil)
	mustGet(t, s, "empty", nil)
	got, err := s.GetRange(t.Context(), "empty", 0, 0)
	if err != nil || len(got) != 0 {
		t.Fatalf("get range empty [0,0): %q, %v; want empty, nil", got, err)
	}
	if infos := list(t, s, "empty"); len(infos) != 1 || infos[0].Size != 0 {
		t.Fatalf("list empty: %+v, want one object of size 0", infos)
	}
}

func testBinaryData(t *testing.T, s objstore.Store) {
	data := make([]byte, 0, 3*256)
	for range 3 {
		for b := range 256 {
			data = append(data, byte(b))
		}
	}
	data = append(data, 0, 0, '\r', '\n', 0xff)
	put(t, s, "bin/all-bytes", data)
	mustGet(t, s, "bin/all-bytes", data)
}

func testReplace(t *testing.T, s objstore.Store) {
	put(t, s, "k", randBytes(2, 5000))
	second := randBytes(3, 100)
	put(t, s, "k", second)
	mustGet(t, s, "k", second)
	infos := list(t, s, "")
	if len(infos) != 1 || infos[0].Key != "k" || infos[0].Size != 100 {
		t.Fatalf("list after replace: %+v, want one object k of 100 bytes", infos)
	}
}

func testPutCopiesData(t *testing.T, s objstore.Store) {
	data := []byte("original")
	put(t, s, "k", data)
	copy(data, "mutated!")
	mustGet(t, s, "k", []byte("original"))
	got, err := s.Get(t.Context(), "k")
	if err != nil {
		t.Fatal(err)
	}
	copy(got, "mutated!")
	mustGet(t, s, "k", []byte("original"))
}

func testGetMissing(t *testing.T, s objstore.Store) {
	if _, err := s.Get(t.Context(), "no/such/key"); !errors.Is(err, objstore.ErrNotFound) {
		t.Fatalf("get missing: %v, want ErrNotFound", err)
	}
	put(t, s, "dir/obj", []byte("x"))
	if _, err := s.Get(t.Context(), "dir"); !errors.Is(err, objstore.ErrNotFound) {
		t.Fatalf("get of a key prefix: %v, want ErrNotFound", err)
	}
	if _, err := s.GetRange(t.Context(), "no/such/key", 0, 0); !errors.Is(err, objstore.ErrNotFound) {
		t.Fatalf("get range missing: %v, want ErrNotFound", err)
	}
}

func testGetRange(t *testing.T, s objstore.Store) {
	data := randBytes(4, 1000)
	put(t, s, "r", data)
	for _, c := range []struct{ off, n int64 }{
		{0, 1000}, {0, 1}, {999, 1}, {100, 250}, {0, 0}, {500, 0}, {1000, 0},
	} {
		got, err := s.GetRange(t.Context(), "r", c.off, c.n)
		if err != nil {
			t.Fatalf("get range [%d, +%d): %v", c.off, c.n, err)
		}
		if !bytes.Equal(got, data[c.off:c.off+c.n]) {
			t.Fatalf("get range [%d, +%d): got %d bytes, wrong contents", c.off, c.n, len(got))
		}
	}
}

func testGetRangeInvalid(t *testing.T, s objstore.Store) {
	put(t, s, "r", randBytes(5, 100))
	for _, c := range []struct{ off, n int64 }{
		{0, 101}, {1, 100}, {100, 1}, {101, 0}, {200, 10}, {-1, 10}, {0, -1}, {50, 1 << 62},
	} {
		if _, err := s.GetRange(t.Context(), "r", c.off, c.n); !errors.Is(err, objstore.ErrRangeInvalid) {
			t.Errorf("get range [%d, +%d) of 100 bytes: %v, want ErrRangeInvalid", c.off, c.n, err)
		}
	}
}

// testReadRange: a store that is a RangeReader reads what GetRange reads
// into the caller's buffer, with the same errors.
func testReadRange(t *testing.T, s objstore.Store) {
	rr, ok := s.(objstore.RangeReader)
	if !ok {
		t.Skip("not a RangeReader")
	}
	data := randBytes(6, 1000)
	put(t, s, "r", data)
	for _, c := range []struct{ off, n int64 }{{0, 1000}, {0, 1}, {999, 1}, {100, 250}, {0, 0}, {1000, 0}} {
		got := make([]byte, c.n)
		if err := rr.ReadRange(t.Context(), "r", c.off, got); err != nil {
			t.Fatalf("read range [%d, +%d): %v", c.off, c.n, err)
		}
		if !bytes.Equal(got, data[c.off:c.off+c.n]) {
			t.Fatalf("read range [%d, +%d): wrong contents", c.off, c.n)
		}
	}
	for _, c := range []struct{ off, n int64 }{{0, 1001}, {1, 1000}, {1000, 1}, {1001, 0}, {-1, 10}} {
		if err := rr.ReadRange(t.Context(), "r", c.off, make([]byte, c.n)); !errors.Is(err, objstore.ErrRangeInvalid) {
			t.Errorf("read range [%d, +%d) of 1000 bytes: %v, want ErrRangeInvalid", c.off, c.n, err)
		}
	}
	if err := rr.ReadRange(t.Context(), "missing", 0, make([]byte, 1)); !errors.Is(err, objstore.ErrNotFound) {
		t.Errorf("read range of a missing key: %v, want ErrNotFound", err)
	}
}

// testPrepare: a prepared key is no object until its Put (List omits
// it), its Put stores the data like any Put, and Delete gives up a
// prepared key that will not be Put; preparing a key twice fails.
func testPrepare(t *testing.T, s objstore.Store) {
	p, ok := s.(objstore.Preparer)
	if !ok {
		t.Skip("not a Preparer")
	}
	for _, key := range []string{"intake/a", "intake/b", "new/dir/c"} {
		if err := p.Prepare(t.Context(), key); err != nil {
			t.Fatalf("prepare %s: %v", key, err)
		}
	}
	if err := p.Prepare(t.Context(), "intake/a"); err == nil {
		t.Fatal("preparing a prepared key again succeeded")
	}
	if infos := list(t, s, ""); len(infos) != 0 {
		t.Fatalf("list of prepared keys only: %v, want none", keysOf(infos))
	}
	data := randBytes(7, 3000)
	put(t, s, "intake/a", data)
	put(t, s, "new/dir/c", []byte("c"))
	mustGet(t, s, "intake/a", data)
	mustGet(t, s, "new/dir/c", []byte("c"))
	if got := keysOf(list(t, s, "")); fmt.Sprint(got) != "[intake/a new/dir/c]" {
		t.Fatalf("list after two Puts: %v, want [intake/a new/dir/c]", got)
	}
	if err := s.Delete(t.Context(), "intake/b"); err != nil {
		t.Fatalf("give up a prepared key: %v", err)
	}
	if _, err := s.Get(t.Context(), "intake/b"); !errors.Is(err, objstore.ErrNotFound) {
		t.Fatalf("get of a prepared key given up: %v, want ErrNotFound", err)
	}
	put(t, s, "intake/a", []byte("replaced")) // a Put after the prepared one is an ordinary replace
	mustGet(t, s, "intake/a", []byte("replaced"))
}

func testDelete(t *testing.T, s objstore.Store) {
	put(t, s, "a/b/c", []byte("1"))
	put(t, s, "a/b/d", []byte("2"))
	if err := s.Delete(t.Context(), "a/b/c"); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, err := s.Get(t.Context(), "a/b/c"); !errors.Is(err, objstore.ErrNotFound) {
		t.Fatalf("get after delete: %v, want ErrNotFound", err)
	}
	mustGet(t, s, "a/b/d", []byte("2"))
	if err := s.Delete(t.Context(), "a/b/d"); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if infos := list(t, s, ""); len(infos) != 0 {
		t.Fatalf("list after deleting all: %v, want none", keysOf(infos))
	}
	// The key can be written again after its directory-like prefix emptied.
	put(t, s, "a/b/c", []byte("3"))
	mustGet(t, s, "a/b/c", []byte("3"))
}

func testDeleteMissing(t *testing.T, s objstore.Store) {
	if err := s.Delete(t.Context(), "never/written"); err != nil {
		t.Fatalf("delete missing: %v, want nil", err)
	}
	put(t, s, "x", []byte("1"))
	for range 2 {
		if err := s.Delete(t.Context(), "x"); err != nil {
			t.Fatalf("delete twice: %v, want nil", err)
		}
	}
}

func testListPrefix(t *testing.T, s objstore.Store) {
	objs := map[string]int{
		"intake/000002": 20, "intake/000001": 10, "intake/000010": 100,
		"intake2/x": 1, "segments/t1/0/000000": 7, "segments/t1/1/000000": 8, "top": 3,
	}
	for k, n := range objs {
		put(t, s, k, randBytes(uint64(n), n))
	}
	for _, c := range []struct {
		prefix string
		want   []string
	}{
		{"intake/", []string{"intake/000001", "intake/000002", "intake/000010"}},
		{"intake", []string{"intake/000001", "intake/000002", "intake/000010", "intake2/x"}},
		{"intake/00000", []string{"intake/000001", "intake/000002"}},
		{"segments/t1/", []string{"segments/t1/0/000000", "segments/t1/1/000000"}},
		{"segments/t1/1", []string{"segments/t1/1/000000"}},
		{"nothing/", nil},
		{"to", []string{"top"}},
		{"", []string{"intake/000001", "intake/000002", "intake/000010", "intake2/x",
			"segments/t1/0/000000", "segments/t1/1/000000", "top"}},
	} {
		infos := list(t, s, c.prefix)
		if got := keysOf(infos); !slices.Equal(got, c.want) {
			t.Errorf("list %q: %v, want %v", c.prefix, got, c.want)
		}
		for _, info := range infos {
			if info.Size != int64(objs[info.Key]) {
				t.Errorf("list %q: %s size %d, want %d", c.prefix, info.Key, info.Size, objs[info.Key])
			}
			if info.Modified.IsZero() {
				t.Errorf("list %q: %s has no modification time", c.prefix, info.Key)
			}
		}
	}
}

// testListSortOrder catches backends that return directory-walk order: "-"
// sorts before "/", so a-b/x comes before a/x although a/ is walked first.
func testListSortOrder(t *testing.T, s objstore.Store) {
	for _, k := range []string{"a/x", "a-b/x", "a0", "a/y/z", "a/y-1"} {
		put(t, s, k, []byte(k))
	}
	want := []string{"a-b/x", "a/x", "a/y-1", "a/y/z", "a0"}
	if got := keysOf(list(t, s, "a")); !slices.Equal(got, want) {
		t.Fatalf("list a: %v, want %v", got, want)
	}
}

func testListEmpty(t *testing.T, s objstore.Store) {
	if infos := list(t, s, ""); len(infos) != 0 {
		t.Fatalf("list of an empty store: %v", keysOf(infos))
	}
}

func testInvalidKeys(t *testing.T, s objstore.Store) {
	ctx := t.Context()
	for _, key := range []string{
		"", "/abs", "../escape", "a/../../b", "a/..", "./a", "a/./b", `a\b`,
		"a//b", "a/", ".hidden", "a/.tmp-x", "nul\x00byte",
	} {
		checks := map[string]error{
			"put":       s.Put(ctx, key, []byte("x")),
			"delete":    s.Delete(ctx, key),
			"get":       second(s.Get(ctx, key)),
			"get range": second(s.GetRange(ctx, key, 0, 1)),
		}
		for op, err := range checks {
			if !errors.Is(err, objstore.ErrInvalidKey) {
				t.Errorf("%s %q: %v, want ErrInvalidKey", op, key, err)
			}
		}
	}
	if _, err := s.List(ctx, "../"); !errors.Is(err, objstore.ErrInvalidKey) {
		t.Errorf("list ../: %v, want ErrInvalidKey", err)
	}
	if infos := list(t, s, ""); len(infos) != 0 {
		t.Fatalf("invalid keys left objects: %v", keysOf(infos))
	}
}

func second[T any](_ T, err error) error { return err }

func testConcurrentPuts(t *testing.T, s objstore.Store) {
	const writers, each = 16, 8
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				key := fmt.Sprintf("c/%02d/%02d", w, i)
				if err := s.Put(t.Context(), key, randBytes(uint64(w*100+i), 1000+w*i)); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent put: %v", err)
	}
	if n := len(list(t, s, "c/")); n != writers*each {
		t.Fatalf("list after concurrent puts: %d objects, want %d", n, writers*each)
	}
	for w := range writers {
		for i := range each {
			mustGet(t, s, fmt.Sprintf("c/%02d/%02d", w, i), randBytes(uint64(w*100+i), 1000+w*i))
		}
	}
}

func testLargeObject(t *testing.T, s objstore.Store) {
	const size = 8 << 20
	data := randBytes(6, size)
	put(t, s, "large/8MiB", data)
	mustGet(t, s, "large/8MiB", data)
	got, err := s.GetRange(t.Context(), "large/8MiB", size-(1<<20)-3, 1<<20)
	if err != nil {
		t.Fatalf("get range of large object: %v", err)
	}
	if !bytes.Equal(got, data[size-(1<<20)-3:size-3]) {
		t.Fatal("get range of large object: wrong contents")
	}
	if infos := list(t, s, "large/"); len(infos) != 1 || infos[0].Size != size {
		t.Fatalf("list large: %+v", infos)
	}
}

func testCanceledContext(t *testing.T, s objstore.Store) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := s.Put(ctx, "canceled", []byte("x")); !errors.Is(err, context.Canceled) {
		t.Fatalf("put with canceled context: %v, want context.Canceled", err)
	}
	if _, err := s.Get(t.Context(), "canceled"); !errors.Is(err, objstore.ErrNotFound) {
		t.Fatalf("get after canceled put: %v, want ErrNotFound", err)
	}
}

// testDeleteKeyPrefix: deleting a key that names no object but begins
// others ("dir" of "dir/obj") deletes nothing.
func testDeleteKeyPrefix(t *testing.T, s objstore.Store) {
	put(t, s, "dir/obj", []byte("x"))
	if err := s.Delete(t.Context(), "dir"); err != nil {
		t.Fatalf("delete of a key prefix: %v, want nil", err)
	}
	mustGet(t, s, "dir/obj", []byte("x"))
}

// testSpecialCharacterKeys: keys with characters that URLs and shells
// escape round-trip exactly, through Get and List.
func testSpecialCharacterKeys(t *testing.T, s objstore.Store) {
	keys := []string{
		"sp ace/a b", "plus/a+b", "pct/a%20b", "query/a?b=c&d", "hash/a#b",
		"unicode/ü€日本", "tilde/~a", "quote/'a\"", "colon/a:b", "comma/a,b;c",
	}
	for i, k := range keys {
		put(t, s, k, []byte(fmt.Sprint(i)))
	}
	for i, k := range keys {
		mustGet(t, s, k, []byte(fmt.Sprint(i)))
	}
	want := slices.Clone(keys)
	slices.Sort(want)
	if got := keysOf(list(t, s, "")); !slices.Equal(got, want) {
		t.Fatalf("list: %q, want %q", got, want)
	}
	if got := keysOf(list(t, s, "plus/a+")); !slices.Equal(got, []string{"plus/a+b"}) {
		t.Fatalf("list plus/a+: %q, want [plus/a+b]", got)
	}
}

// testListMany lists more objects than one S3 page (1000 keys), so a
// backend that pages must follow every page.
func testListMany(t *testing.T, s objstore.Store) {
	const n, writers = 1234, 16
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for w := range writers {
		wg.Go(func() {
			for i := w; i < n; i += writers {
				if err := s.Put(t.Context(), fmt.Sprintf("many/%05d", i), []byte{byte(i)}); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("put: %v", err)
	}
	put(t, s, "other", []byte("x"))
	infos := list(t, s, "many/")
	if len(infos) != n {
		t.Fatalf("list many/: %d objects, want %d", len(infos), n)
	}
	for i, info := range infos {
		if want := fmt.Sprintf("many/%05d", i); info.Key != want || info.Size != 1 {
			t.Fatalf("list many/ [%d]: %+v, want %s of 1 byte", i, info, want)
		}
	}
}
