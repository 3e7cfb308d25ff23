package metrics_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/tributary-io/tributary/internal/buildinfo"
	"github.com/tributary-io/tributary/internal/metastore"
	"github.com/tributary-io/tributary/internal/metrics"
	"github.com/tributary-io/tributary/internal/objstore"
	"github.com/twmb/franz-go/pkg/kerr"
)

func TestObjectStoreCallShowsInRegistry(t *testing.T) {
	m := metrics.New()
	local, err := objstore.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s := metrics.ObjectStore(m, local)
	if err := s.Put(t.Context(), "intake/1", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(t.Context(), "missing"); !errors.Is(err, objstore.ErrNotFound) {
		t.Fatalf("get missing through the wrapper: %v, want ErrNotFound", err)
	}
	// The wrapper reads into the caller's buffer when the store does, and
	// counts it as a ranged read; over any other store it does not.
	rr, ok := s.(objstore.RangeReader)
	if !ok {
		t.Fatal("the wrapper of a RangeReader is not one")
	}
	if buf := make([]byte, 1); rr.ReadRange(t.Context(), "intake/1", 0, buf) != nil || string(buf) != "x" {
		t.Fatalf("read range through the wrapper: %q", buf)
	}
	if _, ok := metrics.ObjectStore(metrics.New(), objstore.NewFaulty(local)).(objstore.RangeReader); ok {
		t.Fatal("the wrapper of a store that is no RangeReader claims to be one")
	}
	if _, ok := s.(objstore.Preparer); !ok {
		t.Fatal("the wrapper of the local store is no Preparer")
	}
	if _, ok := metrics.ObjectStore(metrics.New(), objstore.NewFaulty(local)).(objstore.Preparer); ok {
		t.Fatal("the wrapper of a store that is no Preparer claims to be one")
	}
	prepOnly := metrics.ObjectStore(metrics.New(), preparerOnly{objstore.NewFaulty(local), local})
	if _, ok := prepOnly.(objstore.Preparer); !ok {
		t.Fatal("the wrapper of a Preparer that is no RangeReader is no Preparer")
	}
	if _, ok := prepOnly.(objstore.RangeReader); ok {
		t.Fatal("the wrapper of a Preparer that is no RangeReader claims to be one")
	}
	want := `
# HELP tributary_objstore_operations_total Object store calls, by operation and result.
# TYPE tributary_objstore_operations_total counter
tributary_objstore_operations_total{op="get",result="error"} 1
tributary_objstore_operations_total{op="get_range",result="ok"} 1
tributary_objstore_operations_total{op="put",result="ok"} 1
`
	if err := testutil.GatherAndCompare(m.Registry, strings.NewReader(want), "tributary_objstore_operations_total"); err != nil {
		t.Fatal(err)
	}
	if n := testutil.CollectAndCount(m.ObjectStoreLatency); n != 3 {
		t.Fatalf("latency series: %d, want 3", n)
	}
}

func TestKafkaRequestAndError(t *testing.T) {
	m := metrics.New()
	m.KafkaRequest(3, 2*time.Millisecond) // Metadata
	m.KafkaError(0, kerr.UnknownTopicOrPartition.Code)
	m.KafkaError(0, 0) // no error: not counted
	m.KafkaError(1, 32000)
	want := `
# HELP tributary_kafka_error_responses_total Error codes returned in Kafka responses, by API and error.
# TYPE tributary_kafka_error_responses_total counter
tributary_kafka_error_responses_total{api="Fetch",error="UNKNOWN_SERVER_ERROR"} 1
tributary_kafka_error_responses_total{api="Produce",error="UNKNOWN_TOPIC_OR_PARTITION"} 1
# HELP tributary_kafka_requests_total Kafka requests handled, by API.
# TYPE tributary_kafka_requests_total counter
tributary_kafka_requests_total{api="Metadata"} 1
`
	if err := testutil.GatherAndCompare(m.Registry, strings.NewReader(want),
		"tributary_kafka_requests_total", "tributary_kafka_error_responses_total"); err != nil {
		t.Fatal(err)
	}
}

func TestRegistryHasRuntimeAndBrokerMetrics(t *testing.T) {
	m := metrics.New()
	m.OpenConnections.Inc()
	m.ProduceLatency.Observe(0.003)
	mfs, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, mf := range mfs {
		have[mf.GetName()] = true
	}
	for _, name := range []string{
		"go_goroutines", "process_cpu_seconds_total",
		"tributary_connections_open", "tributary_produce_latency_seconds",
		"tributary_produce_requests_total", "tributary_fetch_bytes_total",
		"tributary_intake_buffer_bytes",
	} {
		if !have[name] {
			t.Errorf("registry lacks %s", name)
		}
	}
}

func TestBuildInfoGauge(t *testing.T) {
	m := metrics.New()
	b := buildinfo.Read()
	want := `
# HELP tributary_build_info 1, labelled with the running build's version, commit and Go version.
# TYPE tributary_build_info gauge
tributary_build_info{commit="` + b.Commit + `",goversion="` + b.GoVersion + `",version="` + b.Version + `"} 1
`
	if err := testutil.GatherAndCompare(m.Registry, strings.NewReader(want), "tributary_build_info"); err != nil {
		t.Fatal(err)
	}
	if b.GoVersion == "" || b.Version == "" || b.Commit == "" {
		t.Fatalf("build info has an empty label: %+v", b)
	}
}

func TestErrorName(t *testing.T) {
	for code, want := range map[int16]string{
		0: "NONE", 3: "UNKNOWN_TOPIC_OR_PARTITION", 6: "NOT_LEADER_FOR_PARTITION", -1: "UNKNOWN_SERVER_ERROR", 9999: "UNKNOWN_SERVER_ERROR",
	} {
		if got := metrics.ErrorName(code); got != want {
			t.Errorf("ErrorName(%d) = %q, want %q", code, got, want)
		}
	}
}

// TestMetaStoreCountsEveryMethod calls every method of the wrapper and
// checks each is counted under a label of its own.
func TestMetaStoreCountsEveryMethod(t *testing.T) {
	m := metrics.New()
	s := metrics.MetaStore(m, nopMeta{})
	v := reflect.ValueOf(s)
	called := 0
	for i := range v.NumMethod() {
		meth := v.Method(i)
		if v.Type().Method(i).Name == "Close" {
			continue
		}
		args := make([]reflect.Value, meth.Type().NumIn())
		for j := range args {
			args[j] = reflect.Zero(meth.Type().In(j))
		}
		args[0] = reflect.ValueOf(context.Background())
		meth.Call(args)
		called++
	}
	if n := testutil.CollectAndCount(m.MetaStoreOps); n != called {
		t.Fatalf("%d methods called, %d op series counted: two methods share a label", called, n)
	}
}

func TestMetaStoreErrorResult(t *testing.T) {
	m := metrics.New()
	s := metrics.MetaStore(m, nopMeta{})
	if _, err := s.Topic(t.Context(), "nope"); !errors.Is(err, metastore.ErrUnknownTopic) {
		t.Fatalf("topic: %v", err)
	}
	if got := testutil.ToFloat64(m.MetaStoreOps.WithLabelValues("topic", metrics.ResultError)); got != 1 {
		t.Fatalf("topic errors counted: %v, want 1", got)
	}
}

// nopMeta is a metastore.Store whose methods do nothing; Topic reports an
// unknown topic.
type nopMeta struct{}

func (nopMeta) CreateTopic(context.Context, metastore.TopicSpec) (metastore.Topic, error) {
	return metastore.Topic{}, nil
}
func (nopMeta) DeleteTopic(context.Context, string) (metastore.Topic, error) {
	return metastore.Topic{}, nil
}
func (nopMeta) Topic(context.Context, string) (metastore.Topic, error) {
	return metastore.Topic{}, metastore.ErrUnknownTopic
}
func (nopMeta) TopicByID(context.Context, metastore.TopicID) (metastore.Topic, error) {
	return metastore.Topic{}, nil
}
func (nopMeta) Topics(context.Context) ([]metastore.Topic, error) { return nil, nil }
func (nopMeta) CreatePartitions(context.Context, string, int32) (metastore.Topic, error) {
	return metastore.Topic{}, nil
}
func (nopMeta) AlterTopicConfigs(context.Context, string, map[string]*string, bool) (metastore.Topic, error) {
	return metastore.Topic{}, nil
}
func (nopMeta) Append(context.Context, metastore.ObjectRef, []metastore.AppendBatch) ([]metastore.AppendResult, error) {
	return nil, nil
}
func (nopMeta) PartitionStates(context.Context, []metastore.PartitionKey) (map[metastore.PartitionKey]metastore.PartitionState, error) {
	return nil, nil
}
func (nopMeta) Partition(context.Context, metastore.PartitionKey) (metastore.PartitionState, error) {
	return metastore.PartitionState{}, nil
}
func (nopMeta) ReadIndex(context.Context, metastore.PartitionKey, int64, int) ([]metastore.IndexEntry, metastore.PartitionState, error) {
	return nil, metastore.PartitionState{}, nil
}
func (nopMeta) TrimIndex(context.Context, metastore.PartitionKey, int64) (int, error) { return 0, nil }
func (nopMeta) DeleteRecords(context.Context, metastore.PartitionKey, int64) (metastore.PartitionState, error) {
	return metastore.PartitionState{}, nil
}
func (nopMeta) ReplaceIndex(context.Context, metastore.PartitionKey, []metastore.IndexEntry, metastore.IndexEntry) error {
	return nil
}
func (nopMeta) AllocateProducerID(context.Context) (int64, error)               { return 0, nil }
func (nopMeta) DeadObjects(context.Context, int) ([]string, error)              { return nil, nil }
func (nopMeta) ForgetObjects(context.Context, []string) error                   { return nil }
func (nopMeta) KnownObjects(context.Context, []string) (map[string]bool, error) { return nil, nil }
func (nopMeta) Close() error                                                    { return nil }
func (nopMeta) RegisterBroker(context.Context, int32, metastore.BrokerInfo, time.Duration) (metastore.BrokerInfo, error) {
	return metastore.BrokerInfo{}, nil
}
func (nopMeta) Heartbeat(context.Context, int32, string, time.Duration) ([]metastore.BrokerInfo, error) {
	return nil, nil
}
func (nopMeta) DeregisterBroker(context.Context, int32, string) error       { return nil }
func (nopMeta) LiveBrokers(context.Context) ([]metastore.BrokerInfo, error) { return nil, nil }
func (nopMeta) AcquireLease(context.Context, string, string, time.Duration) (bool, error) {
	return false, nil
}
func (nopMeta) ReleaseLease(context.Context, string, string) error     { return nil }
func (nopMeta) Group(context.Context, string) (metastore.Group, error) { return metastore.Group{}, nil }
func (nopMeta) PutGroup(context.Context, metastore.Group, int64) (metastore.Group, error) {
	return metastore.Group{}, nil
}
func (nopMeta) ListGroups(context.Context) ([]metastore.Group, error) { return nil, nil }
func (nopMeta) DeleteGroup(context.Context, string, int64) error      { return nil }
func (nopMeta) CommitOffsets(context.Context, string, int32, []metastore.GroupOffset) error {
	return nil
}
func (nopMeta) FetchOffsets(context.Context, string) ([]metastore.GroupOffset, error) {
	return nil, nil
}
func (nopMeta) DeleteOffsets(context.Context, string, []metastore.TopicPartition) error { return nil }
func (nopMeta) ExpireGroups(context.Context, time.Duration) ([]string, error)           { return nil, nil }
func (nopMeta) KVGet(context.Context, string) (metastore.KVEntry, error) {
	return metastore.KVEntry{}, nil
}
func (nopMeta) KVList(context.Context, string, string, int) ([]metastore.KVEntry, error) {
	return nil, nil
}
func (nopMeta) KVApply(context.Context, []metastore.KVOp) ([]metastore.KVEntry, error) {
	return nil, nil
}

// preparerOnly is a store that prepares keys and does not read into the
// caller's buffer (the local store under a test wrapper).
type preparerOnly struct {
	objstore.Store
	p objstore.Preparer
}

func (s preparerOnly) Prepare(ctx context.Context, key string) error { return s.p.Prepare(ctx, key) }
