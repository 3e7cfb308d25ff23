package housekeeping

import (
	"context"

	"github.com/tributary-io/tributary/internal/metastore"
	"github.com/tributary-io/tributary/topicconfig"
)

// retain applies t's retention to pk (see the package doc): it finds the
// first entry to keep, walking from the log start, and trims the ones
// before it in one TrimIndex.
func (p *pass) retain(ctx context.Context, t metastore.Topic, pk metastore.PartitionKey) error {
	st := topicconfig.Parse(t.Configs)
	retentionMs, retentionBytes := st.RetentionMs, st.RetentionBytes
	if !st.Deletes || (retentionMs < 0 && retentionBytes < 0) {
		return nil
	}
	cutoff := p.now.UnixMilli() - retentionMs
	before := int64(-1) // trim the entries whose LastOffset is below this
	var remaining int64 // bytes left after trimming through before
	first := true
	err := scan(ctx, p.h.meta, pk, 0, func(e metastore.IndexEntry, st metastore.PartitionState) (bool, error) {
		if first {
			remaining, first = st.Bytes, false
		}
		ts, dated := entryTime(e)
		expired := retentionMs >= 0 && dated && ts < cutoff
		oversize := retentionBytes >= 0 && remaining-e.Size >= retentionBytes
		if !expired && !oversize {
			return false, nil
		}
		before, remaining = e.LastOffset+1, remaining-e.Size
		return true, nil
	})
	if err != nil || before < 0 {
		return err
	}
	n, err := p.h.meta.TrimIndex(ctx, pk, before)
	p.rep.EntriesTrimmed += n
	return err
}

// entryTime is the time, in Unix milliseconds, retention judges an entry
// by: its MaxTimestamp, else the write time of its intake object. dated is
// false when neither is known.
func entryTime(e metastore.IndexEntry) (ms int64, dated bool) {
	if e.MaxTimestamp >= 0 {
		return e.MaxTimestamp, true
	}
	if t, ok := intakeTime(e.ObjectKey); ok {
		return t.UnixMilli(), true
	}
	return 0, false
}
