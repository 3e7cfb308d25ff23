package protobuf

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// countingLoader compiles a one-message schema per id, counting loads; ids
// below zero are unknown, id 0 blocks until release is closed.
type countingLoader struct {
	loads   atomic.Int64
	release chan struct{}
}

func (l *countingLoader) load(ctx context.Context, id int) (protoreflect.FileDescriptor, error) {
	l.loads.Add(1)
	if id < 0 {
		return nil, fmt.Errorf("schema %d: %w", id, ErrNotFound)
	}
	if id == 0 && l.release != nil {
		select {
		case <-l.release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return Compile(ctx, "", fmt.Sprintf("syntax = \"proto3\";\npackage s%d;\nmessage M { int32 a = 1; }", id), nil)
}

// TestCacheLoadsOnce: 32 callers that all wait on one load (synctest.Wait
// makes sure they do, where a sleep only hoped so) get one schema.
func TestCacheLoadsOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := &countingLoader{release: make(chan struct{})}
		c := NewCache(l.load, CacheConfig{})
		var wg sync.WaitGroup
		schemas := make([]*Schema, 32)
		for i := range schemas {
			wg.Go(func() {
				s, err := c.Schema(context.Background(), 0)
				if err != nil {
					t.Error(err)
				}
				schemas[i] = s
			})
		}
		synctest.Wait() // every caller is blocked: one in the load, the others on it
		close(l.release)
		wg.Wait()
		if n := l.loads.Load(); n != 1 {
			t.Errorf("%d loads for one id", n)
		}
		for _, s := range schemas {
			if s != schemas[0] || s.ID != 0 {
				t.Fatal("callers got different schemas")
			}
		}
	})
}

func TestCacheEvictsLeastRecentlyUsed(t *testing.T) {
	l := &countingLoader{}
	c := NewCache(l.load, CacheConfig{MaxSchemas: 3})
	ctx := context.Background()
	for _, id := range []int{1, 2, 3, 1, 4} { // 2 is the least recent when 4 arrives
		if _, err := c.Schema(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if c.Len() != 3 {
		t.Errorf("Len = %d", c.Len())
	}
	before := l.loads.Load()
	for _, id := range []int{1, 3, 4} {
		c.Schema(ctx, id)
	}
	if l.loads.Load() != before {
		t.Error("a recent schema was evicted")
	}
	c.Schema(ctx, 2)
	if l.loads.Load() != before+1 {
		t.Error("schema 2 was not evicted")
	}
	c.Forget(2)
	c.Schema(ctx, 2)
	if l.loads.Load() != before+2 {
		t.Error("Forget did not drop schema 2")
	}
}

func TestCacheRemembersFailuresForErrorTTL(t *testing.T) {
	l := &countingLoader{}
	c := NewCache(l.load, CacheConfig{ErrorTTL: time.Minute})
	now := time.Unix(1000, 0)
	c.now = func() time.Time { return now }
	ctx := context.Background()
	for range 5 {
		if _, err := c.Schema(ctx, -7); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Schema(-7) = %v", err)
		}
	}
	if n := l.loads.Load(); n != 1 {
		t.Errorf("%d loads within the TTL", n)
	}
	now = now.Add(time.Minute)
	c.Schema(ctx, -7)
	if n := l.loads.Load(); n != 2 {
		t.Errorf("%d loads after the TTL", n)
	}

	l2 := &countingLoader{}
	c = NewCache(l2.load, CacheConfig{ErrorTTL: -1})
	c.Schema(ctx, -7)
	c.Schema(ctx, -7)
	if n := l2.loads.Load(); n != 2 {
		t.Errorf("negative ErrorTTL: %d loads, want 2", n)
	}
}

// TestCacheDoesNotRememberCancellation: the loading caller is cancelled
// while a second caller waits on its load; the second loads again with
// its own context. synctest.Wait orders the steps (the sleeps it replaces
// only made that order likely).
func TestCacheDoesNotRememberCancellation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := &countingLoader{release: make(chan struct{})}
		c := NewCache(l.load, CacheConfig{})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() {
			_, err := c.Schema(ctx, 0)
			done <- err
		}()
		synctest.Wait() // the first caller is in the load
		waiter := make(chan error)
		go func() {
			s, err := c.Schema(context.Background(), 0)
			if err == nil && s == nil {
				err = errors.New("nil schema")
			}
			waiter <- err
		}()
		synctest.Wait() // the second waits on the first one's load
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled caller: %v", err)
		}
		close(l.release)
		if err := <-waiter; err != nil {
			t.Errorf("the other caller inherited the cancellation: %v", err)
		}
		if _, err := c.Schema(context.Background(), 0); err != nil {
			t.Errorf("after: %v", err)
		}
	})
}

func TestCacheCodec(t *testing.T) {
	l := &countingLoader{}
	c := NewCache(l.load, CacheConfig{})
	ctx := context.Background()
	codec, err := c.Codec(ctx, 5, []int{0})
	if err != nil || codec.Desc.FullName() != "s5.M" {
		t.Fatalf("Codec = %v, %v", codec, err)
	}
	if _, err := c.Codec(ctx, 5, []int{1}); !errors.Is(err, ErrNoMessage) {
		t.Errorf("Codec([1]) = %v", err)
	}
	if _, err := c.Codec(ctx, -1, nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("Codec(unknown id) = %v", err)
	}
	allocs := testing.AllocsPerRun(1000, func() {
		if _, err := c.Codec(ctx, 5, []int{0}); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("a cache hit allocates %v times", allocs)
	}
}

func TestCacheConcurrentChurn(t *testing.T) {
	l := &countingLoader{}
	c := NewCache(l.load, CacheConfig{MaxSchemas: 4})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				id := 1 + (g*7+i)%10
				codec, err := c.Codec(context.Background(), id, nil)
				if err != nil {
					t.Error(err)
					return
				}
				if want := protoreflect.FullName(fmt.Sprintf("s%d.M", id)); codec.Desc.FullName() != want {
					t.Errorf("id %d gave %s", id, codec.Desc.FullName())
				}
			}
		})
	}
	wg.Wait()
	if c.Len() > 4 {
		t.Errorf("Len = %d past MaxSchemas", c.Len())
	}
}

func TestCacheLoaderPanic(t *testing.T) {
	c := NewCache(func(context.Context, int) (protoreflect.FileDescriptor, error) { panic("boom") }, CacheConfig{})
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the panic was swallowed")
			}
		}()
		c.Schema(context.Background(), 1)
	}()
	// The entry was published as failed, so nobody waits for it forever.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if _, err := c.Schema(ctx, 1); err == nil || isCancel(err) {
		t.Errorf("after a panicking load: %v", err)
	}
}
