package e2e

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/tributary-io/tributary/config"
	"github.com/tributary-io/tributary/node"
)

const (
	adminPassword = "admin-secret-pw"
	alicePassword = "alice-secret-pw"
)

// saslConfig is a node whose listener takes PLAIN (user admin) and SCRAM,
// with ACLs on when authorize is set (admin a super user).
func saslConfig(t testing.TB, authorize bool) config.Config {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Kafka.Listeners[0].ListenAddress, cfg.Kafka.Listeners[0].AdvertiseAddress = "127.0.0.1:0", ""
	cfg.Admin.ListenAddress, cfg.Registry.ListenAddress, cfg.Catalog.ListenAddress = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	t.Setenv("TRIB_E2E_ADMIN_PASSWORD", adminPassword)
	cfg.Kafka.Listeners[0].Authentication = &config.Authentication{SASL: &config.SASL{
		Plain: &config.SASLPlain{Credentials: []config.PlainCredential{
			{Username: "admin", Password: config.EnvSource("TRIB_E2E_ADMIN_PASSWORD")},
			{Username: "plainbob", Password: config.InlineSource("bob-secret-pw")},
		}},
		Scram: &config.SASLScram{},
	}}
	if authorize {
		cfg.Kafka.Authorization = &config.Authorization{SuperUsers: []string{"User:admin"}}
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// authClient is a franz-go client that authenticates with opt and lets
// the broker create the topics it produces to.
func authClient(t *testing.T, addr string, opt kgo.Opt, more ...kgo.Opt) *kgo.Client {
	t.Helper()
	return newClient(t, addr, append([]kgo.Opt{opt, kgo.AllowAutoTopicCreation()}, more...)...)
}

func plainOpt(user, pass string) kgo.Opt {
	return kgo.SASL(plain.Auth{User: user, Pass: pass}.AsMechanism())
}

func scramOpt(m kadm.ScramMechanism, user, pass string) kgo.Opt {
	a := scram.Auth{User: user, Pass: pass}
	var mech sasl.Mechanism = a.AsSha256Mechanism()
	if m == kadm.ScramSha512 {
		mech = a.AsSha512Mechanism()
	}
	return kgo.SASL(mech)
}

// addScramUser sets a user's SCRAM password through AlterUserScramCredentials.
func addScramUser(t *testing.T, adm *kadm.Client, user, pass string, ms ...kadm.ScramMechanism) {
	t.Helper()
	var ups []kadm.UpsertSCRAM
	for _, m := range ms {
		ups = append(ups, kadm.UpsertSCRAM{User: user, Mechanism: m, Iterations: 4096, Password: pass})
	}
	res, err := adm.AlterUserSCRAMs(ctxTimeout(t, 10*time.Second), nil, ups)
	if err == nil {
		err = res.Error()
	}
	if err != nil {
		t.Fatalf("alter scram %s: %v", user, err)
	}
}

// roundTripRecords produces n records to topic and reads them back.
func roundTripRecords(t *testing.T, cl *kgo.Client, topic string, n int) {
	t.Helper()
	ctx := ctxTimeout(t, 30*time.Second)
	for i := range n {
		if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: []byte{byte('a' + i)}}).FirstErr(); err != nil {
			t.Fatalf("produce to %s: %v", topic, err)
		}
	}
	cl.AddConsumeTopics(topic)
	got := 0
	for got < n {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("consumed %d of %d from %s: %v", got, n, topic, err)
		}
		fs.EachError(func(_ string, _ int32, err error) { t.Fatalf("fetch %s: %v", topic, err) })
		got += fs.NumRecords()
	}
}

