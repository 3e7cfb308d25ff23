package registry

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/sr"
	goproto "google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"
)

func TestHTTPErrors(t *testing.T) {
	r := newTestRegistry(t, newStore(t), Options{})
	r.expectCode(404, 404, "GET", "/nope", "")
	r.expectCode(405, 405, "PATCH", "/subjects", "")
	r.expectCode(404, 40401, "GET", "/subjects/none/versions", "")
	r.expectCode(404, 40401, "GET", "/subjects/none/versions/1", "")
	r.expectCode(422, 42202, "GET", "/subjects/none/versions/-2", "")
	r.expectCode(404, 40403, "GET", "/schemas/ids/77", "")
	r.expectCode(404, 40403, "GET", "/schemas/ids/77/schema", "")
	r.expectCode(404, 40403, "GET", "/schemas/ids/77/versions", "")
	r.expectCode(404, 404, "GET", "/schemas/ids/x", "")
	r.expectCode(422, 42208, "POST", "/subjects/a%01b/versions", `{"schema":"\"string\""}`)
	r.expectCode(422, 422, "POST", "/subjects/s/versions", "")
	req, _ := http.NewRequest("POST", r.url+"/subjects/s/versions", strings.NewReader(`{"schema":"\"string\""}`))
	req.Header.Set("Content-Type", "text/plain")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 415 || resp.Header.Get("Content-Type") != contentType {
		t.Fatalf("text/plain body: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	// application/json and no content type are fine.
	req, _ = http.NewRequest("POST", r.url+"/subjects/s/versions", strings.NewReader(`{"schema":"\"string\""}`))
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	if resp, err = http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("application/json: %v %v", resp, err)
	}
	resp.Body.Close()
	if got := r.expect(200, "GET", "/", ""); got != "{}" {
		t.Fatalf("root %s", got)
	}
}

func TestSubjectNamesAndLists(t *testing.T) {
	r := newTestRegistry(t, newStore(t), Options{})
	c := ctx(t)
	for _, s := range []string{"b-value", "a-value", "a/b%c", "a-key"} {
		r.register(s, proto(protoV1))
	}
	subs, err := r.cl.Subjects(c)
	if err != nil || !slices.Equal(subs, []string{"a-key", "a-value", "a/b%c", "b-value"}) {
		t.Fatalf("subjects %v %v", subs, err)
	}
	subs, _ = r.cl.Subjects(sr.WithParams(c, sr.SubjectPrefix("a-")))
	if !slices.Equal(subs, []string{"a-key", "a-value"}) {
		t.Fatalf("prefixed %v", subs)
	}
	if got := r.expect(200, "GET", "/subjects?offset=1&limit=2", ""); got != `["a-value","a/b%c"]` {
		t.Fatalf("paged %s", got)
	}
	if ss, err := r.cl.SchemaByVersion(c, "a/b%c", 1); err != nil || ss.Subject != "a/b%c" {
		t.Fatalf("slash subject %+v %v", ss, err)
	}
	all, err := r.cl.AllSchemas(c)
	if err != nil || len(all) != 4 || all[2].Subject != "a/b%c" || all[2].ID != 1 {
		t.Fatalf("all schemas %+v %v", all, err)
	}
	if got := r.expect(200, "GET", "/contexts", ""); got != `["."]` {
		t.Fatalf("contexts %s", got)
	}
}

func TestFormatSerialized(t *testing.T) {
	r := newTestRegistry(t, newStore(t), Options{})
	c := ctx(t)
	id := r.register("s", proto(protoV1))
	s, err := r.cl.SchemaByID(sr.WithParams(c, sr.Format("serialized")), id)
	if err != nil {
		t.Fatal(err)
	}
	b, err := base64.StdEncoding.DecodeString(s.Schema)
	if err != nil {
		t.Fatalf("not base64: %q", s.Schema)
	}
	var fdp descriptorpb.FileDescriptorProto
	if err := goproto.Unmarshal(b, &fdp); err != nil {
		t.Fatal(err)
	}
	if fdp.GetPackage() != "test.v" || len(fdp.MessageType) != 1 || fdp.MessageType[0].GetName() != "M" {
		t.Fatalf("descriptor %v", &fdp)
	}
	ss, err := r.cl.SchemaByVersion(sr.WithParams(c, sr.Format("serialized")), "s", 1)
	if err != nil || ss.Schema.Schema != s.Schema {
		t.Fatalf("serialized by version %v", err)
	}
	if ss, err := r.cl.LookupSchema(sr.WithParams(c, sr.Format("serialized")), "s", proto(protoV1)); err != nil || ss.Schema.Schema != s.Schema {
		t.Fatalf("serialized lookup %v", err)
	}
	if got := r.expect(200, "GET", "/schemas/ids/1?format=default", ""); !strings.Contains(got, "message M") {
		t.Fatalf("default format %s", got)
	}
	r.expectCode(422, 42201, "GET", "/schemas/ids/1?format=fancy", "")
}

func TestBasicAuth(t *testing.T) {
	r := newTestRegistry(t, newStore(t), Options{BasicAuth: map[string]string{"alice": "s3cret"}})
	r.expectCode(401, 401, "GET", "/subjects", "")
	cl, err := sr.NewClient(sr.URLs(r.url), sr.BasicAuth("alice", "s3cret"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cl.RegisterSchema(ctx(t), "s", proto(protoV1), -1, -1); err != nil {
		t.Fatal(err)
	}
	bad, _ := sr.NewClient(sr.URLs(r.url), sr.BasicAuth("alice", "wrong"))
	_, err = bad.Subjects(ctx(t))
	wantCode(t, err, 401, 401)
	if err := (Options{BasicAuth: map[string]string{"a:b": "x"}}).Validate(); err == nil {
		t.Fatal("Validate accepted a user with ':'")
	}
}

func TestListenServeShutdown(t *testing.T) {
	s := New(newStore(t), Options{Addr: "127.0.0.1:0"}, nil)
	if err := s.Serve(); !errors.Is(err, ErrNotListening) {
		t.Fatalf("Serve before Listen: %v", err)
	}
	if err := s.Listen(""); err != nil {
		t.Fatal(err)
	}
	if err := s.Listen(""); !errors.Is(err, ErrListening) {
		t.Fatalf("second Listen: %v", err)
	}
	if err := s.Serve(); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.Addr(), "127.0.0.1:") || strings.HasSuffix(s.Addr(), ":0") {
		t.Fatalf("addr %s", s.Addr())
	}
	cl, _ := sr.NewClient(sr.URLs("http://" + s.Addr()))
	id, err := cl.RegisterSchema(ctx(t), "s", proto(protoV1), -1, -1)
	if err != nil || id != 1 {
		t.Fatalf("register over the listener: %d %v", id, err)
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Shutdown(sctx); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.Subjects(ctx(t)); err == nil {
		t.Fatal("still serving after Shutdown")
	}
	if New(newStore(t), Options{}, nil).Addr() != DefaultAddr {
		t.Fatal("default address")
	}
}

func TestErrorBodyShape(t *testing.T) {
	r := newTestRegistry(t, newStore(t), Options{})
	b := r.expect(404, "GET", "/subjects/x/versions", "")
	var m map[string]any
	if err := json.Unmarshal([]byte(b), &m); err != nil || len(m) != 2 || m["error_code"] != float64(40401) ||
		m["message"] != "Subject 'x' not found." {
		t.Fatalf("error body %s", b)
	}
}
