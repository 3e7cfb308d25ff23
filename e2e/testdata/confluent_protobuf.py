"""Produce and consume Protobuf records with confluent-kafka-python's
ProtobufSerializer and ProtobufDeserializer, every setting at its default
(auto.register.schemas, use.deprecated.format, the reference subject name
strategy), against a Tributary node and its built-in schema registry.

argv: bootstrap servers, registry URL, topic prefix, record count, and the
path of a serialized FileDescriptorSet (dependencies first) holding
test/common.proto and test/order.proto. The message classes are built at
run time from those descriptors (no protoc). Prints one JSON object:
what was produced and consumed, and which records differ.
"""
import json
import sys

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf import timestamp_pb2  # noqa: F401 (puts timestamp.proto in the default pool)

from confluent_kafka import Consumer, Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

bootstrap, registry_url, prefix, count, fds_path = sys.argv[1:6]
count = int(count)

fds = descriptor_pb2.FileDescriptorSet()
with open(fds_path, "rb") as f:
    fds.ParseFromString(f.read())
pool = descriptor_pool.Default()
for fdp in fds.file:
    pool.Add(fdp)
Order = message_factory.GetMessageClass(pool.FindMessageTypeByName("test.order.Order"))
Line = message_factory.GetMessageClass(pool.FindMessageTypeByName("test.order.Order.Line"))


def order(i):
    m = Order(id="order-%d" % i, status="STATUS_PAID" if i % 2 else "STATUS_NEW")
    m.total.currency = "EUR"
    m.total.units = 100 * i + 7
    m.placed_at.seconds = 1_700_000_000 + i
    m.placed_at.nanos = i * 1000
    for j in range(i % 3 + 1):
        line = m.lines.add(sku="sku-%d-%d" % (i, j), quantity=j + 1)
        line.price.currency = "EUR"
        line.price.units = j * 10
    return m


def line(i):
    m = Line(sku="solo-%d" % i, quantity=i)
    m.price.currency = "USD"
    m.price.units = -i
    return m


sr = SchemaRegistryClient({"url": registry_url})
cases = [(prefix + "-orders", Order, order), (prefix + "-lines", Line, line)]
producer = Producer({"bootstrap.servers": bootstrap, "acks": "all"})
errors = []


def delivered(err, msg):
    if err is not None:
        errors.append(str(err))


for topic, cls, make in cases:
    ser = ProtobufSerializer(cls, sr)
    for i in range(count):
        value = ser(make(i), SerializationContext(topic, MessageField.VALUE))
        producer.produce(topic, key=str(i).encode(), value=value, on_delivery=delivered)
producer.flush(30)

out = {"produced": 2 * count, "delivery_errors": errors, "consumed": {}, "mismatches": []}
for topic, cls, make in cases:
    de = ProtobufDeserializer(cls, None, sr)
    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": prefix + "-check-" + topic,
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
    })
    consumer.subscribe([topic])
    got = {}
    polls = 0
    while len(got) < count and polls < 120:
        polls += 1
        msg = consumer.poll(0.5)
        if msg is None or msg.error() is not None:
            continue
        got[int(msg.key())] = de(msg.value(), SerializationContext(topic, MessageField.VALUE))
    consumer.close()
    out["consumed"][topic] = len(got)
    for i in range(count):
        if got.get(i) != make(i):
            out["mismatches"].append("%s #%d: got %r" % (topic, i, got.get(i)))
print(json.dumps(out))