// TestSASLMechanismsFranz: franz-go authenticates with PLAIN (a configured
// user) and with SCRAM-SHA-256 and SCRAM-SHA-512 (a user whose credentials
// the PLAIN admin created through AlterUserScramCredentials), produces and
// consumes; DescribeUserScramCredentials lists the user's mechanisms; a
// wrong password and an unknown user get SASL_AUTHENTICATION_FAILED; a
// client without SASL is disconnected at its first request.
func TestSASLMechanismsFranz(t *testing.T) {
	n := startNode(t, saslConfig(t, false), node.Hooks{})
	addr := n.KafkaAddr()
	adm := kadm.NewClient(authClient(t, addr, plainOpt("admin", adminPassword)))
	addScramUser(t, adm, "alice", alicePassword, kadm.ScramSha256, kadm.ScramSha512)
	desc, err := adm.DescribeUserSCRAMs(ctxTimeout(t, 10*time.Second), "alice")
	if err != nil || desc["alice"].Err != nil || len(desc["alice"].CredInfos) != 2 {
		t.Fatalf("describe alice: %+v, %v", desc, err)
	}
	roundTripRecords(t, authClient(t, addr, plainOpt("admin", adminPassword)), "sasl-plain", 3)
	roundTripRecords(t, authClient(t, addr, scramOpt(kadm.ScramSha256, "alice", alicePassword)), "sasl-scram256", 3)
	roundTripRecords(t, authClient(t, addr, scramOpt(kadm.ScramSha512, "alice", alicePassword)), "sasl-scram512", 3)

	for name, opt := range map[string]kgo.Opt{
		"plain wrong password":    plainOpt("admin", "nope"),
		"plain unknown user":      plainOpt("mallory", adminPassword),
		"scram256 wrong password": scramOpt(kadm.ScramSha256, "alice", "nope"),
		"scram512 wrong password": scramOpt(kadm.ScramSha512, "alice", "nope"),
		"scram unknown user":      scramOpt(kadm.ScramSha512, "mallory", alicePassword),
	} {
		cl := newClient(t, addr, opt, kgo.RequestRetries(0))
		err := cl.Ping(ctxTimeout(t, 10*time.Second))
		if !errors.Is(err, kerr.SaslAuthenticationFailed) {
			t.Errorf("%s: ping %v, want SASL_AUTHENTICATION_FAILED", name, err)
		}
		if err != nil && strings.Contains(err.Error(), adminPassword) {
			t.Errorf("%s: error shows the password: %v", name, err)
		}
	}

	// Deleting a mechanism's credential turns that mechanism away only.
	res, err := adm.AlterUserSCRAMs(ctxTimeout(t, 10*time.Second), []kadm.DeleteSCRAM{{User: "alice", Mechanism: kadm.ScramSha256}}, nil)
	if err != nil || res.Error() != nil {
		t.Fatalf("delete alice's SCRAM-SHA-256: %v %v", err, res.Error())
	}
	if err := authClient(t, addr, scramOpt(kadm.ScramSha256, "alice", alicePassword), kgo.RequestRetries(0)).Ping(ctxTimeout(t, 10*time.Second)); !errors.Is(err, kerr.SaslAuthenticationFailed) {
		t.Fatalf("SCRAM-SHA-256 after its deletion: %v", err)
	}
	if err := authClient(t, addr, scramOpt(kadm.ScramSha512, "alice", alicePassword)).Ping(ctxTimeout(t, 10*time.Second)); err != nil {
		t.Fatalf("SCRAM-SHA-512 after SCRAM-SHA-256's deletion: %v", err)
	}

	// No SASL at all: ApiVersions is answered, anything else closes.
	raw := dialRaw(t, addr)
	raw.roundTrip(kmsg.NewPtrApiVersionsRequest())
	md := kmsg.NewPtrMetadataRequest()
	md.Version = 12
	b, _ := raw.encode(md)
	raw.write(b)
	raw.expectClosed("Metadata before SASL authentication")
}

// TestAlterUserScramCredentialsErrors: Kafka's per-user errors.
func TestAlterUserScramCredentialsErrors(t *testing.T) {
	n := startNode(t, saslConfig(t, false), node.Hooks{})
	cl := newClient(t, n.KafkaAddr(), plainOpt("admin", adminPassword))
	req := kmsg.NewPtrAlterUserSCRAMCredentialsRequest()
	up := func(name string, mech int8, iters int32) kmsg.AlterUserSCRAMCredentialsRequestUpsertion {
		u := kmsg.NewAlterUserSCRAMCredentialsRequestUpsertion()
		u.Name, u.Mechanism, u.Iterations, u.Salt, u.SaltedPassword = name, mech, iters, []byte("salt"), make([]byte, 32)
		return u
	}
	req.Upsertions = []kmsg.AlterUserSCRAMCredentialsRequestUpsertion{up("few", 1, 100), up("badmech", 9, 4096), up("twice", 1, 4096), up("twice", 1, 4096), up("ok", 2, 8192)}
	del := kmsg.NewAlterUserSCRAMCredentialsRequestDeletion()
	del.Name, del.Mechanism = "absent", 1
	req.Deletions = []kmsg.AlterUserSCRAMCredentialsRequestDeletion{del}
	resp, err := req.RequestWith(ctxTimeout(t, 10*time.Second), cl)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int16{
		"few": kerr.UnacceptableCredential.Code, "badmech": kerr.UnsupportedSaslMechanism.Code,
		"twice": kerr.DuplicateResource.Code, "ok": 0, "absent": kerr.ResourceNotFound.Code,
	}
	if len(resp.Results) != len(want) {
		t.Fatalf("%d results, want %d: %+v", len(resp.Results), len(want), resp.Results)
	}
	for _, r := range resp.Results {
		if code, ok := want[r.User]; !ok || r.ErrorCode != code {
			t.Errorf("user %q: error %d, want %d", r.User, r.ErrorCode, code)
		}
	}
	d := kmsg.NewPtrDescribeUserSCRAMCredentialsRequest()
	dr, err := d.RequestWith(ctxTimeout(t, 10*time.Second), cl)
	if err != nil || len(dr.Results) != 1 || dr.Results[0].User != "ok" || dr.Results[0].CredentialInfos[0].Iterations != 8192 {
		t.Fatalf("describe all: %+v, %v", dr, err)
	}
}

