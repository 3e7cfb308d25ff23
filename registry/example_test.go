package registry_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/twmb/franz-go/pkg/sr"

	"github.com/tributary-io/tributary/internal/metastore/boltstore"
	"github.com/tributary-io/tributary/registry"
)

// A registry on the embedded store, used through franz-go's client: the
// same schema registered twice keeps its id.
func Example() {
	dir, _ := os.MkdirTemp("", "registry-example")
	defer os.RemoveAll(dir)
	store, err := boltstore.Open(filepath.Join(dir, "meta.db"), boltstore.Options{})
	if err != nil {
		panic(err)
	}
	defer store.Close()

	srv := registry.New(store, registry.Options{}, nil)
	if err := srv.Listen("127.0.0.1:0"); err != nil { // "" would bind 127.0.0.1:8081
		panic(err)
	}
	srv.Serve()
	defer srv.Shutdown(context.Background())

	cl, _ := sr.NewClient(sr.URLs("http://" + srv.Addr()))
	schema := sr.Schema{Type: sr.TypeProtobuf, Schema: `syntax = "proto3"; message Click { string url = 1; }`}
	ctx := context.Background()
	id, _ := cl.RegisterSchema(ctx, "clicks-value", schema, -1, -1)
	again, _ := cl.RegisterSchema(ctx, "clicks-value", schema, -1, -1)
	versions, _ := cl.SubjectVersions(ctx, "clicks-value")
	fmt.Println(id, again, versions)
	// Output: 1 1 [1]
}
