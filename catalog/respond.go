package catalog

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
)

// errorBody is the spec's IcebergErrorResponse.
type errorBody struct {
	Error errorModel `json:"error"`
}

type errorModel struct {
	Message string `json:"message"`
	Type    string `json:"type"`
	Code    int    `json:"code"`
}

// fail answers err with its status and spec error type. Server-side
// failures (5xx) are logged; client errors only at debug level.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, typ := classify(err)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		status, typ = http.StatusRequestEntityTooLarge, "BadRequestException"
	}
	level := slog.LevelDebug
	if status >= 500 {
		level = slog.LevelError
	}
	s.log.Log(r.Context(), level, "catalog request failed", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	if r.Method == http.MethodHead {
		w.WriteHeader(status)
		return
	}
	writeJSON(w, status, errorBody{errorModel{Message: message(err), Type: typ, Code: status}})
}

// writeJSON answers v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b, _ = json.Marshal(errorBody{errorModel{Message: "encode response: " + err.Error(), Type: "InternalServerError", Code: status}})
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// noContent answers 204.
func noContent(w http.ResponseWriter) { w.WriteHeader(http.StatusNoContent) }

// decodeBody reads the JSON request body into v. A body that is not the
// JSON the route expects is ErrBadRequest.
func decodeBody(r *http.Request, v any) error {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return err
		}
		return fmt.Errorf("%w: read body: %v", ErrBadRequest, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%w: decode body: %v", ErrBadRequest, err)
	}
	return nil
}
