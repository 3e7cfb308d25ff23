package node

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/tributary-io/tributary/config"
)

// TestWarnOpenHTTP: an HTTP server bound beyond loopback without
// http_auth.required logs a warning naming it; on loopback, or with
// http_auth.required, nothing is logged. (Tests bind 127.0.0.1 only, so
// this calls the check with the configured address, as startServers does.)
func TestWarnOpenHTTP(t *testing.T) {
	for _, c := range []struct {
		addr     string
		required bool
		warn     bool
	}{
		{"0.0.0.0:8081", false, true},
		{":8081", false, true},
		{"10.1.2.3:8081", false, true},
		{"0.0.0.0:8081", true, false},
		{"127.0.0.1:8081", false, false},
		{"localhost:8081", false, false},
		{"[::1]:8081", false, false},
	} {
		var buf bytes.Buffer
		cfg := config.Default()
		cfg.HTTPAuth.Required = c.required
		n := &Node{cfg: cfg, log: slog.New(slog.NewTextHandler(&buf, nil))}
		n.warnOpenHTTP("schema registry", "registry", c.addr)
		got := strings.Contains(buf.String(), "schema registry accepts unauthenticated requests on a non-loopback address")
		if got != c.warn {
			t.Errorf("%s required=%v: warned %v, want %v (log %q)", c.addr, c.required, got, c.warn, buf.String())
		}
	}
}
