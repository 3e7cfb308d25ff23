package ingest

import (
	"github.com/apache/arrow-go/v18/arrow"
)

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
