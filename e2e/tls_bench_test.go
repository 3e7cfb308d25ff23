package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/tributary-io/tributary/config"
	"github.com/tributary-io/tributary/node"
)

// tlsBenchNodes starts a plaintext and a TLS node (both with SASL, alice
// a SCRAM user on each) and returns their addresses and the client TLS
// option.
func tlsBenchNodes(b *testing.B) (plainAddr, tlsAddr string, tlsOpt kgo.Opt) {
	b.Helper()
	ca := newTestCA(b, "bench-ca")
	chain, key := ca.issue(b, "bench-broker", true)
	dir := b.TempDir()
	var addrs []string
	for _, withTLS := range []bool{false, true} {
		cfg := saslConfig(b, false)
		if withTLS {
			cfg.Kafka.Listeners[0].TLS = &config.ListenerTLS{
				CertChain: config.FileSource(writePEM(b, dir, "s.crt", chain)), PrivateKey: config.FileSource(writePEM(b, dir, "s.key", key))}
		}
		n, err := node.Start(cfg, testLogger(), node.Hooks{})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { n.Close(context.Background()) })
		addrs = append(addrs, n.KafkaAddr())
	}
	tlsOpt = kgo.DialTLSConfig(clientTLS(b, ca, nil, nil))
	for i, addr := range addrs {
		opts := []kgo.Opt{kgo.SeedBrokers(addr), plainOpt("admin", adminPassword)}
		if i == 1 {
			opts = append(opts, tlsOpt)
		}
		cl, err := kgo.NewClient(opts...)
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		res, err := kadm.NewClient(cl).AlterUserSCRAMs(ctx, nil, []kadm.UpsertSCRAM{
			{User: "alice", Mechanism: kadm.ScramSha512, Iterations: 4096, Password: alicePassword}})
		if err == nil {
			err = res.Error()
		}
		if err == nil {
			_, err = kadm.NewClient(cl).CreateTopics(ctx, 1, 1, nil, "bench")
		}
		cancel()
		cl.Close()
		if err != nil {
			b.Fatal(err)
		}
	}
	return addrs[0], addrs[1], tlsOpt
}

// BenchmarkTLS measures, on 127.0.0.1 with franz-go and SCRAM-SHA-512:
// produce throughput (1 MiB per op, 16 records of 64 KiB, acks=all) over
// plaintext and over TLS, and a new connection's cost to its first
// Metadata answer (TLS handshake + SCRAM) against plaintext + SCRAM.
//
//	go test ./e2e -run XXX -bench BenchmarkTLS -benchtime 100x
func BenchmarkTLS(b *testing.B) {
	plainAddr, tlsAddr, tlsOpt := tlsBenchNodes(b)
	value := make([]byte, 64<<10)
	for i := range value {
		value[i] = byte(i * 7)
	}
	for _, c := range []struct {
		name string
		opts []kgo.Opt
	}{
		{"plaintext", []kgo.Opt{kgo.SeedBrokers(plainAddr)}},
		{"tls", []kgo.Opt{kgo.SeedBrokers(tlsAddr), tlsOpt}},
	} {
		auth := scramOpt(kadm.ScramSha512, "alice", alicePassword)
		b.Run("produce/"+c.name, func(b *testing.B) {
			cl, err := kgo.NewClient(append(c.opts, auth, kgo.ProducerBatchMaxBytes(2<<20))...)
			if err != nil {
				b.Fatal(err)
			}
			defer cl.Close()
			ctx := context.Background()
			b.SetBytes(16 * int64(len(value)))
			for b.Loop() {
				rs := make([]*kgo.Record, 16)
				for i := range rs {
					rs[i] = &kgo.Record{Topic: "bench", Value: value}
				}
				if err := cl.ProduceSync(ctx, rs...).FirstErr(); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("connect/"+c.name+"+SCRAM-SHA-512", func(b *testing.B) {
			ctx := context.Background()
			for b.Loop() {
				cl, err := kgo.NewClient(append(c.opts, auth)...)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := kmsg.NewPtrMetadataRequest().RequestWith(ctx, cl); err != nil {
					b.Fatal(err)
				}
				cl.Close()
			}
		})
	}
}

// BenchmarkTLSRatio prints, in one line, produce MB/s over plaintext and
// over TLS (SCRAM-SHA-512 on both; 16 records of 64 KiB per op, acks=all,
// the two interleaved op by op so both see the same machine load), their
// ratio, and a new connection's cost to its first Metadata answer over
// plaintext + SCRAM and over TLS + SCRAM (ms per connection).
//
//	go test ./e2e -run XXX -bench BenchmarkTLSRatio -benchtime 60x
func BenchmarkTLSRatio(b *testing.B) {
	plainAddr, tlsAddr, tlsOpt := tlsBenchNodes(b)
	auth := scramOpt(kadm.ScramSha512, "alice", alicePassword)
	value := make([]byte, 64<<10)
	for i := range value {
		value[i] = byte(i * 7)
	}
	ctx := context.Background()
	clients := map[string][]kgo.Opt{"plain": {kgo.SeedBrokers(plainAddr)}, "tls": {kgo.SeedBrokers(tlsAddr), tlsOpt}}
	produce, connect := map[string]time.Duration{}, map[string]time.Duration{}
	producers := map[string]*kgo.Client{}
	for name, opts := range clients {
		cl, err := kgo.NewClient(append(opts, auth, kgo.ProducerBatchMaxBytes(2<<20))...)
		if err != nil {
			b.Fatal(err)
		}
		defer cl.Close()
		producers[name] = cl
	}
	opBytes := 16 * len(value)
	for b.Loop() {
		for _, name := range []string{"plain", "tls"} {
			rs := make([]*kgo.Record, 16)
			for i := range rs {
				rs[i] = &kgo.Record{Topic: "bench", Value: value}
			}
			start := time.Now()
			if err := producers[name].ProduceSync(ctx, rs...).FirstErr(); err != nil {
				b.Fatal(err)
			}
			produce[name] += time.Since(start)
			start = time.Now()
			cl, err := kgo.NewClient(append(clients[name], auth)...)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := kmsg.NewPtrMetadataRequest().RequestWith(ctx, cl); err != nil {
				b.Fatal(err)
			}
			connect[name] += time.Since(start)
			cl.Close()
		}
	}
	mbps := func(name string) float64 { return float64(b.N*opBytes) / 1e6 / produce[name].Seconds() }
	ms := func(name string) float64 { return connect[name].Seconds() * 1e3 / float64(b.N) }
	b.ReportMetric(mbps("plain"), "plain-MB/s")
	b.ReportMetric(mbps("tls"), "tls-MB/s")
	b.ReportMetric(mbps("tls")/mbps("plain"), "tls/plain")
	b.ReportMetric(ms("plain"), "plain+scram-ms/conn")
	b.ReportMetric(ms("tls"), "tls+scram-ms/conn")
}
