package postgres_test

import (
	"errors"
	"fmt"
	"strconv"
	"testing"

	"github.com/tributary-io/tributary/internal/metastore"
)

// TestKVThroughThreeBrokers increments one counter from three goroutines
// through three store handles (three pools, as three brokers), each
// increment a read and a compare-and-swap retried on ErrConflict, the
// counter created by whichever comes first: none is lost.
func TestKVThroughThreeBrokers(t *testing.T) {
	const nBrokers, increments = 3, 30
	stores := brokers(t, nBrokers)
	ctx := t.Context()
	errs := make(chan error, nBrokers)
	for b, s := range stores {
		go func() {
			for done := 0; done < increments; {
				n, expect := 0, metastore.KVAbsent
				e, err := s.KVGet(ctx, "registry/next_id")
				switch {
				case errors.Is(err, metastore.ErrUnknownKey):
				case err != nil:
					errs <- fmt.Errorf("broker %d: %w", b, err)
					return
				default:
					n, _ = strconv.Atoi(string(e.Value))
					expect = e.Version
				}
				_, err = s.KVApply(ctx, []metastore.KVOp{{Key: "registry/next_id", Expect: expect, Value: []byte(strconv.Itoa(n + 1))}})
				switch {
				case err == nil:
					done++
				case !errors.Is(err, metastore.ErrConflict):
					errs <- fmt.Errorf("broker %d: %w", b, err)
					return
				}
			}
			errs <- nil
		}()
	}
	for range nBrokers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	const total = nBrokers * increments
	for b, s := range stores {
		e, err := s.KVGet(ctx, "registry/next_id")
		if err != nil || e.Version != total || string(e.Value) != strconv.Itoa(total) {
			t.Fatalf("broker %d reads %+v, %v; want version and value %d", b, e, err, total)
		}
	}
}
