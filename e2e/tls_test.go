package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/tributary-io/tributary/config"
	"github.com/tributary-io/tributary/node"
)

// testCA is a throwaway certificate authority for TLS tests.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

var serial int64

func newTestCA(t testing.TB, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial++
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issueWithDNS signs a client certificate for cn with one DNS SAN.
func (ca *testCA) issueWithDNS(t testing.TB, cn, dns string) (chain, key []byte) {
	t.Helper()
	return ca.sign(t, cn, false, []string{dns})
}

// issue signs a leaf for cn (a server for 127.0.0.1 when server is set),
// returning its PEM chain and key.
func (ca *testCA) issue(t testing.TB, cn string, server bool) (chain, key []byte) {
	t.Helper()
	return ca.sign(t, cn, server, nil)
}

func (ca *testCA) sign(t testing.TB, cn string, server bool, dns []string) (chain, key []byte) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial++
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		DNSNames: dns,
	}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &k.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kd, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kd})
}

func writePEM(t testing.TB, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// clientTLS trusts ca and presents the given certificate, if any.
func clientTLS(t testing.TB, ca *testCA, chain, key []byte) *tls.Config {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca.pem)
	cfg := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	if chain != nil {
		c, err := tls.X509KeyPair(chain, key)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Certificates = []tls.Certificate{c}
	}
	return cfg
}

// TestTLSWithSASL: a TLS listener with SASL: franz-go with SCRAM-SHA-512
// and kcat over SASL_SSL with SCRAM-SHA-512 and PLAIN produce and consume;
// a plaintext client on the TLS port is refused and the broker keeps
// serving; TLS below 1.2 is refused; a certificate renewed on disk is
// served to new connections without a restart.
func TestTLSWithSASL(t *testing.T) {
	dir := t.TempDir()
	ca := newTestCA(t, "test-ca")
	chain, key := ca.issue(t, "broker-1", true)
	cfg := saslConfig(t, false)
	certPath, keyPath := writePEM(t, dir, "server.crt", chain), writePEM(t, dir, "server.key", key)
	cfg.Kafka.Listeners[0].TLS = &config.ListenerTLS{CertChain: config.FileSource(certPath), PrivateKey: config.FileSource(keyPath)}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	n := startNode(t, cfg, node.Hooks{})
	addr := n.KafkaAddr()
	tlsOpt := kgo.DialTLSConfig(clientTLS(t, ca, nil, nil))
	adm := kadm.NewClient(authClient(t, addr, plainOpt("admin", adminPassword), tlsOpt))
	addScramUser(t, adm, "alice", alicePassword, kadm.ScramSha512)
	roundTripRecords(t, authClient(t, addr, scramOpt(kadm.ScramSha512, "alice", alicePassword), tlsOpt), "tls-franz", 3)

	if kcat, err := lookKcat(t); err == nil {
		caPath := writePEM(t, dir, "ca.crt", ca.pem)
		for _, c := range []struct{ mech, user, pass string }{
			{"SCRAM-SHA-512", "alice", alicePassword}, {"PLAIN", "admin", adminPassword},
		} {
			args := []string{"-b", addr, "-X", "security.protocol=SASL_SSL", "-X", "ssl.ca.location=" + caPath,
				"-X", "sasl.mechanisms=" + c.mech, "-X", "sasl.username=" + c.user, "-X", "sasl.password=" + c.pass}
			topic := "tls-kcat-" + strings.ToLower(c.mech)
			if r, err := adm.CreateTopic(ctxTimeout(t, 10*time.Second), 1, 1, nil, topic); err != nil || r.Err != nil {
				t.Fatal(err, r.Err)
			}
			runKcat(t, kcat, "a\nb\n", append(args, "-t", topic, "-P")...)
			if out := runKcat(t, kcat, "", append(args, "-t", topic, "-C", "-o", "beginning", "-e", "-q")...); out != "a\nb\n" {
				t.Errorf("kcat SASL_SSL %s consumed %q", c.mech, out)
			}
		}
	}

	plain := newClient(t, addr, plainOpt("admin", adminPassword), kgo.RequestRetries(0), kgo.DialTimeout(3*time.Second))
	if err := plain.Ping(ctxTimeout(t, 5*time.Second)); err == nil {
		t.Error("a plaintext client was served on the TLS port")
	}
	old := clientTLS(t, ca, nil, nil)
	old.MaxVersion = tls.VersionTLS11
	if c, err := tls.Dial("tcp", addr, old); err == nil {
		c.Close()
		t.Error("a TLS 1.1 handshake succeeded")
	}

	// Renew: a new certificate (another CN) on disk is served from the next
	// handshake after the reload interval.
	chain2, key2 := ca.issue(t, "broker-1-renewed", true)
	writePEM(t, dir, "server.key", key2)
	writePEM(t, dir, "server.crt", chain2)
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := tls.Dial("tcp", addr, clientTLS(t, ca, nil, nil))
		if err != nil {
			t.Fatalf("dial after renewal: %v", err)
		}
		cn := c.ConnectionState().PeerCertificates[0].Subject.CommonName
		c.Close()
		if cn == "broker-1-renewed" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still served %q 5s after the renewal", cn)
		}
		time.Sleep(200 * time.Millisecond)
	}
	roundTripRecords(t, authClient(t, addr, scramOpt(kadm.ScramSha512, "alice", alicePassword), tlsOpt), "tls-after-renewal", 1)
}

// lookKcat finds kcat like kcatPath, but lets a test go on without it
// outside CI.
func lookKcat(t *testing.T) (string, error) {
	t.Helper()
	if os.Getenv("CI") != "" {
		return kcatPath(t), nil
	}
	return exec.LookPath("kcat")
}

