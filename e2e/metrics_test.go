package e2e

import (
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/tributary-io/tributary/node"
)

// TestAdminEndpoints: /-/status is 200 on a ready node, and /metrics shows
// produce and fetch rates and latencies, errors by code, and object-store
// and metadata-store operations after real traffic.
func TestAdminEndpoints(t *testing.T) {
	n := startNode(t, testConfig(t, t.TempDir()), node.Hooks{})
	ctx := ctxTimeout(t, 30*time.Second)
	base := "http://" + n.AdminAddr()
	if code, _ := httpGet(t, base+"/-/status"); code != 200 {
		t.Fatalf("/-/status: %d", code)
	}
	cl := newClient(t, n.KafkaAddr(), kgo.DefaultProduceTopic("metrics"), kgo.AllowAutoTopicCreation())
	for i := 0; i < 20; i++ {
		if err := cl.ProduceSync(ctx, &kgo.Record{Value: []byte(fmt.Sprint(i))}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	consumeAll(t, ctx, n.KafkaAddr(), "metrics", 20)
	// An error response: DescribeConfigs of a topic that does not exist.
	dc := kmsg.NewPtrDescribeConfigsRequest()
	dr := kmsg.NewDescribeConfigsRequestResource()
	dr.ResourceType, dr.ResourceName = kmsg.ConfigResourceTypeTopic, "no-such-topic"
	dc.Resources = append(dc.Resources, dr)
	if resp, err := dc.RequestWith(ctx, cl); err != nil || resp.Resources[0].ErrorCode != kerr.UnknownTopicOrPartition.Code {
		t.Fatalf("describe configs of a missing topic: %v", err)
	}

	_, body := httpGet(t, base+"/metrics")
	for _, want := range []struct {
		series string
		min    float64
	}{
		{`tributary_produce_records_total`, 20},
		{`tributary_produce_latency_seconds_count`, 1},
		{`tributary_produce_stage_seconds_count{stage="queue"}`, 1},
		{`tributary_produce_stage_seconds_count{stage="object_write"}`, 1},
		{`tributary_produce_stage_seconds_count{stage="index_commit"}`, 1},
		{`tributary_produce_stage_seconds_count{stage="reply"}`, 1},
		{`tributary_fetch_records_total`, 20},
		{`tributary_fetch_latency_seconds_count`, 1},
		{`tributary_kafka_requests_total{api="Produce"}`, 1},
		{`tributary_objstore_operations_total{op="put",result="ok"}`, 1},
		{`tributary_metastore_operations_total{op="append",result="ok"}`, 1},
	} {
		if v := metricValue(t, body, want.series); v < want.min {
			t.Errorf("%s = %v, want at least %v", want.series, v, want.min)
		}
	}
	if v := metricValue(t, body, `tributary_kafka_error_responses_total{api="DescribeConfigs",error="UNKNOWN_TOPIC_OR_PARTITION"}`); v != 1 {
		t.Errorf("DescribeConfigs UNKNOWN_TOPIC_OR_PARTITION counted %v times, want 1", v)
	}
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// metricValue finds one series line in a Prometheus text exposition.
func metricValue(t *testing.T, body, series string) float64 {
	t.Helper()
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` ([0-9.e+-]+)$`)
	m := re.FindStringSubmatch(body)
	if m == nil {
		t.Errorf("series %s missing; have:\n%s", series, grepLines(body, series[:min(len(series), 20)]))
		return -1
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v
}

func grepLines(body, sub string) string {
	out := ""
	for _, l := range regexp.MustCompile(`(?m)^.*`+regexp.QuoteMeta(sub)+`.*$`).FindAllString(body, 20) {
		out += l + "\n"
	}
	return out
}
