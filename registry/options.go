package registry

import (
	"crypto/tls"
	"fmt"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/tributary-io/tributary/internal/httpauth"
)

// DefaultAddr is where the registry listens when no address is given:
// Confluent's port, on localhost only.
const DefaultAddr = "127.0.0.1:8081"

// Options configure a Server. The zero value is valid: every field has a
// documented default.
type Options struct {
	// Addr is the address Listen binds when called with "" (default
	// DefaultAddr).
	Addr string

	// DefaultCompatibility is the global compatibility level while none
	// has been set through PUT /config (default "BACKWARD", Confluent's).
	DefaultCompatibility string

	// BasicAuth, when not empty, maps user names to passwords; every
	// request must then carry one of them (HTTP basic auth) or is
	// answered 401. Empty (the default): no authentication.
	BasicAuth map[string]string

	// Guard, when set, authenticates every request but its open paths
	// with the node's principals and authorizes it by role (Access
	// classifies the routes): 401 without valid credentials, 403 without
	// the role. It replaces BasicAuth.
	Guard *httpauth.Guard

	// TLS, when set, serves HTTPS only.
	TLS *tls.Config

	// MaxRequestBytes bounds a request body (default 8 MiB). Larger
	// bodies are answered 413.
	MaxRequestBytes int64

	// MaxRetries bounds how often one write is retried after losing a
	// compare-and-swap race with another writer of the same keys
	// (default 64). Past it the request fails with 50001.
	MaxRetries int

	// MaxReferenceDepth bounds how deep references may nest (default 64).
	MaxReferenceDepth int

	// Registerer, when set, gets the registry's metrics (metrics.go).
	// Default: none (the metrics are kept but not exported).
	Registerer prometheus.Registerer
}

// withDefaults returns o with every zero field set to its default.
func (o Options) withDefaults() Options {
	if o.Addr == "" {
		o.Addr = DefaultAddr
	}
	if o.DefaultCompatibility == "" {
		o.DefaultCompatibility = string(compatBackward)
	}
	o.DefaultCompatibility = strings.ToUpper(o.DefaultCompatibility)
	if o.MaxRequestBytes <= 0 {
		o.MaxRequestBytes = 8 << 20
	}
	if o.MaxRetries <= 0 {
		o.MaxRetries = 64
	}
	if o.MaxReferenceDepth <= 0 {
		o.MaxReferenceDepth = 64
	}
	return o
}

// Validate reports the first invalid field (after defaults apply).
func (o Options) Validate() error {
	o = o.withDefaults()
	if _, ok := parseCompat(o.DefaultCompatibility); !ok {
		return fmt.Errorf("registry: default compatibility %q: want one of %s", o.DefaultCompatibility, compatNames())
	}
	for user := range o.BasicAuth {
		if user == "" || strings.Contains(user, ":") {
			return fmt.Errorf("registry: basic auth user %q: must be non-empty and contain no ':'", user)
		}
	}
	return nil
}
