package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tributary-io/tributary/config"
	"github.com/tributary-io/tributary/internal/testpy"
	"github.com/tributary-io/tributary/internal/tests3"
	"github.com/tributary-io/tributary/node"
)

// TestVendedCredentials: a node whose warehouse is in S3 (versitygw, under
// a prefix of its bucket) with
// catalog.vended_credentials_only hands its S3 keys only as vended
// credentials. PyIceberg, configured with the catalog's URI and the
// X-Iceberg-Access-Delegation: vended-credentials header and nothing else
// (no endpoint, region or keys), creates a table, appends 100 rows in two
// commits and reads every row back from the bucket. Raw requests check
// the answers: no keys in a table's config without the header; with it, a
// storage credential for the warehouse carrying endpoint, region, path
// style and keys; GET .../credentials the same, and 404 for a table that
// does not exist. A second table asked to be in the bucket outside the
// warehouse is created there (catalog.allowed_locations' default).
func TestVendedCredentials(t *testing.T) {
	python := testpy.PyIceberg(t)
	srv := tests3.NewServer(t)
	cfg := testConfig(t, t.TempDir())
	s3cfg, err := config.NewS3("s3://" + srv.NewBucket(t) + "/vend/")
	if err != nil {
		t.Fatal(err)
	}
	s3cfg.Region, s3cfg.Endpoint, s3cfg.ForcePathStyle = srv.Region, srv.Endpoint, true
	s3cfg.AccessKeyID, s3cfg.SecretAccessKey = config.InlineSource(srv.AccessKey), config.InlineSource(srv.SecretKey)
	cfg.Data.S3 = s3cfg
	cfg.Catalog.VendedCredentialsOnly = true
	n := startNode(t, cfg, node.Hooks{})
	base := "http://" + n.CatalogAddr()

	elsewhere := "s3://" + s3cfg.Bucket + "/outside-the-warehouse/t"
	cmd := exec.Command(python, filepath.Join("testdata", "pyiceberg_vended.py"), base, elsewhere)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pyiceberg_vended.py: %v\n%s", err, stderr.String())
	}
	var got struct {
		IDs      []int64  `json:"ids"`
		NamesOK  bool     `json:"names_ok"`
		Location string   `json:"location"`
		IOKeys   []string `json:"io_keys"`
		// vend.elsewhere, asked to be in the bucket outside the warehouse
		ElsewhereLocation string           `json:"elsewhere_location"`
		ElsewhereMetadata string           `json:"elsewhere_metadata"`
		ElsewhereRows     []map[string]any `json:"elsewhere_rows"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("pyiceberg_vended.py printed %s: %v", out, err)
	}
	if len(got.IDs) != 100 || got.IDs[0] != 0 || got.IDs[99] != 99 || !got.NamesOK {
		t.Errorf("PyIceberg read back %d rows (%v…), names ok %v; want ids 0..99", len(got.IDs), got.IDs[:min(len(got.IDs), 5)], got.NamesOK)
	}
	if !strings.HasPrefix(got.Location, "s3://") || !slices.Contains(got.IOKeys, "s3.access-key-id") {
		t.Errorf("PyIceberg's table at %s with FileIO keys %v: want an s3:// location and the vended keys", got.Location, got.IOKeys)
	}

	if got.ElsewhereLocation != elsewhere || !strings.HasPrefix(got.ElsewhereMetadata, elsewhere+"/metadata/") || fmt.Sprint(got.ElsewhereRows) != "[map[id:7 name:seven]]" {
		t.Errorf("vend.elsewhere at %s: location %s, metadata %s, rows %v; want it taken as asked (catalog.allowed_locations' default: the bucket)",
			elsewhere, got.ElsewhereLocation, got.ElsewhereMetadata, got.ElsewhereRows)
	}

	want := map[string]string{
		"s3.endpoint": srv.Endpoint, "s3.region": srv.Region, "s3.path-style-access": "true",
		"s3.access-key-id": srv.AccessKey, "s3.secret-access-key": srv.SecretKey,
	}
	tableURL := base + "/v1/namespaces/vend/tables/t"
	plain := vendedGet(t, tableURL, false, http.StatusOK)
	if _, ok := plain.Config["s3.access-key-id"]; ok || plain.Config["s3.endpoint"] != srv.Endpoint || len(plain.StorageCredentials) != 0 {
		t.Errorf("load without the header: config %v, storage-credentials %v; want the endpoint and no keys", plain.Config, plain.StorageCredentials)
	}
	for what, rsp := range map[string]vendedAnswer{
		"load with the header": vendedGet(t, tableURL, true, http.StatusOK),
		"GET credentials":      vendedGet(t, tableURL+"/credentials", false, http.StatusOK),
	} {
		if len(rsp.StorageCredentials) != 1 {
			t.Errorf("%s: storage-credentials %v, want one", what, rsp.StorageCredentials)
			continue
		}
		c := rsp.StorageCredentials[0]
		if !strings.HasPrefix(got.Location, c.Prefix) || c.Prefix == "" {
			t.Errorf("%s: prefix %q does not cover the table at %s", what, c.Prefix, got.Location)
		}
		for k, v := range want {
			if c.Config[k] != v {
				t.Errorf("%s: %s = %q, want %q", what, k, c.Config[k], v)
			}
		}
	}
	vendedGet(t, base+"/v1/namespaces/vend/tables/nope/credentials", false, http.StatusNotFound)
}

// vendedAnswer is the part of a LoadTableResult or LoadCredentialsResponse
// the test reads.
type vendedAnswer struct {
	Config             map[string]string `json:"config"`
	StorageCredentials []struct {
		Prefix string            `json:"prefix"`
		Config map[string]string `json:"config"`
	} `json:"storage-credentials"`
}

// vendedGet GETs url (asking for vended credentials when vend) and
// decodes the answer, failing t on another status than want.
func vendedGet(t *testing.T, url string, vend bool, want int) vendedAnswer {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if vend {
		req.Header.Set("X-Iceberg-Access-Delegation", "vended-credentials")
	}
	rsp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer rsp.Body.Close()
	var out vendedAnswer
	if err := json.NewDecoder(rsp.Body).Decode(&out); err != nil && rsp.StatusCode == http.StatusOK {
		t.Fatalf("GET %s: %v", url, err)
	}
	if rsp.StatusCode != want {
		t.Fatalf("GET %s: %d, want %d", url, rsp.StatusCode, want)
	}
	return out
}
