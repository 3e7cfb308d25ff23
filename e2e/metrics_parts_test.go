//go:build unix

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/tributary-io/tributary/ingest"
)

// metricsPartsEnforcement filters, on produce, the values of topic dirty
// that do not parse or have no schema, against the built-in registry
// (bound at %s).
const metricsPartsEnforcement = `
data_enforcement:
  schema_registries:
    - name: csr
      confluent: { url: http://%s }
  produce:
    - topics: { equal: dirty }
      schema_registry: csr
      values: { on_parse_error: FILTER_RECORD, on_no_schema: FILTER_RECORD }
`

// TestMetricsForEveryPart drives every part of a node, then scrapes
// /metrics and checks each part's series: Iceberg ingest per table
// (commits, rows, files, bytes, lag, errors, last commit), the registry
// (requests by endpoint and status, subjects, registrations), the catalog
// (requests, commits, conflicts), groups (members, rebalances, lag per
// group and topic) and enforcement per topic (accepted, rejected,
// filtered, dead-lettered).
func TestMetricsForEveryPart(t *testing.T) {
	regAddr := freeAddr(t)
	n := enforcedNode(t, fmt.Sprintf(metricsPartsEnforcement, regAddr), regAddr)
	addr := n.KafkaAddr()
	ctx := ctxTimeout(t, 2*time.Minute)
	createTopics(t, newAdmin(t, addr), map[string]map[string]*string{
		"payments": {"bufstream.validate.mode": ptr("reject")},
		"returns":  {"bufstream.validate.mode": ptr("dlq")},
		"dirty":    nil,
		"orders": {"bufstream.archive.kind": ptr("ICEBERG"), "bufstream.archive.iceberg.table": ptr("ops.orders"),
			"bufstream.export.iceberg.commit.freq.ms": ptr("100")},
	})
	_, serde := shopRegistry(t, "http://"+regAddr, "payments-value", "returns-value", "dirty-value")
	valid, zero := mustEncode(t, serde, cart("a", 1)), mustEncode(t, serde, cart("z", 0))
	p := newClient(t, addr, kgo.ProducerLinger(0))
	for _, r := range []struct {
		topic string
		value []byte
		ok    bool
	}{{"payments", valid, true}, {"payments", zero, false}, {"returns", zero, true}, {"dirty", []byte("junk"), true}, {"dirty", valid, true}} {
		if _, err := produceOne(ctx, p, &kgo.Record{Topic: r.topic, Value: r.value}); (err == nil) != r.ok {
			t.Fatalf("produce to %s: %v, want success %v", r.topic, err, r.ok)
		}
	}
	for i := range 3 {
		if _, err := produceOne(ctx, p, &kgo.Record{Topic: "orders", Value: fmt.Appendf(nil, "o%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	waitStatus(t, n.AdminAddr(), "3 rows committed", 30*time.Second, func(s ingest.TableStatus) bool { return s.RowsCommitted == 3 })

	cons := newClient(t, addr, kgo.ConsumeTopics("orders"), kgo.ConsumerGroup("g1"), kgo.DisableAutoCommit(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	for got := 0; got < 3; {
		fs := cons.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			t.Fatal(err)
		}
		got += fs.NumRecords()
	}
	if err := cons.CommitUncommittedOffsets(ctx); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if _, err := produceOne(ctx, p, &kgo.Record{Topic: "orders", Value: fmt.Appendf(nil, "late%d", i)}); err != nil {
			t.Fatal(err)
		}
	}

	_, body := httpGet(t, "http://"+n.AdminAddr()+"/metrics")
	tbl := `{catalog="local",table="ops.orders",topic="orders"}`
	atLeast := map[string]float64{
		"tributary_ingest_commits_total" + tbl:                 1,
		"tributary_ingest_rows_total" + tbl:                    3,
		"tributary_ingest_files_total" + tbl:                   1,
		"tributary_ingest_bytes_total" + tbl:                   100,
		"tributary_ingest_last_commit_timestamp_seconds" + tbl: float64(time.Now().Add(-time.Hour).Unix()),
		"tributary_ingest_committer" + tbl:                     1,

		`tributary_registry_requests_total{endpoint="POST /subjects/{subject}/versions",status="200"}`:    3,
		`tributary_registry_schemas_registered_total`:                                                     3,
		`tributary_registry_subjects`:                                                                     3,
		`tributary_registry_schema_versions`:                                                              3,
		`tributary_registry_request_duration_seconds_count{endpoint="POST /subjects/{subject}/versions"}`: 3,

		`tributary_catalog_requests_total{endpoint="POST /v1/{prefix}/namespaces/{namespace}/tables/{table}",status="200"}`: 1,
		`tributary_catalog_requests_total{endpoint="GET /v1/config",status="200"}`:                                          1,
		`tributary_catalog_commits_total{result="committed"}`:                                                               1,

		`tributary_group_members{group="g1",kind="classic"}`: 1,
		`tributary_group_rebalances_total{group="g1"}`:       1,
	}
	exactly := map[string]float64{
		"tributary_ingest_errors_total" + tbl:                    0,
		`tributary_catalog_commit_conflicts_total`:               0,
		`tributary_group_lag_records{group="g1",topic="orders"}`: 2,

		`tributary_enforce_topic_records_total{outcome="accepted",side="produce",topic="payments"}`:     1,
		`tributary_enforce_topic_records_total{outcome="rejected",side="produce",topic="payments"}`:     1,
		`tributary_enforce_topic_records_total{outcome="dead_lettered",side="produce",topic="returns"}`: 1,
		`tributary_enforce_topic_records_total{outcome="filtered",side="produce",topic="dirty"}`:        1,
		`tributary_enforce_topic_records_total{outcome="accepted",side="produce",topic="dirty"}`:        1,
	}
	for series, min := range atLeast {
		if v := metricValue(t, body, series); v < min {
			t.Errorf("%s = %v, want at least %v", series, v, min)
		}
	}
	for series, want := range exactly {
		if v := metricValue(t, body, series); v != want {
			t.Errorf("%s = %v, want %v", series, v, want)
		}
	}
	checkMetricsDocumented(t, body)
	for _, gauge := range []string{"tributary_ingest_lag_records", "tributary_ingest_lag_seconds", "tributary_ingest_buffered_records"} {
		if v := metricValue(t, body, gauge+tbl); v < 0 {
			t.Errorf("%s = %v", gauge, v)
		}
	}
}

// checkMetricsDocumented fails for every tributary_ metric of a scrape
// that docs/metrics.md does not list.
func checkMetricsDocumented(t *testing.T, body string) {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join("..", "docs", "metrics.md"))
	if err != nil {
		t.Fatal(err)
	}
	names := regexp.MustCompile(`(?m)^# TYPE (tributary_\w+) `).FindAllStringSubmatch(body, -1)
	if len(names) < 40 {
		t.Fatalf("only %d tributary_ metrics in the scrape", len(names))
	}
	for _, m := range names {
		if !strings.Contains(string(doc), "`"+m[1]+"`") {
			t.Errorf("%s is exported but not in docs/metrics.md", m[1])
		}
	}
}
