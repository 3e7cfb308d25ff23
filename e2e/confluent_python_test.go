package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/tributary-io/tributary/internal/testpy"
	"github.com/tributary-io/tributary/node"
	"github.com/tributary-io/tributary/schema/protobuf"
	"github.com/tributary-io/tributary/schema/wire"
)

// confluentKafkaVersion is the confluent-kafka (Python) the check installs.
const confluentKafkaVersion = "2.16.1"

// confluentPython returns the python of a virtualenv with confluent-kafka
// and its schema-registry and Protobuf extras, made under the user cache
// dir and kept between runs. It skips the test when python3 or PyPI is
// unreachable.
func confluentPython(t *testing.T) string {
	t.Helper()
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = t.TempDir()
	}
	return testpy.Venv(t, "confluent-kafka", filepath.Join(cache, "tributary", "confluent-kafka-"+confluentKafkaVersion),
		"import confluent_kafka, google.protobuf, httpx, authlib, cachetools; assert confluent_kafka.__version__ == '"+confluentKafkaVersion+"'",
		"confluent-kafka[schemaregistry,protobuf]=="+confluentKafkaVersion)
}

// Schemas of the check: a reference to another file (its own subject),
// an import of a well-known type, nested messages and an enum, and a
// first message so that Order's message index is [1] and Line's [1, 0].
const (
	serdeCommonProto = `syntax = "proto3";
package test.common;

message Money {
  string currency = 1;
  int64 units = 2;
}
`
	serdeOrderProto = `syntax = "proto3";
package test.order;

import "test/common.proto";
import "google/protobuf/timestamp.proto";

message Header { string trace_id = 1; }

message Order {
  enum Status { STATUS_NEW = 0; STATUS_PAID = 1; }
  message Line {
    string sku = 1;
    int32 quantity = 2;
    test.common.Money price = 3;
  }
  string id = 1;
  Status status = 2;
  test.common.Money total = 3;
  google.protobuf.Timestamp placed_at = 4;
  repeated Line lines = 5;
}
`
)

// serdeDescriptors writes the two files as protoc embeds them in
// generated code (no source info, no default json_name), dependencies
// first, as a FileDescriptorSet.
func serdeDescriptors(t *testing.T) string {
	t.Helper()
	imports := map[string]string{"test/common.proto": serdeCommonProto}
	var set descriptorpb.FileDescriptorSet
	for _, f := range []struct{ path, src string }{{"test/common.proto", serdeCommonProto}, {"test/order.proto", serdeOrderProto}} {
		fd, err := protobuf.Compile(context.Background(), f.path, f.src, protobuf.MapImports(imports))
		if err != nil {
			t.Fatal(err)
		}
		fdp := protodesc.ToFileDescriptorProto(fd)
		fdp.SourceCodeInfo = nil
		var clear func([]*descriptorpb.DescriptorProto)
		clear = func(ms []*descriptorpb.DescriptorProto) {
			for _, m := range ms {
				for _, fl := range m.Field {
					fl.JsonName = nil
				}
				clear(m.NestedType)
			}
		}
		clear(fdp.MessageType)
		set.File = append(set.File, fdp)
	}
	b, err := proto.Marshal(&set)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "schemas.binpb")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// Regression (issue 9): confluent-kafka-python's ProtobufSerializer, with
