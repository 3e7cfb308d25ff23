package catalog

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tributary-io/tributary/internal/objstore"

	"github.com/tributary-io/tributary/internal/httpauth"
)

// Defaults of Options.
const (
	// DefaultAddr is where Listen binds when given "": the port Iceberg
	// tools expect, on localhost only.
	DefaultAddr = "127.0.0.1:8181"
	// DefaultName is the warehouse name clients may ask for.
	DefaultName = "tributary"
	// DefaultCommitRetryTimeout is how long a commit is re-validated and
	// re-applied while the table keeps changing under it.
	DefaultCommitRetryTimeout = 10 * time.Second
	// DefaultTokenTTL is the life of a token from /v1/oauth/tokens.
	DefaultTokenTTL = time.Hour
	// DefaultMaxBodyBytes bounds a request body.
	DefaultMaxBodyBytes = 32 << 20
	// DefaultMetadataCache is how many metadata files are kept in memory.
	DefaultMetadataCache = 256
)

// Options configure a Server. The zero value of each field is its
// documented default.
type Options struct {
	// Warehouse is the URI of the object store's root, under which every
	// table lives and every metadata file is written: file:///abs/dir for
	// a local directory, s3://bucket/prefix for S3 (s3a:// locations are
	// taken as the same objects). Default: file://<dir> when the object
	// store is a local one (it has a Root() method); required otherwise.
	Warehouse string
	// Name is the warehouse's name. A client that asks /v1/config for
	// warehouse=Name is told to put Name in its paths (/v1/Name/...);
	// any other warehouse value, or none, gets paths without a prefix.
	// Both serve the same tables. Default DefaultName.
	Name string
	// Defaults and Overrides are added to /v1/config's "defaults" and
	// "overrides" (client configuration applied before and after the
	// client's own). Default none.
	Defaults  map[string]string
	Overrides map[string]string
	// TableConfig is added to the "config" of every table answer: what
	// clients need to read and write data files, such as s3.endpoint,
	// s3.path-style-access, s3.region or credentials. Default none.
	TableConfig map[string]string
	// Credentials are the storage keys (s3.access-key-id,
	// s3.secret-access-key, s3.session-token) handed out with tables:
	// in "storage-credentials" (beside "config") to a request with
	// X-Iceberg-Access-Delegation: vended-credentials, and from GET
	// .../tables/{table}/credentials; in every answer's "config" too
	// unless VendedCredentialsOnly. Default none.
	Credentials map[string]string
	// STS, with a RoleARN, makes the vended credentials short-lived ones
	// from an STS AssumeRole scoped to each table's location (sts.go)
	// instead of Credentials, which are then never handed out. Default
	// nil: the static Credentials.
	STS *STSOptions
	// VendedCredentialsOnly keeps Credentials out of the "config" of
	// answers that did not ask for vended credentials. Default false.
	VendedCredentialsOnly bool
	// Outside is the warehouse's bucket from its root, through which the
	// metadata files of tables at allowed locations outside an S3
	// warehouse are read and written (outside.go); a local warehouse uses
	// the node's file system. Nil: on S3, nothing outside the warehouse.
	Outside objstore.Store
	// AllowedLocations are the location prefixes (file:///dir on the
	// node's file system, whatever the warehouse, or s3://bucket/prefix in
	// the warehouse's bucket) a client may ask a table, or a view's
	// metadata files, to be at outside the warehouse; any other is
	// overridden. Default: anywhere on the warehouse's file system or in
	// its bucket.
	AllowedLocations []string
	// Auth turns on bearer-token authentication. Default: off, every
	// request is served.
	Auth AuthOptions
	// CommitRetryTimeout is how long, from its first attempt, a commit
	// whose table changed between its load and its swap is validated and
	// applied again on the fresh metadata (with jittered backoff) before
	// the server answers 409. Default DefaultCommitRetryTimeout; -1 means
	// never retry.
	CommitRetryTimeout time.Duration
	// MaxBodyBytes bounds a request body. Default DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// MetadataCache is how many metadata files (immutable, so never stale)
	// are kept in memory. Default DefaultMetadataCache; -1 disables it.
	MetadataCache int
	// TLS, when set, serves HTTPS only.
	TLS *tls.Config
	// Registerer, when set, gets the catalog's metrics (observe.go).
	// Default: none (kept but not exported).
	Registerer prometheus.Registerer
}

