package catalog

import (
	"errors"
	"net/http"
	"strings"
)

// The catalog's failures. Each maps to one HTTP status and one error type
// of the Iceberg REST spec (see errorKinds); call sites wrap them with %w
// and say what they were doing.
var (
	// ErrBadRequest: a malformed request, an unknown update or requirement,
	// an invalid name, or an update the table metadata refuses (400).
	ErrBadRequest = errors.New("catalog: bad request")
	// ErrInvalidArgument: metadata the request would build is invalid (a
	// view version with two queries of one dialect); 400 with the type
	// IllegalArgumentException, which Iceberg's Java client throws as such.
	ErrInvalidArgument = errors.New("catalog: invalid argument")
	// ErrUnprocessable: a property both removed and updated (422).
	ErrUnprocessable = errors.New("catalog: unprocessable request")
	// ErrNoSuchNamespace: the namespace (or a table's namespace) is absent (404).
	ErrNoSuchNamespace = errors.New("catalog: no such namespace")
	// ErrNoSuchTable: the table is absent (404).
	ErrNoSuchTable = errors.New("catalog: no such table")
	// ErrNoSuchView: the view is absent (404).
	ErrNoSuchView = errors.New("catalog: no such view")
	// ErrAlreadyExists: a namespace, table or view of that name exists (409).
	ErrAlreadyExists = errors.New("catalog: already exists")
	// ErrNamespaceNotEmpty: dropping a namespace that holds tables or
	// namespaces (409).
	ErrNamespaceNotEmpty = errors.New("catalog: namespace not empty")
	// ErrCommitFailed: a requirement did not hold, or the table kept
	// changing under the commit for longer than the server retries it
	// (Options.CommitRetryTimeout). Nothing was committed; the client may
	// refresh and retry (409).
	ErrCommitFailed = errors.New("catalog: commit failed")
	// ErrCommitStateUnknown: the new metadata file was written but the
	// metadata store failed while swapping it in, so the commit may or may
	// not have happened. Clients must not retry blindly (500).
	ErrCommitStateUnknown = errors.New("catalog: commit state unknown")
	// ErrUnavailable: the metadata store or the object store failed before
	// anything was changed (503).
	ErrUnavailable = errors.New("catalog: service unavailable")
	// ErrUnauthorized: no valid bearer token (401).
	ErrUnauthorized = errors.New("catalog: not authorized")
	// ErrForbidden: the principal's role does not allow the request (403).
	ErrForbidden = errors.New("catalog: forbidden")
	// ErrTokenExpired: a token this server issued has expired (419).
	ErrTokenExpired = errors.New("catalog: token expired")
	// ErrNotFound: no such route (404).
	ErrNotFound = errors.New("catalog: no such route")
	// ErrMethodNotAllowed: the route exists, the method does not (405).
	ErrMethodNotAllowed = errors.New("catalog: method not allowed")
)

// errorKind is how one sentinel is answered: status and spec error type.
type errorKind struct {
	err    error
	status int
	typ    string
}

// errorKinds maps sentinels to responses, most specific first. The types
// are those the Java, Python and Go clients switch on.
var errorKinds = []errorKind{
	{ErrBadRequest, http.StatusBadRequest, "BadRequestException"},
	{ErrInvalidArgument, http.StatusBadRequest, "IllegalArgumentException"},
	{ErrUnprocessable, http.StatusUnprocessableEntity, "UnprocessableEntityException"},
	{ErrNoSuchNamespace, http.StatusNotFound, "NoSuchNamespaceException"},
	{ErrNoSuchTable, http.StatusNotFound, "NoSuchTableException"},
	{ErrNoSuchView, http.StatusNotFound, "NoSuchViewException"},
	{ErrAlreadyExists, http.StatusConflict, "AlreadyExistsException"},
	{ErrNamespaceNotEmpty, http.StatusConflict, "NamespaceNotEmptyException"},
	{ErrCommitFailed, http.StatusConflict, "CommitFailedException"},
	{ErrCommitStateUnknown, http.StatusInternalServerError, "CommitStateUnknownException"},
	{ErrUnavailable, http.StatusServiceUnavailable, "ServiceUnavailableException"},
	{ErrUnauthorized, http.StatusUnauthorized, "NotAuthorizedException"},
	{ErrForbidden, http.StatusForbidden, "ForbiddenException"},
	{ErrTokenExpired, 419, "AuthenticationTimeoutException"},
	{ErrNotFound, http.StatusNotFound, "NotFoundException"},
	{ErrMethodNotAllowed, http.StatusMethodNotAllowed, "MethodNotAllowedException"},
}

// classify returns the status and spec error type for err: its sentinel's,
// or 500 InternalServerError for anything unclassified (a bug, or a
// failure nobody named).
func classify(err error) (int, string) {
	for _, k := range errorKinds {
		if errors.Is(err, k.err) {
			return k.status, k.typ
		}
	}
	return http.StatusInternalServerError, "InternalServerError"
}

func isErr(err, target error) bool { return errors.Is(err, target) }

// clientError is a failure whose message is what the client is told, in
// the wording of the reference implementation ("Commit failed: …",
// "Requirement failed: …"), and nothing of the metadata store behind it
// (keys, versions): those go to the log. It answers as its kind.
type clientError struct {
	kind error
	msg  string
}

func (e *clientError) Error() string { return e.msg }
func (e *clientError) Unwrap() error { return e.kind }

// The reference implementation's wording of the failures clients match
// on (Iceberg's CatalogHandlers and catalogs: "Namespace does not exist:
// ns", "Table already exists: ns.tbl", ...).

func noSuchNamespace(ns []string) error {
	return &clientError{ErrNoSuchNamespace, "Namespace does not exist: " + joinNS(ns)}
}

func noSuchTable(id ident) error {
	return &clientError{ErrNoSuchTable, "Table does not exist: " + id.String()}
}

func namespaceExists(ns []string) error {
	return &clientError{ErrAlreadyExists, "Namespace already exists: " + joinNS(ns)}
}

func tableExists(id ident) error {
	return &clientError{ErrAlreadyExists, "Table already exists: " + id.String()}
}

func namespaceNotEmpty(ns []string) error {
	return &clientError{ErrNamespaceNotEmpty, "Namespace " + joinNS(ns) + " is not empty"}
}

// message is what the client is told of err: a clientError's message
// when err holds one, else err's text without the "catalog: " of the
// sentinel in it ("create table ns.t: bad request: ...").
func message(err error) string {
	var ce *clientError
	if errors.As(err, &ce) {
		return ce.msg
	}
	msg := err.Error()
	for _, k := range errorKinds {
		text := k.err.Error()
		if strings.Contains(msg, text) {
			return strings.Replace(msg, text, strings.TrimPrefix(text, "catalog: "), 1)
		}
	}
	return msg
}
