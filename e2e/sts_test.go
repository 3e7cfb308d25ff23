package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	icetable "github.com/apache/iceberg-go/table"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/tributary-io/tributary/config"
	"github.com/tributary-io/tributary/internal/testsweed"
)

// TestVendedSTS: a node whose warehouse is on SeaweedFS (internal/
// testsweed: an S3 service with STS), with catalog.sts naming a role.
// The credentials vended with a table are an STS session's, not data.s3's
// keys: they carry s3.session-token, work for the table's own objects and
// are refused (AccessDenied) outside its location, by the session policy
// the catalog sends. Trino 476, configured for vended credentials with no
// keys (as TestTrinoVendedS3, which fails with static keys: Trino takes
// vended keys only with a session token), then reads the table ingest
// wrote from Protobuf and writes one through the catalog.
func TestVendedSTS(t *testing.T) {
	sw := testsweed.Start(t)
	s3cfg, err := config.NewS3("s3://" + sw.NewBucket(t) + "/sts/")
	if err != nil {
		t.Fatal(err)
	}
	s3cfg.Region, s3cfg.Endpoint, s3cfg.ForcePathStyle = sw.Region, sw.Endpoint, true
	s3cfg.AccessKeyID, s3cfg.SecretAccessKey = config.InlineSource(sw.AccessKey), config.InlineSource(sw.SecretKey)
	n, cat, _ := sparkPlainNode(t, func(cfg *config.Config) {
		cfg.Data.S3 = s3cfg
		cfg.Catalog.VendedCredentialsOnly = true
		cfg.Catalog.STS = &config.CatalogSTS{RoleARN: sw.RoleARN, Endpoint: sw.Endpoint}
	})
	produced := sparkProduce(t, n, cat)
	sparkWaitRecords(t, cat, icetable.Identifier{"shop", "orders"}, len(produced))

	tbl := sparkLoad(t, cat, icetable.Identifier{"shop", "orders"})
	creds := stsVended(t, cat.url, "/v1/namespaces/shop/tables/orders/credentials")
	if creds.prefix != tbl.Location() || creds.cfg["s3.session-token"] == "" || creds.cfg["s3.access-key-id"] == sw.AccessKey {
		t.Fatalf("vended for shop.orders at %s: prefix %s, config %v; want the table's location and an STS session's keys", tbl.Location(), creds.prefix, creds.cfg)
	}
	cl := s3.New(s3.Options{Region: sw.Region, BaseEndpoint: aws.String(sw.Endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(creds.cfg["s3.access-key-id"], creds.cfg["s3.secret-access-key"], creds.cfg["s3.session-token"])})
	ctx := ctxTimeout(t, 6*time.Minute)
	bucket, key, _ := strings.Cut(strings.TrimPrefix(tbl.MetadataLocation(), "s3://"), "/")
	if _, err := cl.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}); err != nil {
		t.Errorf("the vended session reads the table's metadata file %s: %v", key, err)
	}
	_, tableKey, _ := strings.Cut(strings.TrimPrefix(tbl.Location(), "s3://"), "/")
	if _, err := cl.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(tableKey + "/data/sts-probe"), Body: strings.NewReader("x")}); err != nil {
		t.Errorf("the vended session writes under the table: %v", err)
	}
	outside := strings.TrimSuffix(tableKey, "/") + "-not-this-table/x"
	_, err = cl.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(outside), Body: strings.NewReader("x")})
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "AccessDenied" {
		t.Errorf("the vended session writes %s, outside the table: %v, want AccessDenied", outside, err)
	}

	home, java := trinoInstall(t)
	tr := trinoStart(t, ctx, home, java, trinoVendedS3Properties("http://"+n.CatalogAddr(), sw.Endpoint, sw.Region))
	orders := 0
	for _, p := range produced {
		if p.msg != nil {
			orders++
		}
	}
	got := tr.must(t, `SELECT count(*) AS n, count(DISTINCT val.id) AS ids FROM tributary.shop.orders`).rows
	if want := fmt.Sprintf("[map[ids:%d n:%d]]", orders, len(produced)); fmt.Sprint(got) != want {
		t.Fatalf("shop.orders through STS credentials: Trino counts %v, want %s", got, want)
	}
	tr.must(t, `CREATE SCHEMA tributary.tv`)
	tr.must(t, `CREATE TABLE tributary.tv.made (id varchar, n bigint)`)
	tr.must(t, `INSERT INTO tributary.tv.made SELECT val.id, 1 FROM tributary.shop.orders WHERE val.id IS NOT NULL`)
	got = tr.must(t, `SELECT count(*) AS rows, sum(n) AS total FROM tributary.tv.made`).rows
	if want := fmt.Sprintf("[map[rows:%d total:%d]]", orders, orders); fmt.Sprint(got) != want {
		t.Errorf("tv.made: Trino reads back %v, want %s", got, want)
	}
	// Trino's CREATE TABLE commits an empty snapshot; the INSERT appends
	meta := sparkLoad(t, cat, icetable.Identifier{"tv", "made"}).Metadata()
	cur := meta.CurrentSnapshot()
	if !strings.HasPrefix(meta.Location(), "s3://") || cur == nil || cur.Summary.Properties["total-records"] != fmt.Sprint(orders) {
		t.Errorf("tv.made at %s, current snapshot %v; want in the S3 warehouse with the %d rows Trino inserted", meta.Location(), cur, orders)
	}
}

// stsVendedCreds is the one storage credential of an answer.
type stsVendedCreds struct {
	prefix string
	cfg    map[string]string
}

// stsVended GETs path on the catalog as the OAuth2 client spark and
// returns the one storage credential of the answer.
func stsVended(t *testing.T, catURL, path string) stsVendedCreds {
	t.Helper()
	token, status := catalogToken(t, http.DefaultClient, catURL, "spark", sparkPassword)
	if token == "" {
		t.Fatalf("catalog token for spark: %d", status)
	}
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, catURL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	rsp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer rsp.Body.Close()
	var out vendedAnswer
	if err := json.NewDecoder(rsp.Body).Decode(&out); err != nil || rsp.StatusCode != http.StatusOK || len(out.StorageCredentials) != 1 {
		t.Fatalf("GET %s: %d %v: %+v, want one storage credential", path, rsp.StatusCode, err, out)
	}
	return stsVendedCreds{prefix: out.StorageCredentials[0].Prefix, cfg: out.StorageCredentials[0].Config}
}
