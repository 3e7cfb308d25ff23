package ingest

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"

	icecatalog "github.com/apache/iceberg-go/catalog"
	icerest "github.com/apache/iceberg-go/catalog/rest"
	// Data files go wherever the catalog puts the table: S3 too (the
	// built-in catalog's warehouse is in data.s3 when that is set).
	_ "github.com/apache/iceberg-go/io/gocloud/s3"

	"github.com/tributary-io/tributary/config"
)

// Catalogs opens the catalogs topics name: "local" (the built-in one at
// LocalURL) and the config's iceberg list. Each is opened once and kept.
// Safe for concurrent use.
type Catalogs struct {
	// LocalURL is the built-in catalog's URL, http://host:port.
	LocalURL string
	// LocalCredential is "client_id:client_secret" when the built-in
	// catalog requires authentication (catalog.clients), else "".
	LocalCredential string
	// LocalTransport, when set, carries the built-in catalog's requests
	// (the node's own catalog, in process: httpauth.InProcess) instead of
	// the network; LocalCredential is then not needed.
	LocalTransport http.RoundTripper
	// External are the config's iceberg entries.
	External []config.IcebergCatalog

	mu   sync.Mutex
	open map[string]icecatalog.Catalog
}

// Catalog returns the named catalog, opening it on first use.
func (c *Catalogs) Catalog(ctx context.Context, name string) (icecatalog.Catalog, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cat, ok := c.open[name]; ok {
		return cat, nil
	}
	cat, err := c.dial(ctx, name)
	if err != nil {
		return nil, err
	}
	if c.open == nil {
		c.open = map[string]icecatalog.Catalog{}
	}
	c.open[name] = cat
	return cat, nil
}

func (c *Catalogs) dial(ctx context.Context, name string) (icecatalog.Catalog, error) {
	if name == config.LocalCatalogName {
		if c.LocalURL == "" {
			return nil, fmt.Errorf("%w: %q: this broker serves no built-in catalog", ErrUnknownCatalog, name)
		}
		var opts []icerest.Option
		if c.LocalTransport != nil {
			opts = append(opts, icerest.WithCustomTransport(c.LocalTransport))
		} else if c.LocalCredential != "" {
			opts = append(opts, icerest.WithCredential(c.LocalCredential))
		}
		return icerest.NewCatalog(ctx, name, c.LocalURL, opts...)
	}
	for _, e := range c.External {
		if e.Name != name {
			continue
		}
		if e.REST == nil {
			return nil, fmt.Errorf("%w: %q is not a REST catalog", ErrUnknownCatalog, name)
		}
		opts, err := restOptions(e.REST)
		if err != nil {
			return nil, fmt.Errorf("catalog %s: %w", name, err)
		}
		cat, err := icerest.NewCatalog(ctx, name, strings.TrimSuffix(e.REST.URL, "/"), opts...)
		if err != nil {
			return nil, fmt.Errorf("catalog %s: %w", name, err)
		}
		return cat, nil
	}
	return nil, fmt.Errorf("%w: %q", ErrUnknownCatalog, name)
}

func restOptions(r *config.RESTCatalog) ([]icerest.Option, error) {
	var opts []icerest.Option
	if r.Warehouse != "" {
		opts = append(opts, icerest.WithWarehouseLocation(r.Warehouse))
	}
	if r.URIPrefix != "" {
		opts = append(opts, icerest.WithPrefix(r.URIPrefix))
	}
	if !r.BearerToken.IsZero() {
		tok, err := r.BearerToken.Resolve()
		if err != nil {
			return nil, fmt.Errorf("bearer_token: %w", err)
		}
		opts = append(opts, icerest.WithOAuthToken(string(tok)))
	}
	if o := r.OAuth2; o != nil {
		id, err := o.ClientID.Resolve()
		if err != nil {
			return nil, fmt.Errorf("oauth2.client_id: %w", err)
		}
		secret, err := o.ClientSecret.Resolve()
		if err != nil {
			return nil, fmt.Errorf("oauth2.client_secret: %w", err)
		}
		opts = append(opts, icerest.WithCredential(string(id)+":"+string(secret)))
		scope := o.Scope
		if scope == "" {
			scope = "catalog"
		}
		opts = append(opts, icerest.WithScope(scope))
		if o.TokenEndpointURL != "" {
			u, err := parseURL(o.TokenEndpointURL)
			if err != nil {
				return nil, fmt.Errorf("oauth2.token_endpoint_url: %w", err)
			}
			opts = append(opts, icerest.WithAuthURI(u))
		}
	}
	return opts, nil
}

var parseURL = url.Parse
