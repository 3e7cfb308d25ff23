package statuspage

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestRatesNeedTwoViews: the first view has no rates ("-"); a later one
// shows records per second between the two from the topics' high
// watermarks and the broker's counters.
func TestRatesNeedTwoViews(t *testing.T) {
	hw := int64(100)
	produced := 10.0
	h := Handler(func(context.Context) Snapshot {
		return Snapshot{Cluster: "c", ProducedRecords: produced, Topics: []Topic{{Name: "t", Partitions: 1, HighWater: hw}}}
	}).(*handler)
	first := render(t, h)
	if !strings.Contains(first, `<td class="n">-</td>`) || !strings.Contains(first, "produce -,") {
		t.Errorf("first view shows rates:\n%s", first)
	}
	h.prev.at = h.prev.at.Add(-2 * time.Second) // the previous view was 2s ago
	hw, produced = 120, 30
	second := render(t, h)
	if !strings.Contains(second, `<td class="n">10.0/s</td>`) || !strings.Contains(second, "produce 10.0/s,") {
		t.Errorf("second view: want 10.0/s for the topic and the broker:\n%s", second)
	}
}

// TestEmptySnapshotRenders: a node with nothing yet renders every section
// with its empty-state row, and a part that failed is shown.
func TestEmptySnapshotRenders(t *testing.T) {
	h := Handler(func(context.Context) Snapshot {
		return Snapshot{Cluster: "c", Errors: []string{"topics: store down"}, SubjectsNote: "no registry here"}
	}).(*handler)
	out := render(t, h)
	for _, want := range []string{"no topics", "no groups", "no Iceberg topics", "no subjects", "topics: store down", "no registry here"} {
		if !strings.Contains(out, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

func render(t *testing.T, h *handler) string {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("status %d, content type %q", w.Code, w.Header().Get("Content-Type"))
	}
	return w.Body.String()
}
