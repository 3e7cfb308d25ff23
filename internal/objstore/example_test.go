package objstore_test

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/tributary-io/tributary/internal/objstore"
)

// A crash test fails the next intake write after it reached the store, as
// when an S3 PUT succeeds but its response is lost.
func ExampleFaulty() {
	dir, _ := os.MkdirTemp("", "objstore-example")
	defer os.RemoveAll(dir)
	local, _ := objstore.NewLocal(dir)
	store := objstore.NewFaulty(local)
	ctx := context.Background()

	store.FailNextAfter(objstore.OpPut, 1, nil)
	err := store.Put(ctx, "intake/000001", []byte("batches"))
	fmt.Println(errors.Is(err, objstore.ErrInjected))

	data, _ := store.Get(ctx, "intake/000001")
	fmt.Println(string(data), store.Calls(objstore.OpPut))
	// Output:
	// true
	// batches 1
}
