// Package httpauth is the security of the node's HTTP servers (schema
// registry, Iceberg catalog, admin): who a request is, and whether that
// principal may do what it asks. The principals are the Kafka listener's:
//
//   - HTTP basic with a user and password the listener knows (PLAIN's
//     configured users, SCRAM users in the metadata store): User:<name>;
//   - "Authorization: Bearer <JWT>" checked against the listener's
//     OAUTHBEARER key set (jwtauth): User:<principal claim>;
//   - a verified client certificate (a server with a client CA):
//     User:<subject CN> or its first DNS/URI SAN, as the listener's
//     mtls.principal_source says;
//   - requests a node part sends its own servers in process (AsNode, InProcess):
//     the node itself, allowed everything.
//
// Authorization is a role mapping (Roles): Read (every GET and the
// registry's lookups and compatibility checks), Write (register a schema,
// create or commit a table or namespace, create a view) and Admin (change
// compatibility or mode, delete a subject or version, drop or rename a
// table, namespace or view). Writers may read, admins may do everything;
// "*" names every authenticated principal. Each server classifies its own
// routes (registry.Access, catalog.Access).
//
// Contracts: a request without credentials, or with wrong ones, is 401
// (Check's status) with a challenge; an authenticated principal without
// the role is 403. Paths in Options.OpenPaths need nothing. Errors and
// logs name the user, never a password or token.
package httpauth