// TestMTLSPrincipals: with a client CA, clients must present a certificate
// from it; the certificate's common name is the principal the ACLs see
// (the super user by CN manages ACLs; a reader is allowed one topic); a
// certificate from another CA and no certificate are refused at the
// handshake.
func TestMTLSPrincipals(t *testing.T) {
	dir := t.TempDir()
	ca, other := newTestCA(t, "clients-ca"), newTestCA(t, "other-ca")
	chain, key := ca.issue(t, "broker-1", true)
	cfg := testConfig(t, t.TempDir())
	cfg.Kafka.Listeners[0].TLS = &config.ListenerTLS{
		CertChain:  config.FileSource(writePEM(t, dir, "server.crt", chain)),
		PrivateKey: config.FileSource(writePEM(t, dir, "server.key", key)),
		ClientCA:   config.FileSource(writePEM(t, dir, "ca.crt", ca.pem)),
	}
	cfg.Kafka.Authorization = &config.Authorization{SuperUsers: []string{"User:ops"}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	n := startNode(t, cfg, node.Hooks{})
	addr := n.KafkaAddr()
	// client presents a certificate for cn issued by issuer (none when cn
	// is empty) and trusts the broker's CA.
	client := func(issuer *testCA, cn string) *kgo.Client {
		var c, k []byte
		if cn != "" {
			c, k = issuer.issue(t, cn, false)
		}
		return newClient(t, addr, kgo.DialTLSConfig(clientTLS(t, ca, c, k)), kgo.RequestRetries(0))
	}
	ops := client(ca, "ops")
	adm := kadm.NewClient(ops)
	ctx := ctxTimeout(t, 30*time.Second)
	if _, err := adm.CreateTopics(ctx, 1, 1, nil, "mtls-open", "mtls-closed"); err != nil {
		t.Fatal(err)
	}
	createACLs(t, adm, kadm.NewACLs().Topics("mtls-open").ResourcePatternType(kadm.ACLPatternLiteral).
		Allow("User:reader").Operations(kadm.OpRead))
	reader := client(ca, "reader")
	md := kmsg.NewPtrMetadataRequest()
	resp, err := md.RequestWith(ctx, reader)
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	for _, tp := range resp.Topics {
		seen = append(seen, *tp.Topic)
	}
	if strings.Join(seen, ",") != "mtls-open" {
		t.Errorf("reader (mTLS CN) sees %v, want only mtls-open", seen)
	}
	cr := kmsg.NewPtrCreateACLsRequest()
	c := kmsg.NewCreateACLsRequestCreation()
	c.ResourceType, c.ResourceName, c.ResourcePatternType = kmsg.ACLResourceTypeTopic, "mtls-closed", kmsg.ACLResourcePatternTypeLiteral
	c.Principal, c.Host, c.Operation, c.PermissionType = "User:reader", "*", kmsg.ACLOperationRead, kmsg.ACLPermissionTypeAllow
	cr.Creations = append(cr.Creations, c)
	if r, err := cr.RequestWith(ctx, reader); err != nil || r.Results[0].ErrorCode != kerr.ClusterAuthorizationFailed.Code {
		t.Errorf("reader creates an ACL: %+v, %v", r, err)
	}
	for name, cl := range map[string]*kgo.Client{"another CA": client(other, "ops"), "no certificate": client(ca, "")} {
		if err := cl.Ping(ctxTimeout(t, 5*time.Second)); err == nil {
			t.Errorf("a client with %s was served", name)
		}
	}
	if err := ops.Ping(ctx); err != nil {
		t.Errorf("the broker stopped serving: %v", err)
	}
}

// TestMTLSPrincipalFromSAN: authentication.mtls.principal_source san_dns
// makes the certificate's first DNS SAN the principal (not its CN).
func TestMTLSPrincipalFromSAN(t *testing.T) {
	dir := t.TempDir()
	ca := newTestCA(t, "san-ca")
	chain, key := ca.issue(t, "broker-1", true)
	cfg := testConfig(t, t.TempDir())
	cfg.Kafka.Listeners[0].TLS = &config.ListenerTLS{
		CertChain:  config.FileSource(writePEM(t, dir, "server.crt", chain)),
		PrivateKey: config.FileSource(writePEM(t, dir, "server.key", key)),
		ClientCA:   config.FileSource(writePEM(t, dir, "ca.crt", ca.pem)),
	}
	cfg.Kafka.Listeners[0].Authentication = &config.Authentication{MTLS: &config.MTLS{PrincipalSource: "SAN_DNS"}}
	cfg.Kafka.Authorization = &config.Authorization{SuperUsers: []string{"User:ops.example"}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	n := startNode(t, cfg, node.Hooks{})
	client := func(cn, dns string) *kgo.Client {
		c, k := ca.issueWithDNS(t, cn, dns)
		return newClient(t, n.KafkaAddr(), kgo.DialTLSConfig(clientTLS(t, ca, c, k)), kgo.RequestRetries(0))
	}
	ctx := ctxTimeout(t, 30*time.Second)
	if _, err := kadm.NewClient(client("ignored-cn", "ops.example")).CreateTopics(ctx, 1, 1, nil, "san-topic"); err != nil {
		t.Fatalf("the super user by DNS SAN: %v", err)
	}
	// CN ops.example but another SAN: not the super user.
	r, err := kadm.NewClient(client("ops.example", "someone.example")).CreateTopics(ctx, 1, 1, nil, "san-topic-2")
	if err == nil {
		err = r.Error()
	}
	if !errors.Is(err, kerr.TopicAuthorizationFailed) {
		t.Fatalf("CN ops.example with SAN someone.example created a topic: %v", err)
	}
}
