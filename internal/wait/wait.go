// Package wait holds the one context-aware sleep that retry loops and
// backoffs across the module share.
package wait

import (
	"context"
	"time"
)

// Sleep waits d, or until ctx is done, whichever comes first; it returns
// ctx's error when ctx ended the wait.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
