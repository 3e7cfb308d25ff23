package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/tributary-io/tributary/node"
)

// TestSaramaClient: IBM's sarama, at the Kafka versions it negotiates (older,
// non-flexible request versions than franz-go's), creates a topic, produces
// idempotently with acks=all and each codec, and reads every partition back
// with the same offsets the producer was told.
func TestSaramaClient(t *testing.T) {
	n := startNode(t, testConfig(t, t.TempDir()), node.Hooks{})
	// An old protocol level (2.1: Produce v7, Fetch v10, no flexible
	// versions), sarama's default, and a current one.
	for _, v := range []sarama.KafkaVersion{sarama.V2_1_0_0, sarama.DefaultVersion, sarama.V3_6_0_0} {
		t.Run(v.String(), func(t *testing.T) { saramaRoundTrip(t, n.KafkaAddr(), v, "sarama-"+v.String()) })
	}
}

func saramaRoundTrip(t *testing.T, addr string, version sarama.KafkaVersion, topic string) {
	cfg := sarama.NewConfig()
	cfg.Version = version
	cfg.ClientID = "tributary-e2e"
	cfg.Producer.Return.Successes = true
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	cfg.Producer.Idempotent = true
	cfg.Net.MaxOpenRequests = 1
	cfg.Producer.Retry.Max = 5
	cfg.Metadata.AllowAutoTopicCreation = false

	adm, err := sarama.NewClusterAdmin([]string{addr}, cfg)
	if err != nil {
		t.Fatalf("cluster admin: %v", err)
	}
	defer adm.Close()
	if err := adm.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: 3, ReplicationFactor: 1}, false); err != nil {
		t.Fatalf("create topic: %v", err)
	}

	type pos struct {
		partition int32
		offset    int64
	}
	sent := map[string]pos{}
	codecs := []sarama.CompressionCodec{sarama.CompressionNone, sarama.CompressionGZIP, sarama.CompressionSnappy, sarama.CompressionLZ4, sarama.CompressionZSTD}
	for _, codec := range codecs {
		cfg.Producer.Compression = codec
		prod, err := sarama.NewSyncProducer([]string{addr}, cfg)
		if err != nil {
			t.Fatalf("producer (%v): %v", codec, err)
		}
		msgs := make([]*sarama.ProducerMessage, 100)
		for i := range msgs {
			v := fmt.Sprintf("%v-%d", codec, i)
			msgs[i] = &sarama.ProducerMessage{Topic: topic, Key: sarama.StringEncoder(fmt.Sprintf("k%d", i%7)), Value: sarama.StringEncoder(v)}
		}
		if err := prod.SendMessages(msgs); err != nil {
			t.Fatalf("send with %v: %v", codec, err)
		}
		for _, m := range msgs {
			sent[string(m.Value.(sarama.StringEncoder))] = pos{m.Partition, m.Offset}
		}
		prod.Close()
	}

	cons, err := sarama.NewConsumer([]string{addr}, cfg)
	if err != nil {
		t.Fatalf("consumer: %v", err)
	}
	defer cons.Close()
	got := 0
	for p := int32(0); p < 3; p++ {
		pc, err := cons.ConsumePartition(topic, p, sarama.OffsetOldest)
		if err != nil {
			t.Fatalf("consume partition %d: %v", p, err)
		}
		hw := pc.HighWaterMarkOffset()
		for next := int64(0); next < hw; next++ {
			select {
			case m := <-pc.Messages():
				want, ok := sent[string(m.Value)]
				if !ok || want != (pos{m.Partition, m.Offset}) || m.Offset != next {
					t.Fatalf("partition %d: %q at offset %d (expected offset %d; producer was told %+v)", p, m.Value, m.Offset, next, want)
				}
				got++
			case err := <-pc.Errors():
				t.Fatalf("partition %d: %v", p, err)
			case <-time.After(10 * time.Second):
				t.Fatalf("partition %d: stuck at offset %d of %d", p, next, hw)
			}
		}
		pc.Close()
	}
	if got != len(sent) {
		t.Fatalf("read %d records, produced %d", got, len(sent))
	}
}