// AuthOptions configure authentication. Auth is on when Clients or
// Tokens is non-empty: every route but /v1/oauth/tokens then needs an
// "Authorization: Bearer <token>" header with a static token or one the
// token endpoint issued.
type AuthOptions struct {
	// Clients maps OAuth2 client IDs to secrets: the client-credentials
	// grant of /v1/oauth/tokens exchanges them for a bearer token (what
	// clients configured with credential=id:secret do).
	Clients map[string]string
	// Tokens are bearer tokens accepted as they are (clients configured
	// with token=...).
	Tokens []string
	// TokenTTL is the life of an issued token. Default DefaultTokenTTL.
	TokenTTL time.Duration
	// SigningKey signs issued tokens, which are checked without state, so
	// every server sharing the key accepts every other's tokens. Default:
	// derived from Clients, so servers with the same clients agree and
	// changing a secret revokes the tokens issued for it.
	SigningKey []byte
	// Guard, when set, turns authentication on with the node's
	// principals (HTTP basic, JWT bearer tokens, mTLS) beside this
	// server's own tokens, and authorizes every request by role (Access
	// classifies the routes). The token endpoint then also issues tokens
	// to those principals: client_id and client_secret are a user and
	// password the Guard accepts, and the token's principal is
	// User:<client_id> (catalog Clients' tokens too).
	Guard *httpauth.Guard
	// Issuer, when set (with Guard), signs the token endpoint's tokens as
	// JWTs (jwtauth.Issuer) instead of this server's own format, so the
	// node's Kafka listeners accept them for OAUTHBEARER too; the Guard's
	// token validator must accept them.
	Issuer TokenIssuer
}

// TokenIssuer signs access tokens for a user.
type TokenIssuer interface {
	Issue(user string, ttl time.Duration) (string, error)
}

// enabled reports whether requests must carry credentials.
func (a AuthOptions) enabled() bool { return len(a.Clients) > 0 || len(a.Tokens) > 0 || a.Guard != nil }

// reservedNames are the first path segments after /v1/ that are routes,
// so a warehouse Name cannot be one.
var reservedNames = []string{"config", "oauth", "namespaces", "tables", "transactions", "views"}

// rooted is implemented by local object stores (objstore.Local).
type rooted interface{ Root() string }

// withDefaults fills in zero fields, taking the warehouse of a local store
// from its root.
func (o Options) withDefaults(objects objstore.Store) Options {
	if o.Warehouse == "" {
		if r, ok := objects.(rooted); ok {
			o.Warehouse = (&url.URL{Scheme: "file", Path: r.Root()}).String()
		}
	}
	o.Warehouse = strings.TrimSuffix(o.Warehouse, "/")
	if o.Name == "" {
		o.Name = DefaultName
	}
	if o.CommitRetryTimeout == 0 {
		o.CommitRetryTimeout = DefaultCommitRetryTimeout
	}
	if o.MaxBodyBytes == 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.MetadataCache == 0 {
		o.MetadataCache = DefaultMetadataCache
	}
	if o.Auth.TokenTTL == 0 {
		o.Auth.TokenTTL = DefaultTokenTTL
	}
	return o
}

// Validate checks o (after defaults), naming the first bad field.
func (o Options) Validate() error {
	wh, err := parseWarehouse(o.Warehouse)
	if err != nil {
		return fmt.Errorf("catalog options: warehouse: %w", err)
	}
	if _, err := newAreas(wh, o.Outside, o.AllowedLocations); err != nil {
		return fmt.Errorf("catalog options: %w", err)
	}
	if o.Name == "" || strings.ContainsAny(o.Name, "/?#%") || slices.Contains(reservedNames, o.Name) {
		return fmt.Errorf("catalog options: name %q: want one path segment other than %s", o.Name, strings.Join(reservedNames, ", "))
	}
	if o.CommitRetryTimeout < 0 && o.CommitRetryTimeout != -1 {
		return fmt.Errorf("catalog options: commit retry timeout %v: negative (-1 means never retry)", o.CommitRetryTimeout)
	}
	if o.MaxBodyBytes < 0 {
		return fmt.Errorf("catalog options: max body bytes %d: negative", o.MaxBodyBytes)
	}
	return o.Auth.validate()
}

func (a AuthOptions) validate() error {
	for id, secret := range a.Clients {
		if id == "" || secret == "" {
			return errors.New("catalog options: auth clients: empty client ID or secret")
		}
	}
	if slices.Contains(a.Tokens, "") {
		return errors.New("catalog options: auth tokens: empty token")
	}
	if a.TokenTTL < 0 {
		return fmt.Errorf("catalog options: auth token TTL %v: negative", a.TokenTTL)
	}
	return nil
}
