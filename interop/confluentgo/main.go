// Command confluentgo produces and consumes Protobuf records with
// confluent-kafka-go's schemaregistry/serde/protobuf Serializer and
// Deserializer, every setting at its default (auto-registration, the
// topic name strategy, a referenced file registered under its import
// path), through confluent-kafka-go's own librdkafka Producer and
// Consumer, against a Tributary node and its built-in schema registry.
//
// Usage: confluentgo BOOTSTRAP REGISTRY_URL TOPIC_PREFIX COUNT
//
// It produces COUNT test.order.Order records (message index [1]) to
// PREFIX-orders and COUNT test.order.Order.Line records (index [1, 0]) to
// PREFIX-lines, consumes both topics from the start, deserializes every
// record and compares it with what was produced (proto.Equal). Message
// types are built at run time from .proto text (protocompile, dynamicpb),
// so no protoc is needed. It exits 1 with a message naming the first
// problems on any error, mismatch or missing record, and prints one
// summary line on success.
//
// This is its own Go module so that the cgo kafka package (a bundled
// static librdkafka) stays out of Tributary's go.mod.
package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/bufbuild/protocompile"
	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry"
	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry/serde"
	"github.com/confluentinc/confluent-kafka-go/v2/schemaregistry/serde/protobuf"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/dynamicpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// The schemas: a reference to another file (its own subject), an import
