package tlsconf_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tributary-io/tributary/config"
	"github.com/tributary-io/tributary/internal/tlsconf"
)

// selfSigned returns a PEM certificate for cn and its key.
func selfSigned(t *testing.T, cn string) (chain, key []byte) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kd, _ := x509.MarshalECPrivateKey(k)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kd})
}

func served(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	c, err := cfg.GetCertificate(&tls.ClientHelloInfo{})
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(c.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	return leaf.Subject.CommonName
}

// TestReload: a renewed certificate is served after the reload interval;
// a broken one on disk is not, the previous one stays; a missing key or a
// client CA without certificates fail at start, naming the source only.
func TestReload(t *testing.T) {
	dir := t.TempDir()
	cp, kp := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	write := func(p string, b []byte) {
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	c1, k1 := selfSigned(t, "one")
	write(cp, c1)
	write(kp, k1)
	src := config.ListenerTLS{CertChain: config.FileSource(cp), PrivateKey: config.FileSource(kp)}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg, err := tlsconf.Server(src, log)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MinVersion != tls.VersionTLS12 || cfg.ClientAuth != tls.NoClientCert || served(t, cfg) != "one" {
		t.Fatalf("config: min %x, client auth %v, serving %q", cfg.MinVersion, cfg.ClientAuth, served(t, cfg))
	}
	write(kp, []byte("not a key"))
	time.Sleep(tlsconf.ReloadInterval + 100*time.Millisecond)
	if got := served(t, cfg); got != "one" {
		t.Fatalf("a broken key on disk: serving %q, want the previous one", got)
	}
	c2, k2 := selfSigned(t, "two")
	write(cp, c2)
	write(kp, k2)
	time.Sleep(tlsconf.ReloadInterval + 100*time.Millisecond)
	if got := served(t, cfg); got != "two" {
		t.Fatalf("after renewal: serving %q", got)
	}
	src.ClientCA = config.InlineSource("no pem here")
	if _, err := tlsconf.Server(src, log); err == nil {
		t.Fatal("a client CA without certificates was accepted")
	}
	src.ClientCA = config.InlineSource(string(c2))
	if cfg, err := tlsconf.Server(src, log); err != nil || cfg.ClientAuth != tls.RequireAndVerifyClientCert {
		t.Fatalf("with a client CA: %v", err)
	}
	write(kp, []byte("secret-garbage"))
	_, err = tlsconf.Server(config.ListenerTLS{CertChain: config.FileSource(cp), PrivateKey: config.FileSource(kp)}, log)
	if err == nil || strings.Contains(err.Error(), "secret-garbage") || !strings.Contains(err.Error(), kp) {
		t.Fatalf("a broken key at start: %v", err)
	}
}
