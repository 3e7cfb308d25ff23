package registryclient

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// fakeSource answers from a map of ids, counting SchemaByID calls; fail
// makes every call fail as a registry that is down.
type fakeSource struct {
	schemas map[int]Schema
	fail    atomic.Bool
	calls   atomic.Int32
	vcalls  atomic.Int32
}

func (f *fakeSource) SchemaByID(_ context.Context, id int) (Schema, error) {
	f.calls.Add(1)
	if f.fail.Load() {
		return Schema{}, errors.New("connection refused")
	}
	s, ok := f.schemas[id]
	if !ok {
		return Schema{}, fmt.Errorf("%w: id %d", ErrNotFound, id)
	}
	return s, nil
}

func (f *fakeSource) SchemaByVersion(context.Context, string, int) (Schema, error) {
	return Schema{}, ErrNotFound
}
func (f *fakeSource) SubjectsOfID(context.Context, int) ([]string, error) { return nil, ErrNotFound }
func (f *fakeSource) SubjectVersions(context.Context, string) ([]int, error) {
	f.vcalls.Add(1)
	if f.fail.Load() {
		return nil, errors.New("connection refused")
	}
	return nil, ErrNotFound
}

// Each failure wraps exactly its sentinel, never a context error, and a
// registry that is down is asked once per id per ErrorTTL.
func TestClientSortsFailures(t *testing.T) {
	src := &fakeSource{schemas: map[int]Schema{
		1: {Type: TypeProtobuf, Text: `syntax = "proto3"; message A { string a = 1; }`},
		2: {Type: "AVRO", Text: `"string"`},
		3: {Type: TypeProtobuf, Text: `syntax = "proto3"; message A { nope a = 1; }`},
		4: {Type: TypeProtobuf, Text: `syntax = "proto3"; import "x.proto"; message A { X a = 1; }`, References: []Reference{{Name: "x.proto", Subject: "x", Version: 1}}},
	}}
	c := New("r", src, Config{ErrorTTL: time.Minute})
	ctx := t.Context()
	if s, err := c.Schema(ctx, 1); err != nil || s.File.Messages().ByName("A") == nil {
		t.Fatalf("id 1: %v", err)
	}
	for id, want := range map[int]error{2: ErrNotProtobuf, 3: ErrCompile, 4: ErrNotFound, 5: ErrNotFound} {
		_, err := c.Schema(ctx, id)
		for _, s := range []error{ErrNotFound, ErrNotProtobuf, ErrCompile, ErrUnavailable} {
			if errors.Is(err, s) != (s == want) {
				t.Errorf("id %d: %v: is %v = %v", id, err, s, errors.Is(err, s))
			}
		}
	}
	src.fail.Store(true)
	before := src.calls.Load()
	for range 3 {
		_, err := c.Schema(ctx, 6)
		if !errors.Is(err, ErrUnavailable) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("registry down: %v", err)
		}
	}
	if n := src.calls.Load() - before; n != 1 {
		t.Fatalf("registry down: asked %d times for one id within ErrorTTL, want 1", n)
	}
	if _, err := c.HasVersions(ctx, "s"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("versions while down: %v", err)
	}
}

// A failure is remembered for ErrorTTL and asked again after it; whether
// a subject has versions is trusted for SubjectTTL. Fake time (synctest).
func TestClientTTLs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &fakeSource{schemas: map[int]Schema{}}
		src.fail.Store(true)
		c := New("r", src, Config{ErrorTTL: 5 * time.Second, SubjectTTL: 10 * time.Second})
		ask := func() { _, _ = c.Schema(t.Context(), 1) }
		ask()
		time.Sleep(5*time.Second - time.Millisecond)
		ask()
		if n := src.calls.Load(); n != 1 {
			t.Fatalf("%d lookups within ErrorTTL, want 1", n)
		}
		time.Sleep(time.Millisecond)
		ask()
		if n := src.calls.Load(); n != 2 {
			t.Fatalf("%d lookups once ErrorTTL passed, want 2", n)
		}

		src.fail.Store(false)
		has := func() {
			if h, err := c.HasVersions(t.Context(), "s"); err != nil || h {
				t.Fatalf("HasVersions: %v %v", h, err)
			}
		}
		has()
		time.Sleep(10*time.Second - time.Millisecond)
		has()
		if n := src.vcalls.Load(); n != 1 {
			t.Fatalf("%d subject lookups within SubjectTTL, want 1", n)
		}
		time.Sleep(time.Millisecond)
		has()
		if n := src.vcalls.Load(); n != 2 {
			t.Fatalf("%d subject lookups once SubjectTTL passed, want 2", n)
		}
	})
}