// its defaults, failed on the first record against the built-in registry
// ("schema.proto:1:1: syntax error"): it registers schemas as base64
// FileDescriptorProtos. Now it registers test/common.proto as its own
// subject and the order file with a reference to it, produces Orders
// (index [1]) and nested Lines (index [1, 0]), and ProtobufDeserializer,
// reading the writer schemas with ?format=serialized, gets every record
// back equal.
func TestConfluentPythonProtobufSerde(t *testing.T) {
	python := confluentPython(t)
	fds := serdeDescriptors(t)
	n := startNode(t, testConfig(t, t.TempDir()), node.Hooks{})
	const count = 25
	cmd := exec.CommandContext(ctxTimeout(t, 3*time.Minute), python, filepath.Join("testdata", "confluent_protobuf.py"),
		n.KafkaAddr(), "http://"+n.RegistryAddr(), "serde", strconv.Itoa(count), fds)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("confluent_protobuf.py: %v\n%s", err, stderr.String())
	}
	var got struct {
		Produced       int            `json:"produced"`
		DeliveryErrors []string       `json:"delivery_errors"`
		Consumed       map[string]int `json:"consumed"`
		Mismatches     []string       `json:"mismatches"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("output %q: %v", out, err)
	}
	if got.Produced != 2*count || len(got.DeliveryErrors) != 0 || len(got.Mismatches) != 0 ||
		got.Consumed["serde-orders"] != count || got.Consumed["serde-lines"] != count {
		t.Fatalf("python check: %+v", got)
	}
	checkSerdeRegistry(t, n.RegistryAddr(), "serde")
	checkSerdeFrames(t, n.KafkaAddr(), "serde")
}

// checkSerdeRegistry: the serializer registered the referenced file under
// its import path, both topics' subjects (prefix-orders-value and
// prefix-lines-value) name one schema id, stored as .proto text with the
// reference, and the same schema sent as this test's text gets that id.
func checkSerdeRegistry(t *testing.T, registryAddr, prefix string) {
	t.Helper()
	cl, err := sr.NewClient(sr.URLs("http://" + registryAddr))
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxTimeout(t, 10*time.Second)
	subjects, err := cl.Subjects(ctx)
	if err != nil || !slices.Equal(subjects, []string{prefix + "-lines-value", prefix + "-orders-value", "test/common.proto"}) {
		t.Fatalf("subjects %v %v", subjects, err)
	}
	orders, err := cl.SchemaByVersion(ctx, prefix+"-orders-value", -1)
	if err != nil {
		t.Fatal(err)
	}
	lines, err := cl.SchemaByVersion(ctx, prefix+"-lines-value", -1)
	if err != nil || lines.ID != orders.ID {
		t.Fatalf("lines %+v %v, orders id %d", lines, err, orders.ID)
	}
	wantRef := sr.SchemaReference{Name: "test/common.proto", Subject: "test/common.proto", Version: 1}
	if !strings.Contains(orders.Schema.Schema, `import "test/common.proto";`) || !slices.Equal(orders.Schema.References, []sr.SchemaReference{wantRef}) {
		t.Fatalf("stored schema %q, references %v", orders.Schema.Schema, orders.Schema.References)
	}
	text, err := cl.RegisterSchema(ctx, "text-form", sr.Schema{Schema: serdeOrderProto, Type: sr.TypeProtobuf, References: []sr.SchemaReference{wantRef}}, -1, -1)
	if err != nil || text != orders.ID {
		t.Fatalf("the text form: id %d %v, want %d", text, err, orders.ID)
	}
}

// checkSerdeFrames reads the records of prefix-orders and prefix-lines
// raw: Confluent's framing with the schema id and message indexes [1]
// (Order) and [1, 0] (Order.Line).
func checkSerdeFrames(t *testing.T, kafkaAddr, prefix string) {
	t.Helper()
	for topic, want := range map[string][]int{prefix + "-orders": {1}, prefix + "-lines": {1, 0}} {
		cl := newClient(t, kafkaAddr, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
		fs := cl.PollRecords(ctxTimeout(t, 20*time.Second), 1)
		if errs := fs.Errors(); len(errs) > 0 || fs.NumRecords() == 0 {
			t.Fatalf("%s: %v", topic, errs)
		}
		f, err := wire.Parse(fs.Records()[0].Value)
		if err != nil || !slices.Equal(f.Indexes, want) || f.ID == 0 {
			t.Fatalf("%s: frame %+v %v, want indexes %v", topic, f, err, want)
		}
	}
}
