package ingest

import (
	"crypto/tls"
	"fmt"
	"net/http"

	"github.com/twmb/franz-go/pkg/sr"

	"github.com/tributary-io/tributary/config"
)

// RegistryFor picks the registry ingest decodes with: the external one the
// config names (schema_registry.confluent), else the built-in one at
// builtinAddr (this node's), else the built-in default address (another
// broker on this host serves it).
func RegistryFor(ext *config.SchemaRegistry, builtinAddr string) (string, []sr.ClientOpt, error) {
	if ext == nil || ext.Confluent == nil {
		if builtinAddr == "" {
			builtinAddr = config.DefaultRegistryAddr
		}
		return "http://" + builtinAddr, nil, nil
	}
	rc := ext.Confluent
	var opts []sr.ClientOpt
	if rc.TLS != nil && rc.TLS.InsecureSkipVerify {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
		opts = append(opts, sr.HTTPClient(&http.Client{Transport: tr, Timeout: registryTimeout}))
	}
	if ba := rc.BasicAuth; ba != nil {
		user, err := ba.Username.Resolve()
		if err != nil {
			return "", nil, fmt.Errorf("schema_registry basic_auth.username: %w", err)
		}
		pass, err := ba.Password.Resolve()
		if err != nil {
			return "", nil, fmt.Errorf("schema_registry basic_auth.password: %w", err)
		}
		opts = append(opts, sr.BasicAuth(string(user), string(pass)))
	}
	if !rc.BearerToken.IsZero() {
		tok, err := rc.BearerToken.Resolve()
		if err != nil {
			return "", nil, fmt.Errorf("schema_registry bearer_token: %w", err)
		}
		opts = append(opts, sr.BearerToken(string(tok)))
	}
	return rc.URL, opts, nil
}
