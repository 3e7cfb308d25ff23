package catalog

import (
	"errors"
	"testing"
)

func TestWarehouseKeys(t *testing.T) {
	local, err := parseWarehouse("file:///data/wh/")
	if err != nil {
		t.Fatal(err)
	}
	s3, err := parseWarehouse("s3a://bucket/lake")
	if err != nil {
		t.Fatal(err)
	}
	if local.uri != "file:///data/wh" || s3.uri != "s3://bucket/lake" {
		t.Fatalf("normalised %q %q", local.uri, s3.uri)
	}
	for _, tc := range []struct {
		w        warehouse
		loc, key string
	}{
		{local, "file:///data/wh/ns/t/metadata/00001-a.metadata.json", "ns/t/metadata/00001-a.metadata.json"},
		{local, "file:/data/wh/ns/t/data/x.parquet", "ns/t/data/x.parquet"}, // Hadoop's form
		{local, "file://localhost/data/wh/ns/t", "ns/t"},
		{local, "/data/wh/ns/t", "ns/t"},
		{local, "file:///data/wh/ns/../ns/t", "ns/t"},
		{local, "file:///data/wh/a%20b/t", "a b/t"},
		{s3, "s3://bucket/lake/ns/t/metadata/v1.metadata.json", "ns/t/metadata/v1.metadata.json"},
		{s3, "s3a://bucket/lake/ns/t", "ns/t"},
		{s3, "S3N://bucket/lake/ns/t", "ns/t"},
	} {
		key, err := tc.w.key(tc.loc)
		if err != nil || key != tc.key {
			t.Errorf("key(%s) = %q, %v; want %q", tc.loc, key, err, tc.key)
		}
	}
	for _, tc := range []struct {
		w   warehouse
		loc string
	}{
		{local, "file:///data/whx/ns/t"},
		{local, "file:///data/wh"},
		{local, "file:///data/wh/../etc/passwd"},
		{local, "file://host/data/wh/ns/t"},
		{local, "s3://bucket/lake/ns/t"},
		{local, "relative/ns/t"},
		{local, "file:///data/wh/ns/.hidden"},
		{s3, "s3://other/lake/ns/t"},
		{s3, "s3://bucket/lakehouse/t"},
		{s3, "gs://bucket/lake/ns/t"},
		{s3, "/bucket/lake/ns/t"},
	} {
		if key, err := tc.w.key(tc.loc); !errors.Is(err, ErrBadRequest) {
			t.Errorf("key(%s) = %q, %v; want ErrBadRequest", tc.loc, key, err)
		}
	}
	if got := local.location("ns/t"); got != "file:///data/wh/ns/t" {
		t.Errorf("location = %s", got)
	}
	if got := s3.location("ns/t"); got != "s3://bucket/lake/ns/t" {
		t.Errorf("location = %s", got)
	}
	if p, err := s3.prefix("s3://bucket/lake/ns/t/"); p != "ns/t/" || err != nil {
		t.Errorf("prefix = %q %v", p, err)
	}
}

func TestNextVersion(t *testing.T) {
	for loc, want := range map[string]int{
		"s3://b/t/metadata/00000-6a3c5c4e-2b5c-4d4a-9c0e-8f6f3f3f3f3f.metadata.json":    1,
		"s3://b/t/metadata/00041-6a3c5c4e-2b5c-4d4a-9c0e-8f6f3f3f3f3f.gz.metadata.json": 42,
		"file:///t/metadata/v7.metadata.json":                                           8,
		"file:///t/metadata/custom.json":                                                1,
	} {
		if got := nextVersion(loc); got != want {
			t.Errorf("nextVersion(%s) = %d, want %d", loc, got, want)
		}
	}
}

func TestSafeSegment(t *testing.T) {
	for in, want := range map[string]string{
		"events": "events", "a b/c": "a_b_c", ".hidden": "_hidden", "v1.2-x_y": "v1.2-x_y", "é": "_", "a%2F": "a_2F",
	} {
		if got := safeSegment(in); got != want {
			t.Errorf("safeSegment(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMetadataCodecs(t *testing.T) {
	raw := []byte(`{"format-version":2}`)
	for _, codec := range []string{"none", "gzip", "zstd", ""} {
		b, err := compress(raw, codec)
		if err != nil {
			t.Fatal(codec, err)
		}
		back, err := decompress(b)
		if err != nil || string(back) != string(raw) {
			t.Errorf("%s: %q %v", codec, back, err)
		}
	}
	if _, err := compress(raw, "lz4"); !errors.Is(err, ErrBadRequest) {
		t.Errorf("unknown codec: %v", err)
	}
}
