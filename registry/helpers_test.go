package registry

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/sr"

	"github.com/tributary-io/tributary/internal/metastore"
	"github.com/tributary-io/tributary/internal/metastore/boltstore"
)

// newStore opens an empty embedded store (bbolt, no fsync) for one test,
// closed at its cleanup.
func newStore(t testing.TB) metastore.Store {
	t.Helper()
	s, err := boltstore.Open(filepath.Join(t.TempDir(), "meta.db"), boltstore.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// testRegistry is a Server behind an httptest server on 127.0.0.1, with a
// franz-go client pointed at it.
type testRegistry struct {
	t   testing.TB
	srv *Server
	url string
	cl  *sr.Client
}

func newTestRegistry(t testing.TB, store metastore.KV, opts Options) *testRegistry {
	t.Helper()
	s := New(store, opts, nil)
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(hs.Close)
	cl, err := sr.NewClient(sr.URLs(hs.URL))
	if err != nil {
		t.Fatal(err)
	}
	return &testRegistry{t: t, srv: s, url: hs.URL, cl: cl}
}

// do sends a raw request and returns the status and body.
func (r *testRegistry) do(method, path, body string) (int, string) {
	r.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(r.t.Context(), method, r.url+path, rd)
	if err != nil {
		r.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		r.t.Fatal(err)
	}
	return resp.StatusCode, strings.TrimSpace(string(b))
}

// expect sends a raw request and fails unless the status is status.
func (r *testRegistry) expect(status int, method, path, body string) string {
	r.t.Helper()
	got, b := r.do(method, path, body)
	if got != status {
		r.t.Fatalf("%s %s: status %d, want %d: %s", method, path, got, status, b)
	}
	return b
}

// expectCode checks an error answer's status and error_code.
func (r *testRegistry) expectCode(status, code int, method, path, body string) string {
	r.t.Helper()
	b := r.expect(status, method, path, body)
	var e errorBody
	if err := json.Unmarshal([]byte(b), &e); err != nil {
		r.t.Fatalf("%s %s: not an error body: %s", method, path, b)
	}
	if e.ErrorCode != code {
		r.t.Fatalf("%s %s: error_code %d, want %d: %s", method, path, e.ErrorCode, code, e.Message)
	}
	return e.Message
}

// register registers s under subject with the franz-go client.
func (r *testRegistry) register(subject string, s sr.Schema) int {
	r.t.Helper()
	id, err := r.cl.RegisterSchema(r.t.Context(), subject, s, -1, -1)
	if err != nil {
		r.t.Fatalf("register %s: %v", subject, err)
	}
	return id
}

// wantCode checks a franz-go error's status and registry code.
func wantCode(t *testing.T, err error, status, code int) {
	t.Helper()
	var re *sr.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("error %v, want a registry answer %d/%d", err, status, code)
	}
	if re.StatusCode != status || re.ErrorCode != code {
		t.Fatalf("answer %d/%d (%s), want %d/%d", re.StatusCode, re.ErrorCode, re.Message, status, code)
	}
}

func proto(text string, refs ...sr.SchemaReference) sr.Schema {
	return sr.Schema{Schema: text, Type: sr.TypeProtobuf, References: refs}
}

func ctx(t testing.TB) context.Context { return t.Context() }

// Schemas the tests share.
const (
	protoCommon = `syntax = "proto3";
package test.common;

message Money {
  string currency = 1;
  int64 units = 2;
}
`
	protoOrder = `syntax = "proto3";
package test.order;

import "test/common.proto";
import "google/protobuf/timestamp.proto";
import "buf/validate/validate.proto";

message Order {
  string id = 1 [(buf.validate.field).string.min_len = 1];
  test.common.Money total = 2;
  google.protobuf.Timestamp at = 3;
}
`
	protoV1 = `syntax = "proto3";
package test.v;

message M {
  string a = 1;
  int32 b = 2;
}
`
	// protoV1Reformatted is protoV1 with other comments and layout.
	protoV1Reformatted = `// the same schema, written differently
syntax = "proto3"; package test.v;
message M { string a = 1; /* b */ int32 b = 2; }
`
	// protoV2AddField adds a field: compatible every way.
	protoV2AddField = `syntax = "proto3";
package test.v;

message M {
  string a = 1;
  int32 b = 2;
  string c = 3;
}
`
	// protoV2KindChange changes field 2's kind: incompatible every way.
	protoV2KindChange = `syntax = "proto3";
package test.v;

message M {
  string a = 1;
  string b = 2;
}
`
)
