package deploy

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// dashboard is the part of a Grafana dashboard the test reads.
type dashboard struct {
	Title  string  `json:"title"`
	Panels []panel `json:"panels"`
}

type panel struct {
	Type    string `json:"type"`
	Title   string `json:"title"`
	Targets []struct {
		Expr string `json:"expr"`
	} `json:"targets"`
}

var metricName = regexp.MustCompile(`\btributary_[a-z0-9_]+`)

// TestDashboardMetricsAreDocumented: every metric a query of
// grafana/tributary.json names is listed in docs/metrics.md (a histogram's
// _bucket, _sum and _count under the histogram's name), and the dashboard
// covers every part: Kafka, groups, enforcement, registry, catalog, ingest
// and maintenance.
func TestDashboardMetricsAreDocumented(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("grafana", "tributary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("grafana/tributary.json: %v", err)
	}
	doc, err := os.ReadFile(filepath.Join("..", "docs", "metrics.md"))
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	for _, p := range d.Panels {
		if p.Type != "row" && len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			names := metricName.FindAllString(tg.Expr, -1)
			if len(names) == 0 {
				t.Errorf("panel %q: query %q names no tributary_ metric", p.Title, tg.Expr)
			}
			for _, n := range names {
				used[n] = true
			}
		}
	}
	for n := range used {
		if !documented(string(doc), n) {
			t.Errorf("the dashboard uses %s, which docs/metrics.md does not list", n)
		}
	}
	for _, part := range []string{"tributary_produce_", "tributary_kafka_", "tributary_objstore_", "tributary_group_",
		"tributary_enforce_", "tributary_registry_", "tributary_catalog_", "tributary_ingest_", "tributary_iceberg_maintenance_"} {
		if !anyPrefix(used, part) {
			t.Errorf("no panel uses a %s* metric", part)
		}
	}
}

func documented(doc, name string) bool {
	if strings.Contains(doc, "`"+name+"`") {
		return true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok && strings.Contains(doc, "`"+base+"` | histogram") {
			return true
		}
	}
	return false
}

func anyPrefix(set map[string]bool, prefix string) bool {
	for n := range set {
		if strings.HasPrefix(n, prefix) {
			return true
		}
	}
	return false
}
