// Package logging makes the broker's logger from the config's logging
// block: a level (DEBUG, INFO, WARN, ERROR) and a format (TEXT, key=value
// lines; JSON, one object a line).
//
// An attribute whose value is nil (a nil error, typically: "err", err on a
// path where err may be nil) is dropped rather than printed as <nil>: a
// line says what happened, not what did not.
package logging

import (
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/tributary-io/tributary/config"
)

// New returns the logger cfg describes, writing to w. cfg is assumed
// validated (config.Validate); an unknown level or format is an error.
func New(cfg config.Logging, w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(strings.ToUpper(cfg.Level))); err != nil {
		return nil, fmt.Errorf("logging.level %q: %w", cfg.Level, err)
	}
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: dropNil}
	switch strings.ToUpper(cfg.Format) {
	case "TEXT":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "JSON":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("logging.format %q: want TEXT or JSON", cfg.Format)
}

// dropNil drops an attribute whose value is a nil interface (a nil error
// or pointer passed as any).
func dropNil(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindAny && isNil(a.Value.Any()) {
		return slog.Attr{}
	}
	return a
}

func isNil(v any) bool {
	if v == nil {
		return true
	}
	if err, ok := v.(error); ok {
		return err == nil
	}
	return false
}