// TestSASLBadFrames: garbage SASL messages, a SaslAuthenticate before the
// handshake, and a frame header claiming 100 MB are each refused (error
// then close, or close), and a client authenticated beside them keeps
// producing.
func TestSASLBadFrames(t *testing.T) {
	n := startNode(t, saslConfig(t, false), node.Hooks{})
	addr := n.KafkaAddr()
	good := authClient(t, addr, plainOpt("admin", adminPassword))
	roundTripRecords(t, good, "bad-frames", 1)

	handshake := func(raw *rawConn, mech string) {
		t.Helper()
		h := kmsg.NewPtrSASLHandshakeRequest()
		h.Version, h.Mechanism = 1, mech
		if r := raw.roundTrip(h).(*kmsg.SASLHandshakeResponse); r.ErrorCode != 0 {
			t.Fatalf("handshake %s: %d", mech, r.ErrorCode)
		}
	}
	authenticate := func(raw *rawConn, msg []byte) *kmsg.SASLAuthenticateResponse {
		t.Helper()
		a := kmsg.NewPtrSASLAuthenticateRequest()
		a.Version, a.SASLAuthBytes = 2, msg
		return raw.roundTrip(a).(*kmsg.SASLAuthenticateResponse)
	}
	for _, c := range []struct{ mech, msg string }{
		{"PLAIN", "no separators at all"},
		{"PLAIN", "\x00\x00\x00\x00"},
		{"SCRAM-SHA-256", "garbage,,,=="},
		{"SCRAM-SHA-512", "n,,n=,r="},
	} {
		raw := dialRaw(t, addr)
		handshake(raw, c.mech)
		if r := authenticate(raw, []byte(c.msg)); r.ErrorCode != kerr.SaslAuthenticationFailed.Code {
			t.Errorf("%s %q: error %d, want SASL_AUTHENTICATION_FAILED", c.mech, c.msg, r.ErrorCode)
		}
		raw.expectClosed(c.mech + " after a failed authentication")
	}
	raw := dialRaw(t, addr)
	if r := authenticate(raw, []byte("\x00admin\x00"+adminPassword)); r.ErrorCode != kerr.IllegalSaslState.Code {
		t.Errorf("SaslAuthenticate before SaslHandshake: %d, want ILLEGAL_SASL_STATE", r.ErrorCode)
	}
	raw.expectClosed("after ILLEGAL_SASL_STATE")

	raw = dialRaw(t, addr)
	h := kmsg.NewPtrSASLHandshakeRequest()
	h.Version, h.Mechanism = 1, "GSSAPI"
	if r := raw.roundTrip(h).(*kmsg.SASLHandshakeResponse); r.ErrorCode != kerr.UnsupportedSaslMechanism.Code ||
		strings.Join(r.SupportedMechanisms, ",") != "PLAIN,SCRAM-SHA-256,SCRAM-SHA-512" {
		t.Errorf("GSSAPI handshake: %d %v", r.ErrorCode, r.SupportedMechanisms)
	}

	// A 100 MB SaslAuthenticate: the header alone closes the connection
	// (unauthenticated frames are bounded at 512 KiB), before any body.
	raw = dialRaw(t, addr)
	handshake(raw, "PLAIN")
	raw.write([]byte{0x06, 0x40, 0x00, 0x00}) // 100 MiB
	raw.expectClosed("a 100 MiB frame before authentication")

	roundTripRecords(t, good, "bad-frames-after", 2)
}
