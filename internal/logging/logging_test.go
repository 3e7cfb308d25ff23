package logging

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/tributary-io/tributary/config"
)

func TestTextDropsNilErrorsAndFiltersByLevel(t *testing.T) {
	var b bytes.Buffer
	log, err := New(config.Logging{Level: "warn", Format: "text"}, &b)
	if err != nil {
		t.Fatal(err)
	}
	var nilErr error
	log.Info("not shown")
	log.Warn("pipeline started", "topic", "t", "config_err", nilErr)
	log.Error("failed", "err", errors.New("boom"))
	out := b.String()
	if strings.Contains(out, "not shown") {
		t.Errorf("INFO line logged at level WARN:\n%s", out)
	}
	if strings.Contains(out, "<nil>") || strings.Contains(out, "config_err") {
		t.Errorf("a nil error is logged (config_err=<nil> noise):\n%s", out)
	}
	if !strings.Contains(out, "topic=t") || !strings.Contains(out, `err=boom`) {
		t.Errorf("attributes lost:\n%s", out)
	}
}

func TestJSONIsOneObjectPerLine(t *testing.T) {
	var b bytes.Buffer
	log, err := New(config.Logging{Level: "DEBUG", Format: "JSON"}, &b)
	if err != nil {
		t.Fatal(err)
	}
	log.Debug("hello", "n", 3, "err", error(nil))
	var m map[string]any
	if err := json.Unmarshal(b.Bytes(), &m); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b.String())
	}
	if m["msg"] != "hello" || m["level"] != "DEBUG" || m["n"] != float64(3) {
		t.Errorf("object %v", m)
	}
	if _, ok := m["err"]; ok {
		t.Errorf("nil err kept: %v", m)
	}
}

func TestBadLevelOrFormat(t *testing.T) {
	for _, c := range []config.Logging{{Level: "LOUD", Format: "TEXT"}, {Level: "INFO", Format: "xml"}} {
		if _, err := New(c, &bytes.Buffer{}); err == nil {
			t.Errorf("%+v: no error", c)
		}
	}
}
