// Package tlsconf builds the server TLS configuration of a listener from
// its config.ListenerTLS: TLS 1.2 or later, the certificate chain and key
// reread from their data sources at most once per ReloadInterval during
// handshakes (a renewed certificate on disk is served from the next
// handshake on; one that does not parse is logged and the previous one kept),
// and, with a client CA, client certificates required and verified (mTLS).
//
// Errors name the data sources (path:FILE, env_var:NAME), never their
// contents.
package tlsconf

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/tributary-io/tributary/config"
)

// ReloadInterval bounds how often a handshake rereads the certificate.
const ReloadInterval = time.Second

// ErrNoCertificates: a client CA source holds no PEM certificate.
var ErrNoCertificates = errors.New("tlsconf: no certificates")

// Server returns the TLS configuration of a listener; it fails if the
// certificate, the key or the client CA cannot be read or parsed now.
func Server(c config.ListenerTLS, log *slog.Logger) (*tls.Config, error) {
	r := &reloader{chain: c.CertChain, key: c.PrivateKey, log: log}
	if err := r.load(); err != nil {
		return nil, err
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: r.get}
	if !c.ClientCA.IsZero() {
		pemCA, err := c.ClientCA.Resolve()
		if err != nil {
			return nil, fmt.Errorf("client CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pemCA) {
			return nil, fmt.Errorf("client CA %s: %w", c.ClientCA, ErrNoCertificates)
		}
		cfg.ClientCAs, cfg.ClientAuth = pool, tls.RequireAndVerifyClientCert
	}
	return cfg, nil
}

// reloader holds the current certificate; mu guards the rest.
type reloader struct {
	chain, key config.DataSource
	log        *slog.Logger

	mu      sync.Mutex
	cert    *tls.Certificate
	raw     []byte // chain and key as last parsed
	checked time.Time
}

// load reads and parses the chain and key if they changed.
func (r *reloader) load() error {
	chain, err := r.chain.Resolve()
	if err != nil {
		return fmt.Errorf("certificate chain: %w", err)
	}
	key, err := r.key.Resolve()
	if err != nil {
		return fmt.Errorf("private key: %w", err)
	}
	raw := append(append([]byte{}, chain...), key...)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cert != nil && bytes.Equal(raw, r.raw) {
		return nil
	}
	cert, err := tls.X509KeyPair(chain, key)
	if err != nil {
		return fmt.Errorf("certificate %s with key %s: %w", r.chain, r.key, err)
	}
	r.cert, r.raw = &cert, raw
	return nil
}

func (r *reloader) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	r.mu.Lock()
	stale := time.Since(r.checked) >= ReloadInterval
	if stale {
		r.checked = time.Now() // one reload per interval, even a failing one
	}
	r.mu.Unlock()
	if stale {
		if err := r.load(); err != nil {
			r.log.Warn("tls certificate reload failed; serving the previous one", "reason", err.Error())
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cert, nil
}
