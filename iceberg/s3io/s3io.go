// Package s3io makes iceberg-go read and write s3:// (s3a, s3n) table
// files with the same S3 client the log's object store uses:
// s3store.NewClient, so the endpoint, region, path-style addressing and
// credentials of Iceberg data files are handled exactly as the log's.
// Importing it (ingest and maintenance do) replaces the S3 scheme
// factory of iceberg-go's gocloud package for the whole process.
//
// A table's FileIO comes from its properties (the catalog's table config
// merged with the table's own, as iceberg-go loads them); ClientOptions
// maps the keys: s3.endpoint, s3.region (else client.region),
// s3.access-key-id, s3.secret-access-key, s3.session-token, and path-style
// addressing when s3.path-style-access is true (Iceberg Java's key), or
// else when an endpoint is set and s3.force-virtual-addressing is not
// true (iceberg-go's rule). iceberg-go's s3.proxy-uri, s3.connect-timeout,
// s3.compat-mode and remote signing are not supported here.
//
// Clients are kept per distinct options (at most maxClients), so writes
// of one table share connections. Safe for concurrent use.
package s3io

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"sync"

	icebergio "github.com/apache/iceberg-go/io"
	"github.com/apache/iceberg-go/io/gocloud/blobfs"
	// Its init registers gocloud's S3 factory; ours, registered after it
	// (an imported package's init runs first), replaces it.
	_ "github.com/apache/iceberg-go/io/gocloud/s3"
	"gocloud.dev/blob/s3blob"

	"github.com/tributary-io/tributary/internal/objstore/s3store"
)

// Schemes are the URL schemes served.
var Schemes = []string{"s3", "s3a", "s3n"}

func init() {
	for _, s := range Schemes {
		icebergio.Unregister(s)
		icebergio.Register(s, open)
	}
}

// open is the scheme factory: a FileIO on the bucket the location names.
func open(ctx context.Context, loc *url.URL, props map[string]string) (icebergio.IO, error) {
	o, err := ClientOptions(props)
	if err != nil {
		return nil, err
	}
	c, err := client(ctx, o)
	if err != nil {
		return nil, fmt.Errorf("s3 file io for %s: %w", loc.Host, err)
	}
	bucket, err := s3blob.OpenBucketV2(ctx, c.S3, loc.Host, nil)
	if err != nil {
		return nil, fmt.Errorf("open bucket %s: %w", loc.Host, err)
	}
	return blobfs.New(ctx, bucket, blobfs.DefaultObjectLocationExtractor(loc.Host, Schemes...)), nil
}

// ClientOptions maps a table's s3.* properties to s3store's client
// options (see the package doc).
func ClientOptions(props map[string]string) (s3store.ClientOptions, error) {
	o := s3store.ClientOptions{
		Endpoint: props[icebergio.S3EndpointURL], Region: props[icebergio.S3Region],
		AccessKeyID: props[icebergio.S3AccessKeyID], SecretAccessKey: props[icebergio.S3SecretAccessKey],
		SessionToken: props[icebergio.S3SessionToken],
	}
	if o.Region == "" {
		o.Region = props[icebergio.S3ClientRegion]
	}
	o.ForcePathStyle = o.Endpoint != ""
	if v, ok := props[icebergio.S3ForceVirtualAddressing]; ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return o, fmt.Errorf("%s %q: %w", icebergio.S3ForceVirtualAddressing, v, err)
		}
		o.ForcePathStyle = !b
	}
	if v, ok := props[pathStyleAccess]; ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return o, fmt.Errorf("%s %q: %w", pathStyleAccess, v, err)
		}
		o.ForcePathStyle = b
	}
	return o, nil
}

// pathStyleAccess is Iceberg Java's S3FileIO key, which the built-in
// catalog sets for data.s3.force_path_style.
const pathStyleAccess = "s3.path-style-access"

// maxClients bounds the clients kept; past it the cache starts over.
const maxClients = 64

var clients struct {
	mu sync.Mutex
	m  map[s3store.ClientOptions]*s3store.Client
}

// client returns the kept client for o, building it on first use.
func client(ctx context.Context, o s3store.ClientOptions) (*s3store.Client, error) {
	clients.mu.Lock()
	defer clients.mu.Unlock()
	if c, ok := clients.m[o]; ok {
		return c, nil
	}
	c, err := s3store.NewClient(ctx, o)
	if err != nil {
		return nil, err
	}
	if clients.m == nil || len(clients.m) >= maxClients {
		clients.m = map[s3store.ClientOptions]*s3store.Client{}
	}
	clients.m[o] = c
	return c, nil
}
