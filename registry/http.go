package registry

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// contentType is what every answer is labelled with (Confluent's v1).
const contentType = "application/vnd.schemaregistry.v1+json"

// acceptedBodyTypes are the request Content-Types read as JSON (Confluent
// accepts the same; a missing one too).
var acceptedBodyTypes = map[string]bool{
	"application/vnd.schemaregistry.v1+json": true,
	"application/vnd.schemaregistry+json":    true,
	"application/json":                       true,
	"application/octet-stream":               true,
}

// writeJSON answers status with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error_code":50001,"message":"encode answer"}`)
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n')) // the status is sent: a failed body write means the client went away, and there is no one left to tell
}

// writeRaw answers a schema text as is (the .../schema endpoints).
func writeRaw(w http.ResponseWriter, text string) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, text) // as in writeJSON: the client went away
}

// errorBody is the registry's error format.
type errorBody struct {
	ErrorCode int    `json:"error_code"`
	Message   string `json:"message"`
}

func writeAPIError(w http.ResponseWriter, e *apiError) {
	writeJSON(w, e.status, errorBody{ErrorCode: e.code, Message: e.msg})
}

// writeErr answers err: an *apiError as itself, a contention or store
// failure as 50001, a cancelled request as 50002.
func (s *Server) writeErr(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	switch {
	case errors.As(err, &ae):
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		ae = newAPIError(http.StatusInternalServerError, codeOperationTimeout, "Operation timed out: %v", err)
	default:
		s.log.Error("registry request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		ae = errStore("Error in the backend data store", err)
	}
	writeAPIError(w, ae)
}

// readJSON decodes the request body into v. It answers the request itself
// (and returns false) when the body cannot be read.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || !acceptedBodyTypes[mt] {
			writeAPIError(w, newAPIError(http.StatusUnsupportedMediaType, codeUnsupportedMediaType, "HTTP 415 Unsupported Media Type"))
			return false
		}
	}
	b, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeAPIError(w, newAPIError(http.StatusRequestEntityTooLarge, codeRequestEntityTooLarge, "request body larger than %d bytes", tooBig.Limit))
			return false
		}
		writeAPIError(w, newAPIError(http.StatusBadRequest, codeBadRequest, "read request body: %v", err))
		return false
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		writeAPIError(w, newAPIError(http.StatusUnprocessableEntity, codeUnprocessable, "Request body is required"))
		return false
	}
	if err := json.Unmarshal(b, v); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			writeAPIError(w, newAPIError(http.StatusUnprocessableEntity, codeUnprocessable, "Unrecognized value: %v", err))
			return false
		}
		writeAPIError(w, newAPIError(http.StatusBadRequest, codeBadRequest, "Unexpected JSON: %v", err))
		return false
	}
	return true
}

// flag reads a boolean query parameter the way JAX-RS does: "true" in any
// case is true, anything else false.
func flag(r *http.Request, name string) bool {
	return strings.EqualFold(r.URL.Query().Get(name), "true")
}

// intParam reads an integer query parameter (def when absent or bad).
func intParam(r *http.Request, name string, def int) int {
	n, err := strconv.Atoi(r.URL.Query().Get(name))
	if err != nil {
		return def
	}
	return n
}

// parseVersion reads a version path segment: "latest" is -1; otherwise
// 1..2^31-1 (or -1).
func parseVersion(s string) (int, error) {
	t := strings.TrimSpace(s)
	if strings.EqualFold(t, "latest") {
		return -1, nil
	}
	v, err := strconv.ParseInt(t, 10, 32)
	if err != nil || (v <= 0 && v != -1) {
		return 0, errInvalidVersion(s)
	}
	return int(v), nil
}

// parseID reads a schema id path segment; a bad one finds no schema.
func parseID(s string) (int, error) {
	id, err := strconv.ParseInt(s, 10, 32)
	if err != nil || id < 0 {
		return 0, newAPIError(http.StatusNotFound, codeNotFound, "HTTP 404 Not Found")
	}
	return int(id), nil
}

// page applies offset and limit (limit < 1: all) to a list.
func page[T any](r *http.Request, items []T) []T {
	off := intParam(r, "offset", 0)
	if off > 0 {
		if off >= len(items) {
			return items[:0]
		}
		items = items[off:]
	}
	if lim := intParam(r, "limit", -1); lim > 0 && lim < len(items) {
		items = items[:lim]
	}
	return items
}
