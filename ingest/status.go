package ingest

import (
	"encoding/json"
	"maps"
	"net/http"
	"time"
)

// TableStatus is what /-/tables shows for one Iceberg topic.
type TableStatus struct {
	Topic   string `json:"topic"`
	Catalog string `json:"catalog"`
	Table   string `json:"table"`
	// HoldsLease: this broker is the table's committer. Another broker's
	// table shows what this one last knew.
	HoldsLease bool `json:"holds_lease"`
	// Committed is, per partition, the next offset the table does not
	// have yet (the offsets in its newest snapshot).
	Committed map[int32]int64 `json:"committed_offsets"`
	// HighWater is each partition's log end when last read.
	HighWater map[int32]int64 `json:"high_watermarks"`
	// LagRecords is the sum of HighWater - Committed.
	LagRecords int64 `json:"lag_records"`
	// LagSeconds is how long the table has been behind the log: the time
	// since records the table does not have were first seen (0 when it has
	// everything).
	LagSeconds float64 `json:"lag_seconds"`
	// Buffered counts records read and not yet committed.
	Buffered      int   `json:"buffered_records"`
	RowsCommitted int64 `json:"rows_committed"`
	// FilesCommitted and BytesCommitted are the Parquet files (and their
	// bytes) this broker's commits added.
	FilesCommitted int64     `json:"files_committed"`
	BytesCommitted int64     `json:"bytes_committed"`
	Commits        int64     `json:"commits"`
	LastCommit     time.Time `json:"last_commit,omitzero"`
	LastError      string    `json:"last_error,omitempty"`
	LastErrorAt    time.Time `json:"last_error_at,omitzero"`
	// Errors counts the failures recorded as LastError since start.
	Errors int64 `json:"errors"`
}

// Handler serves Status as JSON: {"tables": [...]}.
func (m *Manager) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		// The status is sent: a failed body write means the client went
		// away, and there is no one left to tell.
		_ = enc.Encode(struct {
			Tables []TableStatus `json:"tables"`
		}{m.Status()})
	})
}

// status is a pipeline's TableStatus and what it is derived from.
type status struct {
	TableStatus
	behindSince time.Time
}

func (p *pipeline) snapshot() TableStatus {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.st.TableStatus
	s.Committed = maps.Clone(s.Committed)
	s.HighWater = maps.Clone(s.HighWater)
	s.LagRecords = 0
	for part, hw := range s.HighWater {
		if c := s.Committed[part]; hw > c {
			s.LagRecords += hw - c
		}
	}
	if s.LagRecords > 0 && !p.st.behindSince.IsZero() {
		s.LagSeconds = time.Since(p.st.behindSince).Seconds()
	}
	return s
}

func (p *pipeline) setErr(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.st.LastError = err.Error()
	p.st.LastErrorAt = time.Now()
	p.st.Errors++
}

// noteHighWater records a partition's log end; the first lag seen after
// being caught up starts the lag clock.
func (p *pipeline) noteHighWater(part int32, hw int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.st.HighWater[part] = hw
	if hw > p.st.Committed[part] && p.st.behindSince.IsZero() {
		p.st.behindSince = time.Now()
	}
}

// noteCommitted records the table's offsets after a commit or an open.
func (p *pipeline) noteCommitted(off map[int32]int64, rows int64, commit bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.st.Committed = off
	if commit {
		files, bytes := p.tbl.Added()
		p.st.FilesCommitted += files
		p.st.BytesCommitted += bytes
		p.st.RowsCommitted += rows
		p.st.Commits++
		p.st.LastCommit = time.Now()
		p.st.LastError, p.st.LastErrorAt = "", time.Time{}
	}
	for part, hw := range p.st.HighWater {
		if hw > off[part] {
			return
		}
	}
	p.st.behindSince = time.Time{}
}

// noteOpened takes the table's last commit time from its current
// snapshot when this process has not committed yet, so /-/tables shows
// it after a restart (regression: it showed none until the next commit).
func (p *pipeline) noteOpened(last time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.st.LastCommit.IsZero() {
		p.st.LastCommit = last
	}
}

func (p *pipeline) setLease(held bool, buffered int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.st.HoldsLease = held
	p.st.Buffered = buffered
}
