package iceberg

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	icerest "github.com/apache/iceberg-go/catalog/rest"
	icetable "github.com/apache/iceberg-go/table"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/tributary-io/tributary/catalog"
	"github.com/tributary-io/tributary/internal/metastore/boltstore"
	"github.com/tributary-io/tributary/internal/objstore"
	"github.com/tributary-io/tributary/schema/protobuf"
)

// newCatalogURL serves our REST catalog over a fresh embedded store and a
// local warehouse on 127.0.0.1 and returns its URL.
func newCatalogURL(t testing.TB) string {
	t.Helper()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "meta.db"), boltstore.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	obj, err := objstore.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	srv := catalog.New(st, obj, catalog.Options{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return ts.URL
}

func newClient(t testing.TB, u string) *icerest.Catalog {
	t.Helper()
	cat, err := icerest.NewCatalog(context.Background(), "test", u)
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// failAfterCommit is a reverse proxy to target that, while armed, forwards
// a table commit (POST …/tables/{t}) and then answers 500 in its place.
// While refuse or conflict is set it answers a commit 503 or 409 without
// forwarding it. It counts the 409s the catalog itself answers.
type failAfterCommit struct {
	armed     atomic.Int32 // how many commits to fail
	hits      atomic.Int32
	refuse    atomic.Int32 // how many commits to answer 503 unforwarded
	conflict  atomic.Int32 // how many commits to answer 409 unforwarded
	conflicts atomic.Int32 // 409s from the catalog
	// onRefuse, if set, runs before a refused commit is answered.
	onRefuse func()
	proxy    *httputil.ReverseProxy
}

func (f *failAfterCommit) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	isCommit := r.Method == http.MethodPost && strings.Contains(r.URL.Path, "/tables/") && !strings.HasSuffix(r.URL.Path, "/metrics")
	switch {
	case isCommit && f.refuse.Load() > 0:
		f.refuse.Add(-1)
		if f.onRefuse != nil {
			f.onRefuse()
		}
		answer(w, http.StatusServiceUnavailable, "ServiceUnavailableException")
		return
	case isCommit && f.conflict.Load() > 0:
		f.conflict.Add(-1)
		answer(w, http.StatusConflict, "CommitFailedException")
		return
	case isCommit && f.armed.Load() <= 0:
		rec := httptest.NewRecorder()
		f.proxy.ServeHTTP(rec, r)
		if rec.Code == http.StatusConflict {
			f.conflicts.Add(1)
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
		return
	case !isCommit:
		f.proxy.ServeHTTP(w, r)
		return
	}
	f.armed.Add(-1)
	rec := httptest.NewRecorder()
	f.proxy.ServeHTTP(rec, r)
	if rec.Code == http.StatusOK {
		f.hits.Add(1)
	}
	answer(w, http.StatusInternalServerError, "ServerError")
}

// answer writes an Iceberg REST error response of code and type typ.
func answer(w http.ResponseWriter, code int, typ string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	fmt.Fprintf(w, `{"error":{"message":"injected","type":%q,"code":%d}}`, typ, code)
}

func newFailProxy(t testing.TB, target string) (*failAfterCommit, string) {
	t.Helper()
	u, _ := url.Parse(target)
	f := &failAfterCommit{proxy: httputil.NewSingleHostReverseProxy(u)}
	ts := httptest.NewServer(f)
	t.Cleanup(ts.Close)
	return f, ts.URL
}

func compileMessage(t testing.TB, src, name string) protoreflect.MessageDescriptor {
	t.Helper()
	fd, err := protobuf.Compile(context.Background(), "t.proto", src, nil)
	if err != nil {
		t.Fatal(err)
	}
	md, err := protobuf.MessageByName(fd, name)
	if err != nil {
		t.Fatal(err)
	}
	return md
}

// scanAll reads the whole table back as rows of Go values.
func scanAll(t testing.TB, tbl *icetable.Table) arrow.Table {
	t.Helper()
	out, err := tbl.Scan().ToArrowTable(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(out.Release)
	return out
}

// column returns a top-level column of an arrow table joined into one
// array, by dotted path into structs.
func column(t testing.TB, tb arrow.Table, path string) arrow.Array {
	t.Helper()
	parts := strings.Split(path, ".")
	idx := tb.Schema().FieldIndices(parts[0])
	if len(idx) == 0 {
		t.Fatalf("no column %s in %s", parts[0], tb.Schema())
	}
	chunks := tb.Column(idx[0]).Data().Chunks()
	arr, err := array.Concatenate(chunks, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(arr.Release)
	for _, p := range parts[1:] {
		st := arr.(*array.Struct)
		i, ok := st.DataType().(*arrow.StructType).FieldIdx(p)
		if !ok {
			t.Fatalf("no field %s in %s", p, st.DataType())
		}
		arr = st.Field(i)
	}
	return arr
}
