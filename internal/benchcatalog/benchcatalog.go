// Package benchcatalog serves the built-in Iceberg REST catalog in process
// for the benchmarks that need one of their own (maintenancebench,
// historybench): an embedded store without fsync and a local warehouse,
// on a free 127.0.0.1 port.
package benchcatalog

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"

	"github.com/tributary-io/tributary/catalog"
	"github.com/tributary-io/tributary/internal/metastore/boltstore"
	"github.com/tributary-io/tributary/internal/objstore"
)

// Serve serves the catalog over dir/meta.db and the warehouse dir/objects
// (dir is created if missing). It returns the catalog's URL and a stop
// function that closes the server and the store.
func Serve(dir string) (url string, stop func(), err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", nil, err
	}
	st, err := boltstore.Open(filepath.Join(dir, "meta.db"), boltstore.Options{NoSync: true})
	if err != nil {
		return "", nil, err
	}
	obj, err := objstore.NewLocal(filepath.Join(dir, "objects"))
	if err != nil {
		_ = st.Close() // the error returned is the one that matters
		return "", nil, err
	}
	srv := catalog.New(st, obj, catalog.Options{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = st.Close() // the error returned is the one that matters
		return "", nil, err
	}
	hs := &http.Server{Handler: srv.Handler()}
	go func() { _ = hs.Serve(ln) }() // ErrServerClosed once stop runs; a bench's request would fail on any other
	stop = func() {
		// A bench's catalog going away at the end: nothing left to keep.
		_ = hs.Close()
		_ = st.Close()
	}
	return "http://" + ln.Addr().String(), stop, nil
}
