package catalog

import (
	"context"
	"os"
	"strings"
	"testing"

	_ "github.com/apache/iceberg-go/io/gocloud/s3"
	"github.com/apache/iceberg-go/table"
	"github.com/tributary-io/tributary/internal/metastore/postgres"
	"github.com/tributary-io/tributary/internal/objstore/s3store"
	"github.com/tributary-io/tributary/internal/testpg"
	"github.com/tributary-io/tributary/internal/tests3"
)

func TestMain(m *testing.M) {
	code := testpg.Run(m)
	tests3.Shutdown()
	os.Exit(code)
}

// The catalog on the Postgres metadata store: the same checks as on the
// embedded one.
func TestPostgresStore(t *testing.T) {
	st, err := postgres.Open(context.Background(), testpg.DSN(t), postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := newFixture(t, st, Options{})
	t.Run("namespaces", func(t *testing.T) { testNamespaces(t, f) })
	t.Run("create append scan", func(t *testing.T) { testCreateAppendScan(t, f) })
	t.Run("commit conflict", func(t *testing.T) { testCommitConflict(t, f) })
	t.Run("8 concurrent writers on two servers", func(t *testing.T) {
		testConcurrentRequirementFreeCommits(t, f, 8, 10, newFixtureOn(t, st, f.objects, Options{}))
	})
	t.Run("16 concurrent writers", func(t *testing.T) { testConcurrentRequirementFreeCommits(t, f, 16, 10) })
}

// An S3 warehouse: the server writes metadata through the s3store, hands
// out s3:// locations and the client configuration to reach them, and
// iceberg-go writes and reads Parquet there.
func TestS3Warehouse(t *testing.T) {
	s3 := tests3.Start(t)
	bucket := s3.NewBucket(t)
	ctx := context.Background()
	objects, err := s3store.New(ctx, s3store.Options{
		Bucket: bucket, Prefix: "lake", Region: s3.Region, Endpoint: s3.Endpoint, ForcePathStyle: true,
		AccessKeyID: s3.AccessKey, SecretAccessKey: s3.SecretKey,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { objects.Close() })
	f := newFixtureOn(t, newBolt(t), objects, Options{
		Warehouse: "s3://" + bucket + "/lake",
		TableConfig: map[string]string{
			"s3.endpoint": s3.Endpoint, "s3.region": s3.Region,
			"s3.access-key-id": s3.AccessKey, "s3.secret-access-key": s3.SecretKey,
		},
	})
	cat := f.client(t)
	id := table.Identifier{"kafka", "events"}
	tbl := createEvents(t, cat, id)
	if !strings.HasPrefix(tbl.MetadataLocation(), "s3://"+bucket+"/lake/kafka/events-") {
		t.Fatalf("metadata location %s", tbl.MetadataLocation())
	}
	rows := eventRows(0, 6)
	if _, err := appendRows(t, tbl, rows); err != nil {
		t.Fatal(err)
	}
	back, err := f.client(t).LoadTable(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if got := scanRows(t, back); strings.Join(got, "\n") != strings.Join(wantRows(t, back, rows), "\n") {
		t.Fatalf("scan from S3: %v", got)
	}
	objs, err := objects.List(ctx, "kafka/")
	if err != nil || len(objs) < 6 {
		t.Fatalf("objects under kafka/: %d %v", len(objs), err)
	}
	// s3a:// locations name the same objects.
	s3a := strings.Replace(back.MetadataLocation(), "s3://", "s3a://", 1)
	if _, err := cat.RegisterTable(ctx, table.Identifier{"kafka", "again"}, s3a); err != nil {
		t.Fatal(err)
	}
	if err := cat.DropTable(ctx, table.Identifier{"kafka", "again"}); err != nil {
		t.Fatal(err)
	}
	if err := cat.PurgeTable(ctx, id); err != nil {
		t.Fatal(err)
	}
	if objs, err := objects.List(ctx, "kafka/"); err != nil || len(objs) != 0 {
		t.Fatalf("after purge: %v %v", objs, err)
	}
}
