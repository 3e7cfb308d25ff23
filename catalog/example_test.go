package catalog_test

import (
	"context"
	"log"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/tributary-io/tributary/catalog"
	"github.com/tributary-io/tributary/internal/metastore/boltstore"
	"github.com/tributary-io/tributary/internal/objstore"
)

// A catalog on the embedded metadata store with a local warehouse, as a
// single node serves it: Spark and PyIceberg point at
// http://127.0.0.1:8181 and write under ./data/warehouse.
func Example() {
	meta, err := boltstore.Open(filepath.Join("data", "meta.db"), boltstore.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer meta.Close()
	warehouse, err := objstore.NewLocal(filepath.Join("data", "warehouse"))
	if err != nil {
		log.Fatal(err)
	}
	opts := catalog.Options{} // the warehouse is file://<abs>/data/warehouse
	srv := catalog.New(meta, warehouse, opts, slog.Default())
	if err := srv.Listen(catalog.DefaultAddr); err != nil {
		log.Fatal(err)
	}
	go func() {
		time.Sleep(time.Minute)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}()
	if err := srv.Serve(); err != nil {
		log.Fatal(err)
	}
}
