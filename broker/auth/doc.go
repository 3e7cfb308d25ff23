// Package auth is the Kafka listener's security: SASL authentication
// (PLAIN against configured users, SCRAM-SHA-256/512 against credentials in
// the metadata store, OAUTHBEARER with a TokenValidator) and ACL
// authorization with Kafka's semantics; and Passwords, which checks the
// same users' passwords for the HTTP servers' basic authentication.
//
// Contracts:
//   - Principals are "User:<name>"; an unauthenticated client on a
//     listener without authentication is User:ANONYMOUS.
//   - SCRAM credentials are kept as Kafka keeps them (salt, iterations,
//     StoredKey, ServerKey; never the password or the salted password),
//     one KV entry per user and mechanism under "auth/scram/", so every
//     broker sharing the metadata store authenticates the same users.
//   - ACLs are one KV entry per binding under "auth/acl/", keyed by a hash
//     of the binding, so creating the same binding twice stores it once
//     (as Kafka). Every broker reads them through an Authorizer whose cache
//     is refreshed every RefreshInterval, and at once after a change made
//     through this broker.
//   - Authorize follows Kafka's StandardAuthorizer: super users are
//     allowed everything; a matching DENY wins over any ALLOW; READ, WRITE,
//     DELETE and ALTER imply DESCRIBE, ALTER_CONFIGS implies
//     DESCRIBE_CONFIGS (for ALLOW only); ALL matches every operation;
//     a resource that no ACL names is allowed only with
//     allow_everyone_if_no_acl_found. Patterns: LITERAL (the name, or "*"
//     for every name) and PREFIXED.
//   - SASL decoders (ParsePlain, ParseOAuthBearer, the SCRAM conversation)
//     never panic on any input and never put a password or token in an
//     error.
//   - An OAUTHBEARER exchange is one client-first message (RFC 7628);
//     its Expiry (Expiring) is the token's, which the broker turns into
//     the session lifetime (KIP-368).
package auth
