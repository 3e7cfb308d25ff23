package admin_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tributary-io/tributary/internal/admin"
	"github.com/tributary-io/tributary/internal/metrics"
)

// startServer starts an admin server on a free port and shuts it down at
// the end of the test.
func startServer(t *testing.T, s *admin.Server) string {
	t.Helper()
	if err := s.Start(); err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return "http://" + s.Addr()
}

func get(t *testing.T, url string) (int, http.Header, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("get %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read %s: %v", url, err)
	}
	return resp.StatusCode, resp.Header, string(body)
}

func TestStatusFollowsReadiness(t *testing.T) {
	var ready atomic.Bool
	s := admin.New("127.0.0.1:0", nil, func() error {
		if !ready.Load() {
			return errors.New("metadata store not open")
		}
		return nil
	})
	base := startServer(t, s)

	code, hdr, body := get(t, base+"/-/status")
	if code != http.StatusServiceUnavailable {
		t.Fatalf("status before ready: %d, want 503", code)
	}
	var st struct{ Status, Reason string }
	if err := json.Unmarshal([]byte(body), &st); err != nil || st.Reason != "metadata store not open" {
		t.Fatalf("status body before ready: %q (%v)", body, err)
	}
	if ct := hdr.Get("Content-Type"); ct != "application/json" {
		t.Errorf("content type %q", ct)
	}

	ready.Store(true)
	code, _, body = get(t, base+"/-/status")
	if code != http.StatusOK || strings.TrimSpace(body) != `{"status":"ok"}` {
		t.Fatalf("status when ready: %d %q", code, body)
	}
}

func TestMetricsEndpoint(t *testing.T) {
	m := metrics.New()
	m.ProduceRequests.Add(3)
	base := startServer(t, admin.New("127.0.0.1:0", m.Registry, nil))
	code, _, body := get(t, base+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("metrics: %d", code)
	}
	for _, want := range []string{"tributary_produce_requests_total 3", "go_goroutines"} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics output lacks %q", want)
		}
	}
}

func TestUnknownPathAndMethod(t *testing.T) {
	base := startServer(t, admin.New("127.0.0.1:0", nil, nil))
	if code, _, _ := get(t, base+"/nope"); code != http.StatusNotFound {
		t.Errorf("unknown path: %d, want 404", code)
	}
	if code, _, _ := get(t, base+"/metrics"); code != http.StatusNotFound {
		t.Errorf("metrics with no registry: %d, want 404", code)
	}
	resp, err := http.Post(base+"/-/status", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /-/status: %d, want 405", resp.StatusCode)
	}
}

func TestStartFailsOnTakenOrBadAddress(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	for _, addr := range []string{ln.Addr().String(), "not-an-address", "127.0.0.1:99999"} {
		if err := admin.New(addr, nil, nil).Start(); err == nil {
			t.Errorf("start on %q: no error", addr)
		}
	}
}

func TestStartTwiceAndShutdownBeforeStart(t *testing.T) {
	s := admin.New("127.0.0.1:0", nil, nil)
	if err := s.Shutdown(t.Context()); !errors.Is(err, admin.ErrNotStarted) {
		t.Fatalf("shutdown before start: %v", err)
	}
	startServer(t, s)
	if err := s.Start(); !errors.Is(err, admin.ErrStarted) {
		t.Fatalf("second start: %v", err)
	}
}

func TestShutdownStopsServing(t *testing.T) {
	s := admin.New("127.0.0.1:0", nil, nil)
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	addr := s.Addr()
	if err := s.Shutdown(t.Context()); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if err := s.Shutdown(t.Context()); err != nil {
		t.Fatalf("second shutdown: %v", err)
	}
	if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		conn.Close()
		t.Fatal("still accepting after shutdown")
	}
}
