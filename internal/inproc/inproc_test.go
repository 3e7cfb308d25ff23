package inproc

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// A request reaches the handler with its method, path, header and body;
// the handler's status, header and body come back; a panic is an error.
func TestTransportServesTheHandler(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/boom" {
			panic("boom")
		}
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Seen", r.Method+" "+r.URL.Path+" "+r.Header.Get("X-Req")+" "+string(b))
		w.WriteHeader(http.StatusTeapot)
		_, _ = w.Write([]byte("short and stout"))
	})
	cl := &http.Client{Transport: Transport(h)}
	req, err := http.NewRequest(http.MethodPost, BaseURL+"/v1/x?y=1", strings.NewReader("body"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Req", "r")
	resp, err := cl.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusTeapot || string(b) != "short and stout" || resp.Header.Get("X-Seen") != "POST /v1/x r body" {
		t.Fatalf("status %d, body %q, seen %q", resp.StatusCode, b, resp.Header.Get("X-Seen"))
	}
	if _, err := cl.Get(BaseURL + "/boom"); err == nil || !strings.Contains(err.Error(), "panicked") {
		t.Fatalf("panicking handler: %v", err)
	}
}
