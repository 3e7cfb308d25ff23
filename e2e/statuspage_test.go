//go:build unix

package e2e

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/tributary-io/tributary/ingest"
	"github.com/tributary-io/tributary/node"
)

// statusPageNode is a node with something in every section of the status
// page: two topics (one an Iceberg table whose maintenance has counted
// its files), a group with a member and lag, and a registry subject.
func statusPageNode(t *testing.T) *node.Node {
	t.Helper()
	cfg := testConfig(t, t.TempDir())
	cfg.Name = "status-test"
	cfg.IcebergMaintenance.CheckInterval = 200 * time.Millisecond
	n := startNode(t, cfg, node.Hooks{})
	ctx := ctxTimeout(t, time.Minute)
	createTopics(t, newAdmin(t, n.KafkaAddr()), map[string]map[string]*string{
		"clicks": nil,
		"orders": {"bufstream.archive.kind": ptr("ICEBERG"), "bufstream.archive.iceberg.table": ptr("shop.orders"),
			"bufstream.export.iceberg.commit.freq.ms": ptr("100")},
	})
	p := newClient(t, n.KafkaAddr(), kgo.ProducerLinger(0))
	for i := range 7 {
		for _, topic := range []string{"clicks", "orders"} {
			if _, err := produceOne(ctx, p, &kgo.Record{Topic: topic, Value: fmt.Appendf(nil, "%s-%d", topic, i)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	reg, err := sr.NewClient(sr.URLs("http://" + n.RegistryAddr()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reg.CreateSchema(ctx, "orders-value", sr.Schema{Schema: `syntax = "proto3"; message Order { int32 id = 1; }`, Type: sr.TypeProtobuf}); err != nil {
		t.Fatal(err)
	}
	cons := newClient(t, n.KafkaAddr(), kgo.ConsumeTopics("clicks"), kgo.ConsumerGroup("dashboards"), kgo.DisableAutoCommit(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(100*time.Millisecond))
	for got := 0; got < 7; {
		fs := cons.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			t.Fatal(err)
		}
		got += fs.NumRecords()
	}
	// Commit 4 of the 7: a lag of 3 (the member stays in the group).
	if err := cons.CommitRecords(ctx, &kgo.Record{Topic: "clicks", Partition: 0, Offset: 3, LeaderEpoch: -1}); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, n.AdminAddr(), "7 rows committed", 30*time.Second, func(s ingest.TableStatus) bool { return s.RowsCommitted == 7 })
	return n
}

// TestStatusPage reads the admin port's status page (GET /) twice and
// checks every section's rows: the cluster and this broker, topics with
// partitions, records, bytes and (on the second view) a produce rate, the
// group with its member and lag, the Iceberg table with freshness, files,
// last commit and no error, and the subject with its version.
func TestStatusPage(t *testing.T) {
	n := statusPageNode(t)
	base := "http://" + n.AdminAddr() + "/"
	deadline := time.Now().Add(20 * time.Second)
	var page string
	for {
		code, body := httpGet(t, base)
		if code != 200 {
			t.Fatalf("GET /: %d\n%s", code, body)
		}
		page = body
		// maintenance counts the table's files within its check interval
		if regexp.MustCompile(`<td>shop\.orders</td><td>local</td><td>\d+s ago</td>.*<td class="n">7</td><td class="n">[1-9]\d* \(`).MatchString(page) || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	for what, re := range map[string]string{
		"cluster":  `<span id="cluster">status-test</span>`,
		"broker":   fmt.Sprintf(`<tr class="self"><td class="n">%d</td><td>127\.0\.0\.1:\d+</td>`, n.NodeID()),
		"topic":    `<tr><td>clicks</td><td class="n">1</td><td class="n">7</td><td class="n">\d+ B</td><td class="n">[-0-9.]+(/s)?</td><td></td></tr>`,
		"iceberg":  `<tr><td>orders</td><td class="n">1</td><td class="n">7</td>.*<td>local:shop\.orders</td></tr>`,
		"group":    `<tr><td>dashboards</td><td>classic</td><td>Stable</td><td class="n">1</td><td class="n">3</td><td>clicks: 3 </td>`,
		"table":    `<tr><td>orders</td><td>shop\.orders</td><td>local</td><td>\d+s ago</td><td class="n">0 records, 0\.0s</td><td class="n">7</td><td class="n">[1-9]\d* \(\d+ small\)</td>`,
		"no error": `<td class="err"></td></tr>`,
		"subject":  `<tr><td>orders-value</td><td class="n">1</td><td class="n">1</td><td class="n">\d+</td><td>PROTOBUF</td></tr>`,
	} {
		if !regexp.MustCompile(re).MatchString(page) {
			t.Errorf("%s: no match for %s in the page:\n%s", what, re, page)
		}
	}
	// A second view has rates: one more record on clicks shows a rate.
	time.Sleep(600 * time.Millisecond)
	if _, err := produceOne(context.Background(), newClient(t, n.KafkaAddr()), &kgo.Record{Topic: "clicks", Value: []byte("more")}); err != nil {
		t.Fatal(err)
	}
	_, page = httpGet(t, base)
	if !regexp.MustCompile(`<tr><td>clicks</td><td class="n">1</td><td class="n">8</td><td class="n">\d+ B</td><td class="n">[0-9.]+/s</td>`).MatchString(page) {
		t.Errorf("no produce rate on the second view:\n%s", grepLines(page, "clicks"))
	}
	if strings.Contains(page, `class="err">topics`) || strings.Contains(page, "render:") {
		t.Errorf("the page reports an error:\n%s", page)
	}
}
