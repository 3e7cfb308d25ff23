package intake

import (
	"context"
	"errors"
	"time"

	"github.com/tributary-io/tributary/internal/metastore"
	"github.com/tributary-io/tributary/internal/objstore"
)

// While the object store or the metadata store is out, a flush waits for
// it instead of failing its produces: the store is tried again every
// backoff, from firstBackoff doubling to maxBackoff, until it answers, the
// flush's FlushTimeout ends or the writer closes. The attempts are the
// health probe: the first one after the store answers again goes through,
// so acknowledgements resume at most maxBackoff (plus one attempt) after
// it is back, where a failed flush used to leave recovery to each
// client's retry backoff (up to seconds). Produces whose own timeout ends
// first are answered REQUEST_TIMED_OUT meanwhile, as before.
const (
	firstBackoff = 10 * time.Millisecond
	maxBackoff   = 100 * time.Millisecond
)

// putAgain reports whether a failed object write may be tried again: the
// server is out. A Put is always safe to repeat (same key, same bytes).
func putAgain(err error) bool { return errors.Is(err, objstore.ErrUnavailable) }

// appendAgain reports whether a failed index commit may be run again: the
// metadata store is out and the commit certainly took no effect (one whose
// answer was lost may have, and is never repeated).
func appendAgain(err error) bool {
	return errors.Is(err, metastore.ErrUnavailable) && errors.Is(err, metastore.ErrNotApplied)
}

// untilAnswered runs op, and again after a capped backoff while its error
// passes again, until ctx ends or stop closes; it returns the attempts
// made and op's last error.
func untilAnswered(ctx context.Context, stop <-chan struct{}, again func(error) bool, op func() error) (int, error) {
	backoff := firstBackoff
	for attempts := 1; ; attempts++ {
		err := op()
		if err == nil || !again(err) {
			return attempts, err
		}
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return attempts, err
		case <-stop:
			t.Stop()
			return attempts, err
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// recovered logs a store operation that went through after failing.
func (w *Writer) recovered(what, key string, attempts int, err error, since time.Time) {
	if attempts > 1 && err == nil {
		w.log.Info("intake flush went through after the store answered again", "store", what,
			"object", key, "attempts", attempts, "waited", time.Since(since).Round(time.Millisecond))
	}
}
