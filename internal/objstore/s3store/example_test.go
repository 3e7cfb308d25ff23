package s3store_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/tributary-io/tributary/internal/objstore/s3store"
)

// A store on a local S3-compatible server (versitygw, MinIO), as
// bufstream.yaml's data.s3 section describes it: s3://warehouse/prefix/.
// On AWS, leave Endpoint and ForcePathStyle unset, and the keys empty to
// use the instance's role.
func ExampleNew() {
	ctx := context.Background()
	store, err := s3store.New(ctx, s3store.Options{
		Bucket:          "warehouse",
		Prefix:          "prefix",
		Region:          "us-east-1",
		Endpoint:        "http://127.0.0.1:7070",
		ForcePathStyle:  true,
		AccessKeyID:     "KEY",
		SecretAccessKey: "SECRET",
		Timeout:         10 * time.Second,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	if err := store.Put(ctx, "intake/000001.obj", []byte("batches")); s3store.IsUnavailable(err) {
		fmt.Println("S3 is down; the produce gets a retriable error")
	}
}