// of a well-known type, nested messages and an enum, and a first message
// so that Order's message index is [1] and Line's [1, 0]. The same as
// e2e's confluent-kafka-python check.
const (
	commonPath  = "test/common.proto"
	commonProto = `syntax = "proto3";
package test.common;

message Money {
  string currency = 1;
  int64 units = 2;
}
`
	orderPath  = "test/order.proto"
	orderProto = `syntax = "proto3";
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

// types are the dynamic message types of the schemas.
type types struct {
	order, line, money protoreflect.MessageType
}

func main() {
	if len(os.Args) != 5 {
		fmt.Fprintln(os.Stderr, "usage: confluentgo BOOTSTRAP REGISTRY_URL TOPIC_PREFIX COUNT")
		os.Exit(2)
	}
	count, err := strconv.Atoi(os.Args[4])
	if err != nil || count <= 0 {
		fmt.Fprintf(os.Stderr, "confluentgo: count %q: want a positive integer\n", os.Args[4])
		os.Exit(2)
	}
	summary, err := run(os.Args[1], os.Args[2], os.Args[3], count)
	if err != nil {
		fmt.Fprintf(os.Stderr, "confluentgo: FAIL: %v\n", err)
		os.Exit(1)
	}
	fmt.Println(summary)
}

// cases are the two topics and how their i-th record is made.
type testCase struct {
	topic string
	make  func(i int) proto.Message
}

func run(bootstrap, registryURL, prefix string, count int) (string, error) {
	ts, err := compileTypes()
	if err != nil {
		return "", err
	}
	client, err := schemaregistry.NewClient(schemaregistry.NewConfig(registryURL))
	if err != nil {
		return "", fmt.Errorf("schema registry client: %w", err)
	}
	cases := []testCase{
		{prefix + "-orders", func(i int) proto.Message { return ts.makeOrder(i) }},
		{prefix + "-lines", func(i int) proto.Message { return ts.makeLine(i, "solo", "USD", int64(-i)) }},
	}
	if err := produce(bootstrap, client, cases, count); err != nil {
		return "", err
	}
	consumed := 0
	for _, c := range cases {
		n, err := consumeAndCompare(bootstrap, client, ts, c, count)
		if err != nil {
			return "", err
		}
		consumed += n
	}
	return fmt.Sprintf("confluentgo: OK: produced %d, consumed and deserialized %d equal records on %s and %s",
		2*count, consumed, cases[0].topic, cases[1].topic), nil
}

// compileTypes compiles the schemas from text and builds their message
// types on google.golang.org/protobuf's own timestamp.proto.
func compileTypes() (*types, error) {
	c := protocompile.Compiler{Resolver: protocompile.WithStandardImports(&protocompile.SourceResolver{
		Accessor: protocompile.SourceAccessorFromMap(map[string]string{commonPath: commonProto, orderPath: orderProto}),
	})}
	compiled, err := c.Compile(context.Background(), commonPath, orderPath)
	if err != nil {
		return nil, fmt.Errorf("compiling the schemas: %w", err)
	}
	files := new(protoregistry.Files)
	if err := files.RegisterFile(timestamppb.File_google_protobuf_timestamp_proto); err != nil {
		return nil, fmt.Errorf("registering timestamp.proto: %w", err)
	}
	for _, f := range compiled {
		fd, err := protodesc.NewFile(protodesc.ToFileDescriptorProto(f), files)
		if err != nil {
			return nil, fmt.Errorf("building %s: %w", f.Path(), err)
		}
		if err := files.RegisterFile(fd); err != nil {
			return nil, fmt.Errorf("registering %s: %w", f.Path(), err)
		}
	}
	ts := &types{}
	for name, dst := range map[string]*protoreflect.MessageType{
		"test.order.Order": &ts.order, "test.order.Order.Line": &ts.line, "test.common.Money": &ts.money,
	} {
		d, err := files.FindDescriptorByName(protoreflect.FullName(name))
		if err != nil {
			return nil, fmt.Errorf("finding %s: %w", name, err)
		}
		*dst = dynamicpb.NewMessageType(d.(protoreflect.MessageDescriptor))
	}
	return ts, nil
}

// set sets the named fields of m; values are Go values protoreflect.ValueOf takes.
func set(m protoreflect.Message, fields map[string]any) protoreflect.Message {
	for name, v := range fields {
		fd := m.Descriptor().Fields().ByName(protoreflect.Name(name))
		if fd == nil {
			panic("no field " + name + " in " + string(m.Descriptor().FullName()))
		}
		m.Set(fd, protoreflect.ValueOf(v))
	}
	return m
}

func (ts *types) makeMoney(currency string, units int64) protoreflect.Message {
	return set(ts.money.New(), map[string]any{"currency": currency, "units": units})
}

func (ts *types) makeLine(i int, prefix, currency string, units int64) proto.Message {
	return set(ts.line.New(), map[string]any{
		"sku":      fmt.Sprintf("%s-%d", prefix, i),
		"quantity": int32(i),
		"price":    ts.makeMoney(currency, units),
	}).Interface()
}

func (ts *types) makeOrder(i int) proto.Message {
	placed := timestamppb.New(time.Unix(1_700_000_000+int64(i), int64(i)*1000))
	m := set(ts.order.New(), map[string]any{
		"id":     fmt.Sprintf("order-%d", i),
		"status": protoreflect.EnumNumber(i % 2),
		"total":  ts.makeMoney("EUR", int64(100*i+7)),
	})
	fill(m, "placed_at", placed)
	lines := m.Mutable(m.Descriptor().Fields().ByName("lines")).List()
	for j := range i%3 + 1 {
		l := ts.makeLine(j+1, fmt.Sprintf("sku-%d", i), "EUR", int64(j*10))
		lines.Append(protoreflect.ValueOfMessage(l.ProtoReflect()))
	}
	return m.Interface()
}

// fill sets message field name of m to a copy of v made through the wire,
// so that it is a message of the field's own (dynamic) type.
func fill(m protoreflect.Message, name string, v proto.Message) {
	fd := m.Descriptor().Fields().ByName(protoreflect.Name(name))
	dst := m.NewField(fd).Message()
	b, err := proto.Marshal(v)
	if err != nil {
		panic(err)
	}
	if err := (proto.UnmarshalOptions{}).Unmarshal(b, dst.Interface()); err != nil {
		panic(err)
	}
	m.Set(fd, protoreflect.ValueOfMessage(dst))
}

// produce serializes count records per case with a default Serializer and
// produces them with a librdkafka Producer, waiting for every delivery.
func produce(bootstrap string, client schemaregistry.Client, cases []testCase, count int) error {
	p, err := kafka.NewProducer(&kafka.ConfigMap{"bootstrap.servers": bootstrap, "acks": "all"})
	if err != nil {
		return fmt.Errorf("new producer: %w", err)
	}
	defer p.Close()
	deliveries := make(chan kafka.Event, 2*count)
	for _, c := range cases {
		ser, err := protobuf.NewSerializer(client, serde.ValueSerde, protobuf.NewSerializerConfig())
		if err != nil {
			return fmt.Errorf("new serializer: %w", err)
		}
		for i := range count {
			value, err := ser.Serialize(c.topic, c.make(i))
			if err != nil {
				return fmt.Errorf("serializing %s #%d: %w", c.topic, i, err)
			}
			topic := c.topic
			msg := &kafka.Message{TopicPartition: kafka.TopicPartition{Topic: &topic, Partition: kafka.PartitionAny},
				Key: []byte(strconv.Itoa(i)), Value: value}
			if err := p.Produce(msg, deliveries); err != nil {
				return fmt.Errorf("producing %s #%d: %w", c.topic, i, err)
			}
		}
	}
	timeout := time.After(60 * time.Second)
	for n := 0; n < 2*count; n++ {
		select {
		case e := <-deliveries:
			m, ok := e.(*kafka.Message)
			if !ok {
				return fmt.Errorf("delivery event %v", e)
			}
			if m.TopicPartition.Error != nil {
				return fmt.Errorf("delivering %s key %s: %w", *m.TopicPartition.Topic, m.Key, m.TopicPartition.Error)
			}
		case <-timeout:
			return fmt.Errorf("%d of %d deliveries reported after 60s", n, 2*count)
		}
	}
	return nil
}

// consumeAndCompare reads c's topic from the start with a librdkafka
// Consumer, deserializes every record with a default Deserializer, and
// compares record i (its key) with c.make(i).
func consumeAndCompare(bootstrap string, client schemaregistry.Client, ts *types, c testCase, count int) (int, error) {
	de, err := protobuf.NewDeserializer(client, serde.ValueSerde, protobuf.NewDeserializerConfig())
	if err != nil {
		return 0, fmt.Errorf("new deserializer: %w", err)
	}
	for _, mt := range []protoreflect.MessageType{ts.order, ts.line, ts.money} {
		if err := de.ProtoRegistry.RegisterMessage(mt); err != nil {
			return 0, fmt.Errorf("registering %s: %w", mt.Descriptor().FullName(), err)
		}
	}
	cons, err := kafka.NewConsumer(&kafka.ConfigMap{
		"bootstrap.servers":  bootstrap,
		"group.id":           c.topic + "-check",
		"auto.offset.reset":  "earliest",
		"enable.auto.commit": false,
	})
	if err != nil {
		return 0, fmt.Errorf("new consumer: %w", err)
	}
	defer cons.Close()
	if err := cons.SubscribeTopics([]string{c.topic}, nil); err != nil {
		return 0, fmt.Errorf("subscribing to %s: %w", c.topic, err)
	}
	got := map[int]proto.Message{}
	deadline := time.Now().Add(60 * time.Second)
	for len(got) < count && time.Now().Before(deadline) {
		m, err := cons.ReadMessage(500 * time.Millisecond)
		if err != nil {
			if kerr, ok := err.(kafka.Error); ok && kerr.IsTimeout() {
				continue
			}
			return 0, fmt.Errorf("consuming %s: %w", c.topic, err)
		}
		i, err := strconv.Atoi(string(m.Key))
		if err != nil {
			return 0, fmt.Errorf("%s: record key %q: %w", c.topic, m.Key, err)
		}
		v, err := de.Deserialize(c.topic, m.Value)
		if err != nil {
			return 0, fmt.Errorf("deserializing %s #%d: %w", c.topic, i, err)
		}
		pm, ok := v.(proto.Message)
		if !ok {
			return 0, fmt.Errorf("deserializing %s #%d: got %T, not a proto.Message", c.topic, i, v)
		}
		got[i] = pm
	}
	var problems []string
	for i := range count {
		want := c.make(i)
		switch g, ok := got[i]; {
		case !ok:
			problems = append(problems, fmt.Sprintf("%s #%d: missing", c.topic, i))
		case !proto.Equal(g, want):
			problems = append(problems, fmt.Sprintf("%s #%d: got %v, want %v", c.topic, i, g, want))
		}
	}
	if len(problems) > 0 {
		if len(problems) > 5 {
			problems = append(problems[:5], fmt.Sprintf("and %d more", len(problems)-5))
		}
		return 0, fmt.Errorf("%d of %d records of %s wrong or missing: %v", len(problems), count, c.topic, problems)
	}
	return len(got), nil
}
