package ingest

import (
	"context"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
)

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// newBatch takes the rows a converter holds (nil for none).
func newBatch(c *conv) arrow.RecordBatch {
	if c == nil {
		return nil
	}
	return c.c.NewRecordBatch()
}

func releaseBatch(b arrow.RecordBatch) {
	if b != nil {
		b.Release()
	}
}
