package registry

import (
	"errors"
	"fmt"
	"net/http"
)

// Go-level sentinels of the server's lifecycle and of the store loop.
var (
	// ErrListening: Listen was called twice.
	ErrListening = errors.New("registry: already listening")
	// ErrNotListening: Serve or Shutdown before Listen.
	ErrNotListening = errors.New("registry: not listening")
	// ErrContention: a write lost its compare-and-swap race more times
	// than Options.MaxRetries allows (answered as 50001, store error).
	ErrContention = errors.New("registry: too much contention on the store")
)

// The registry's error codes (Confluent Schema Registry's numbering; see
// its rest/exceptions/Errors.java). The HTTP status is the first three
// digits, except for the generic ones.
const (
	codeSubjectNotFound            = 40401
	codeVersionNotFound            = 40402
	codeSchemaNotFound             = 40403
	codeSubjectSoftDeleted         = 40404
	codeSubjectNotSoftDeleted      = 40405
	codeVersionSoftDeleted         = 40406
	codeVersionNotSoftDeleted      = 40407
	codeSubjectCompatNotConfigured = 40408
	codeSubjectModeNotConfigured   = 40409
	codeIncompatibleSchema         = 409 // Confluent before 8.x; 8.x says 40901
	codeInvalidSchema              = 42201
	codeInvalidVersion             = 42202
	codeInvalidCompatibilityLevel  = 42203
	codeInvalidMode                = 42204
	codeOperationNotPermitted      = 42205
	codeReferenceExists            = 42206
	codeInvalidSubject             = 42208
	codeSchemaTooLarge             = 42209
	codeStoreError                 = 50001
	codeOperationTimeout           = 50002
	codeUnauthorized               = 401
	codeForbidden                  = 40301
	codeBadRequest                 = 400
	codeUnprocessable              = 422
	codeUnsupportedMediaType       = 415
	codeNotFound                   = 404
	codeMethodNotAllowed           = 405
	codeRequestEntityTooLarge      = 413
)

// apiError is an answer in the registry's error format:
// {"error_code": code, "message": msg} with HTTP status status.
type apiError struct {
	status int
	code   int
	msg    string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %d: %s", e.status, e.code, e.msg) }

func newAPIError(status, code int, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, msg: fmt.Sprintf(format, args...)}
}

// The constructors below keep Confluent's messages: clients match on the
// code, people on the words.

func errSubjectNotFound(subject string) *apiError {
	return newAPIError(http.StatusNotFound, codeSubjectNotFound, "Subject '%s' not found.", subject)
}

func errVersionNotFound(version int) *apiError {
	return newAPIError(http.StatusNotFound, codeVersionNotFound, "Version %d not found.", version)
}

func errSchemaNotFound() *apiError {
	return newAPIError(http.StatusNotFound, codeSchemaNotFound, "Schema not found")
}

func errSchemaIDNotFound(id int) *apiError {
	return newAPIError(http.StatusNotFound, codeSchemaNotFound, "Schema %d not found", id)
}

func errSubjectSoftDeleted(subject string) *apiError {
	return newAPIError(http.StatusNotFound, codeSubjectSoftDeleted,
		"Subject '%s' was soft deleted.Set permanent=true to delete permanently", subject)
}

func errSubjectNotSoftDeleted(subject string) *apiError {
	return newAPIError(http.StatusNotFound, codeSubjectNotSoftDeleted,
		"Subject '%s' was not deleted first before being permanently deleted", subject)
}

func errVersionSoftDeleted(subject string, version int) *apiError {
	return newAPIError(http.StatusNotFound, codeVersionSoftDeleted,
		"Subject '%s' Version %d was soft deleted.Set permanent=true to delete permanently", subject, version)
}

func errVersionNotSoftDeleted(subject string, version int) *apiError {
	return newAPIError(http.StatusNotFound, codeVersionNotSoftDeleted,
		"Subject '%s' Version %d was not deleted first before being permanently deleted", subject, version)
}

func errSubjectCompatNotConfigured(subject string) *apiError {
	return newAPIError(http.StatusNotFound, codeSubjectCompatNotConfigured,
		"Subject '%s' does not have subject-level compatibility configured", subject)
}

func errSubjectModeNotConfigured(subject string) *apiError {
	return newAPIError(http.StatusNotFound, codeSubjectModeNotConfigured,
		"Subject '%s' does not have subject-level mode configured", subject)
}

func errIncompatible(subject string, details []string) *apiError {
	return newAPIError(http.StatusConflict, codeIncompatibleSchema,
		"Schema being registered is incompatible with an earlier schema for subject \"%s\", details: %s",
		subject, bracketList(details))
}

func errInvalidSchema(format string, args ...any) *apiError {
	return newAPIError(http.StatusUnprocessableEntity, codeInvalidSchema, format, args...)
}

func errInvalidVersion(version string) *apiError {
	return newAPIError(http.StatusUnprocessableEntity, codeInvalidVersion,
		"The specified version '%s' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\"",
		version)
}

func errInvalidCompatibility() *apiError {
	return newAPIError(http.StatusUnprocessableEntity, codeInvalidCompatibilityLevel,
		"Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive")
}

func errInvalidMode() *apiError {
	return newAPIError(http.StatusUnprocessableEntity, codeInvalidMode,
		"Invalid mode. Valid values are READWRITE, READONLY and IMPORT.")
}

func errNotPermitted(format string, args ...any) *apiError {
	return newAPIError(http.StatusUnprocessableEntity, codeOperationNotPermitted, format, args...)
}

func errReferenceExists(subject string, version int) *apiError {
	return newAPIError(http.StatusUnprocessableEntity, codeReferenceExists,
		"One or more references exist to the schema {subject=%s,version=%d}.", subject, version)
}

func errInvalidSubject(subject string) *apiError {
	return newAPIError(http.StatusUnprocessableEntity, codeInvalidSubject,
		"The specified subject '%s' is not a valid.", subject)
}

func errSchemaTooLarge() *apiError {
	return newAPIError(http.StatusUnprocessableEntity, codeSchemaTooLarge,
		"Register operation failed because schema is too large")
}

func errStore(what string, err error) *apiError {
	return newAPIError(http.StatusInternalServerError, codeStoreError, "%s: %v", what, err)
}

func bracketList(items []string) string {
	s := "["
	for i, it := range items {
		if i > 0 {
			s += ", "
		}
		s += it
	}
	return s + "]"
}
