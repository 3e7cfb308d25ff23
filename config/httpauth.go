package config

import (
	"fmt"
	"strings"
)

// HTTPAuth secures the node's HTTP servers (schema registry, Iceberg
// catalog, admin) with the Kafka listener's principals (a Tributary key;
// Bufstream's own HTTP security is not documented publicly):
//
//	http_auth:
//	  required: true                    # credentials on every route but open_paths
//	  open_paths: [/-/status, /metrics] # the default
//	  readers: ["*"]                    # the default: every authenticated principal
//	  writers: [User:alice]             # register schemas, create/commit tables and namespaces
//	  admins: [User:admin]              # compatibility, mode, deletes, drops, renames
//
// Accepted credentials: HTTP basic with a user of the first Kafka
// listener's SASL PLAIN list or a SCRAM user in the metadata store;
// "Authorization: Bearer" with a JWT its oauth_bearer accepts, or a token
// the catalog's /v1/oauth/tokens issued (client credentials: the same
// users and passwords, or catalog.clients; ES256 JWTs, which the Kafka
// listeners' OAUTHBEARER accepts too); a client certificate verified by
// the server's tls.client_ca. kafka.authorization.super_users are
// admins too. No credentials is 401, a principal without the role 403.
type HTTPAuth struct {
	// Required turns authentication on. Default: false.
	Required bool `yaml:"required"`
	// OpenPaths need no credentials (exact paths, on every server).
	// Default: [/-/status, /metrics].
	OpenPaths []string `yaml:"open_paths"`
	// Readers may read (GET, schema lookups, compatibility checks).
	// Default: ["*"].
	Readers []string `yaml:"readers"`
	// Writers may read and write (register schemas, create and commit
	// tables, namespaces, views). Default: none.
	Writers []string `yaml:"writers"`
	// Admins may do everything (set compatibility or mode, delete
	// subjects and versions, drop or rename tables, namespaces, views).
	// Default: none beyond kafka.authorization.super_users.
	Admins []string `yaml:"admins"`
}

// DefaultOpenPaths are HTTPAuth.OpenPaths when unset.
var DefaultOpenPaths = []string{"/-/status", "/metrics"}

func (h HTTPAuth) validate(v *validator) {
	for name, list := range map[string][]string{"readers": h.Readers, "writers": h.Writers, "admins": h.Admins} {
		for i, p := range list {
			typ, n, ok := strings.Cut(p, ":")
			v.check(p == "*" || ok && typ != "" && n != "", fmt.Sprintf("http_auth.%s[%d]", name, i),
				"%q is not * or a principal of the form User:name", p)
		}
	}
	for i, p := range h.OpenPaths {
		v.check(strings.HasPrefix(p, "/"), fmt.Sprintf("http_auth.open_paths[%d]", i), "%q does not start with /", p)
	}
}
