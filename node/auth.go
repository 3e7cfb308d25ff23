package node

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"

	"github.com/tributary-io/tributary/broker"
	"github.com/tributary-io/tributary/config"
	"github.com/tributary-io/tributary/internal/tlsconf"
)

// kafkaAuth turns a listener's authentication and kafka.authorization
// into the broker's options, resolving PLAIN passwords (never logged). It
// warns when a listener bound beyond loopback lets anyone in.
func kafkaAuth(l config.Listener, z *config.Authorization, log *slog.Logger) (broker.AuthOptions, error) {
	var o broker.AuthOptions
	o.Mechanisms = l.Authentication.Mechanisms()
	o.MTLSPrincipal = l.Authentication.MTLSPrincipalSource()
	if a := l.Authentication; a != nil && a.SASL != nil && a.SASL.Plain != nil {
		o.PlainUsers = map[string][]byte{}
		for i, c := range a.SASL.Plain.Credentials {
			pw, err := c.Password.Resolve()
			if err != nil {
				return o, fmt.Errorf("kafka.listeners[%s].authentication.sasl.plain.credentials[%d].password: %w", l.Name, i, err)
			}
			o.PlainUsers[c.Username] = pw
		}
	}
	if z != nil {
		o.Authorize, o.SuperUsers, o.AllowEveryoneIfNoACLFound = true, z.SuperUsers, z.AllowEveryoneIfNoACLFound
	}
	if len(o.Mechanisms) == 0 && (l.TLS == nil || l.TLS.ClientCA.IsZero()) && !loopback(l.ListenAddress) {
		log.Warn("kafka listener accepts unauthenticated clients on a non-loopback address; configure kafka.listeners[].authentication",
			"listener", l.Name, "listen_address", l.ListenAddress)
	}
	return o, nil
}

// loopback reports whether addr binds only loopback interfaces.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// kafkaTLS is the listener's TLS configuration, nil without a tls block.
func kafkaTLS(l config.Listener, log *slog.Logger) (*tls.Config, error) {
	if l.TLS == nil {
		return nil, nil
	}
	cfg, err := tlsconf.Server(*l.TLS, log.With("listener", l.Name))
	if err != nil {
		return nil, fmt.Errorf("kafka.listeners[%s].tls: %w", l.Name, err)
	}
	return cfg, nil
}
