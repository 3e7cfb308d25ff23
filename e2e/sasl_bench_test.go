package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/tributary-io/tributary/node"
)

// BenchmarkConnectAuth measures one new connection's cost up to its first
// answered request (ApiVersions, SASL, Metadata), by mechanism (OAUTHBEARER:
// an RS256 JWT checked against a JWKS file), with
// franz-go on 127.0.0.1: the handshake cost per connection. SCRAM
// credentials use Kafka's minimum of 4096 iterations; the client's PBKDF2
// is most of it.
//
//	go test ./e2e -run XXX -bench BenchmarkConnectAuth -benchtime 200x
func BenchmarkConnectAuth(b *testing.B) {
	idp := newTestIdP(b, "k1")
	cfg := oauthConfig(b, idp, false)
	n, err := node.Start(cfg, testLogger(), node.Hooks{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { n.Close(context.Background()) })
	addr := n.KafkaAddr()
	admin, err := kgo.NewClient(kgo.SeedBrokers(addr), plainOpt("admin", adminPassword))
	if err != nil {
		b.Fatal(err)
	}
	defer admin.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := kadm.NewClient(admin).AlterUserSCRAMs(ctx, nil, []kadm.UpsertSCRAM{
		{User: "alice", Mechanism: kadm.ScramSha256, Iterations: 4096, Password: alicePassword},
		{User: "alice", Mechanism: kadm.ScramSha512, Iterations: 4096, Password: alicePassword},
	})
	if err != nil || res.Error() != nil {
		b.Fatal(err, res.Error())
	}
	plainCfg := saslConfig(b, false)
	plainCfg.Kafka.Listeners[0].Authentication = nil
	open, err := node.Start(plainCfg, testLogger(), node.Hooks{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { open.Close(context.Background()) })
	for _, c := range []struct {
		name string
		opt  kgo.Opt
	}{
		{"none", kgo.SeedBrokers(open.KafkaAddr())},
		{"PLAIN", plainOpt("admin", adminPassword)},
		{"SCRAM-SHA-256", scramOpt(kadm.ScramSha256, "alice", alicePassword)},
		{"SCRAM-SHA-512", scramOpt(kadm.ScramSha512, "alice", alicePassword)},
		{"OAUTHBEARER", oauthOpt(idp.token(b, "alice", testAudience, testIssuer, time.Hour))},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				cl, err := kgo.NewClient(kgo.SeedBrokers(addr), c.opt) // "none": the later SeedBrokers wins
				if err != nil {
					b.Fatal(err)
				}
				req := kmsg.NewPtrMetadataRequest()
				if _, err := req.RequestWith(ctx, cl); err != nil {
					b.Fatal(err)
				}
				cl.Close()
			}
		})
	}
}
