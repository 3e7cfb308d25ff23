// Package statuspage renders the admin port's status page (GET /): one
// server-rendered HTML page (html/template, no script, no build step)
// showing the cluster and its brokers, topics (partitions, bytes,
// records, produce rate), consumer groups (members, lag), Iceberg tables
// (freshness, files, last commit, last maintenance, last error) and the
// registry's subjects.
//
// The node assembles a Snapshot for each view (Source); the page keeps
// the previous view's record counts to show rates over the time between
// two views (it refreshes itself every RefreshSeconds), so the first view
// shows none.
package statuspage

import (
	"context"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"sync"
	"time"
)

// RefreshSeconds is how often the page reloads itself.
const RefreshSeconds = 10

// Snapshot is what one view of the page shows.
type Snapshot struct {
	Cluster string
	Version string
	Self    int32
	Brokers []Broker
	// Broker-local rates' inputs: this broker's cumulative produce and
	// fetch record counts.
	ProducedRecords, FetchedRecords float64
	Topics                          []Topic
	Groups                          []Group
	// GroupsNote says whose groups Groups are (a broker lists the groups
	// it coordinates).
	GroupsNote string
	Tables     []Table
	Subjects   []Subject
	// SubjectsNote replaces Subjects when the registry is not served here.
	SubjectsNote string
	// Errors are the parts that could not be read for this view.
	Errors []string
}

// Broker is a live broker of the cluster.
type Broker struct {
	NodeID  int32
	Address string
	Rack    string
	Expires time.Time
}

// Topic is one topic: partitions, retained records and bytes, and its
// Iceberg table if it has one.
type Topic struct {
	Name       string
	Partitions int32
	Records    int64 // sum of high watermark - log start
	Bytes      int64
	HighWater  int64 // sum of high watermarks: produce rate's input
	Iceberg    string
	// Rate is records produced per second since the previous view (-1:
	// not known yet).
	Rate float64
}

// Group is a consumer group this broker coordinates.
type Group struct {
	Name, Kind, State string
	Members           int
	Lag               int64
	LagByTopic        map[string]int64
	Rebalances        int64
}

// Table is an Iceberg table ingest writes.
type Table struct {
	Topic, Catalog, Table string
	Committer             bool
	LastCommit            time.Time
	LagRecords            int64
	LagSeconds            float64
	Rows                  int64
	DataFiles             int // -1: not counted yet
	DataBytes             int64
	SmallFiles            int
	Snapshots             int
	LastMaintenance       time.Time
	LastError             string
}

// Subject is one registry subject.
type Subject struct {
	Subject  string
	Versions int
	Latest   int
	ID       int
	Type     string
}

// Source assembles a Snapshot.
type Source func(ctx context.Context) Snapshot

//go:embed page.html.tmpl
var files embed.FS

var page = template.Must(template.New("page.html.tmpl").Funcs(template.FuncMap{
	"bytes": humanBytes, "ago": ago, "rate": rate, "num": num,
}).ParseFS(files, "page.html.tmpl"))

// Handler serves the page.
func Handler(src Source) http.Handler {
	h := &handler{src: src}
	return h
}

type handler struct {
	src Source

	mu   sync.Mutex
	prev sample
}

// sample is one view's cumulative counts, for the next view's rates.
type sample struct {
	at                time.Time
	topics            map[string]int64
	produced, fetched float64
}

// view is what the template gets.
type view struct {
	Snapshot
	Now                    time.Time
	Refresh                int
	ProduceRate, FetchRate float64 // this broker's records/s, -1 unknown
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	v := view{Snapshot: h.src(ctx), Now: time.Now(), Refresh: RefreshSeconds}
	h.rates(&v)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := page.Execute(w, v); err != nil {
		// The status line is sent: the page ends where it failed.
		_, _ = fmt.Fprintf(w, "<p>render: %s</p>", template.HTMLEscapeString(err.Error()))
	}
}

// rates fills the rates from the previous view's counts and keeps this
// view's for the next.
func (h *handler) rates(v *view) {
	h.mu.Lock()
	defer h.mu.Unlock()
	cur := sample{at: v.Now, topics: map[string]int64{}, produced: v.ProducedRecords, fetched: v.FetchedRecords}
	dt := v.Now.Sub(h.prev.at).Seconds()
	known := !h.prev.at.IsZero() && dt >= 0.5
	v.ProduceRate, v.FetchRate = -1, -1
	if known {
		v.ProduceRate = (cur.produced - h.prev.produced) / dt
		v.FetchRate = (cur.fetched - h.prev.fetched) / dt
	}
	for i := range v.Topics {
		t := &v.Topics[i]
		cur.topics[t.Name] = t.HighWater
		t.Rate = -1
		if prev, ok := h.prev.topics[t.Name]; ok && known && t.HighWater >= prev {
			t.Rate = float64(t.HighWater-prev) / dt
		}
	}
	if !known && !h.prev.at.IsZero() {
		return // too soon: keep the older sample for a longer interval
	}
	h.prev = cur
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// ago is how long before now t was ("-" for the zero time).
func ago(now, t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	d := now.Sub(t).Round(time.Second)
	if d < 0 {
		d = 0
	}
	return d.String() + " ago"
}

func rate(r float64) string {
	if r < 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f/s", r)
}

func num(n int64) string { return fmt.Sprintf("%d", n) }
