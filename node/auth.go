package node

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"

	"github.com/tributary-io/tributary/broker"
	"github.com/tributary-io/tributary/config"
	"github.com/tributary-io/tributary/internal/jwtauth"
	"github.com/tributary-io/tributary/internal/tlsconf"
)

// tokenValidator builds the JWT validator of an oauth_bearer block; ctx
// ends a remote key set's refreshing.
func tokenValidator(ctx context.Context, o *config.SASLOAuthBearer, log *slog.Logger) (*jwtauth.Validator, error) {
	opts := jwtauth.Options{Issuer: o.Issuer, Audience: o.Audience, PrincipalClaim: o.PrincipalClaim, Logger: log}
	if !o.Static.IsZero() {
		b, err := o.Static.Resolve()
		if err != nil {
			return nil, fmt.Errorf("static: %w", err)
		}
		opts.JWKS = b
	}
	if o.Remote != nil {
		u, err := o.Remote.URL.Resolve()
		if err != nil {
			return nil, fmt.Errorf("remote.url: %w", err)
		}
		opts.URL, opts.RefreshInterval = string(u), o.Remote.RefreshInterval
	}
	return jwtauth.New(ctx, opts)
}

// kafkaAuth turns a listener's authentication and kafka.authorization
// into the broker's options, resolving PLAIN passwords (never logged). It
// warns when a listener bound beyond loopback lets anyone in.
func kafkaAuth(ctx context.Context, l config.Listener, z *config.Authorization, log *slog.Logger) (broker.AuthOptions, error) {
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
	if a := l.Authentication; a != nil && a.SASL != nil && a.SASL.OAuthBearer != nil {
		v, err := tokenValidator(ctx, a.SASL.OAuthBearer, log)
		if err != nil {
			return o, fmt.Errorf("kafka.listeners[%s].authentication.sasl.oauth_bearer: %w", l.Name, err)
		}
		o.OAuthBearer = v
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
