package topicconfig

import (
	"errors"
	"strings"
	"testing"
)

// Every key with values it must take and values it must refuse; the test
// fails if a key is added without cases here.
var valueCases = map[string]struct{ good, bad []string }{
	CleanupPolicy:                         {[]string{"delete", "compact", "delete,compact", "compact, delete"}, []string{"", "remove", "delete;compact"}},
	RetentionMs:                           {[]string{"-1", "0", "604800000"}, []string{"-2", "soon", "1.5", ""}},
	RetentionBytes:                        {[]string{"-1", "1000"}, []string{"-2", "1k"}},
	MaxMessageBytes:                       {[]string{"0", "2048", "2147483647"}, []string{"-1", "2147483648", "big"}},
	MessageTimestampType:                  {[]string{"CreateTime", "LogAppendTime"}, []string{"createtime", "Sometimes"}},
	"compression.type":                    {[]string{"producer", "uncompressed", "gzip", "snappy", "lz4", "zstd"}, []string{"brotli"}},
	"min.insync.replicas":                 {[]string{"1", "3"}, []string{"0", "x"}},
	"segment.bytes":                       {[]string{"1", "1073741824"}, []string{"0", "4294967296"}},
	"segment.ms":                          {[]string{"1"}, []string{"0"}},
	"delete.retention.ms":                 {[]string{"0", "86400000"}, []string{"-1"}},
	"message.timestamp.difference.max.ms": {[]string{"0", "9223372036854775807"}, []string{"-1", "9223372036854775808"}},
	"unclean.leader.election.enable":      {[]string{"true", "false"}, []string{"yes", "TRUE"}},
	ValidateMode:                          {[]string{"reject", "dlq", "DLQ", " Reject "}, []string{"", "off", "sometimes"}},
	DLQTopic:                              {[]string{"orders.dlq", "a_b-c"}, []string{"", "bad topic", "..", strings.Repeat("x", 250)}},
	ArchiveKind:                           {[]string{"ICEBERG", "iceberg", "FLAT", "parquet"}, []string{"", "ICEBRG", "NONE"}},
	ArchiveTable:                          {[]string{"shop.orders", "a.b.c", " shop.orders "}, []string{"", "not a table", "orders", "shop.", ".orders", "a..b"}},
	ArchiveCatalog:                        {[]string{"local", "ext"}, []string{"", "  "}},
	CommitFreqMs:                          {[]string{"1", "60000"}, []string{"0", "-5", "soon", ""}},
	ArchiveGranularity:                    {[]string{"HOURLY", "daily", "Monthly"}, []string{"WEEKLY", "day"}},
	ArchiveRetentionMs:                    {[]string{"0", "86400000"}, []string{"-1", "a day", ""}},
}

func TestValidateEveryKey(t *testing.T) {
	for _, k := range Keys() {
		c, ok := valueCases[k.Name]
		if !ok {
			t.Errorf("key %s has no validation cases", k.Name)
			continue
		}
		if k.Default != "" {
			if err := Validate(k.Name, k.Default); err != nil {
				t.Errorf("%s: its own default %q is refused: %v", k.Name, k.Default, err)
			}
		}
		for _, v := range c.good {
			if err := Validate(k.Name, v); err != nil {
				t.Errorf("%s=%q refused: %v", k.Name, v, err)
			}
		}
		for _, v := range c.bad {
			err := Validate(k.Name, v)
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("%s=%q: err %v, want ErrInvalid", k.Name, v, err)
				continue
			}
			if want := `invalid value "` + v + `" for configuration ` + k.Name + ": "; !strings.HasPrefix(err.Error(), want) {
				t.Errorf("%s=%q: message %q, want it to start %q", k.Name, v, err, want)
			}
		}
	}
	for name := range valueCases {
		if _, ok := Lookup(name); !ok {
			t.Errorf("cases for %s, which is not a key", name)
		}
	}
}

func TestValidateUnknownKeys(t *testing.T) {
	if err := Validate("no.such.key", "1"); !errors.Is(err, ErrInvalid) || err.Error() != "unknown topic config name: no.such.key" {
		t.Errorf("unknown Kafka key: %v", err)
	}
	if err := Validate("bufstream.anything.else", "kept as given"); err != nil {
		t.Errorf("unknown bufstream key: %v", err)
	}
}

func TestCheckWholeSet(t *testing.T) {
	o := Options{Catalogs: []string{"ext"}}
	for _, c := range []struct {
		name string
		cfg  map[string]string
		want string // "" for valid; else a substring of the message
	}{
		{"empty", nil, ""},
		{"iceberg on the built-in catalog", map[string]string{ArchiveKind: "ICEBERG", ArchiveTable: "shop.orders"}, ""},
		{"iceberg on a configured catalog", map[string]string{ArchiveKind: "iceberg", ArchiveTable: "shop.orders", ArchiveCatalog: "ext", CommitFreqMs: "500"}, ""},
		{"catalog and table before the kind", map[string]string{ArchiveTable: "shop.orders", ArchiveCatalog: "ext"}, ""},
		{"bad table", map[string]string{ArchiveKind: "ICEBERG", ArchiveTable: "not a table"}, `invalid value "not a table" for configuration bufstream.archive.iceberg.table: table "not a table": want namespace.table`},
		{"unknown catalog", map[string]string{ArchiveKind: "ICEBERG", ArchiveTable: "shop.orders", ArchiveCatalog: "nosuch"}, `invalid value "nosuch" for configuration bufstream.archive.iceberg.catalog: no such Iceberg catalog (known: local, ext)`},
		{"unknown catalog, not yet iceberg", map[string]string{ArchiveCatalog: "nosuch"}, "no such Iceberg catalog"},
		{"zero commit interval", map[string]string{ArchiveKind: "ICEBERG", ArchiveTable: "shop.orders", CommitFreqMs: "0"}, `invalid value "0" for configuration bufstream.export.iceberg.commit.freq.ms: must be at least 1`},
		{"iceberg without a table", map[string]string{ArchiveKind: "ICEBERG"}, "bufstream.archive.kind=ICEBERG needs bufstream.archive.iceberg.table"},
		{"first bad key by name", map[string]string{RetentionMs: "soon", CleanupPolicy: "x"}, "configuration cleanup.policy"},
	} {
		err := o.Check(c.cfg)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: refused: %v", c.name, err)
		case c.want != "" && (!errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: err %v, want ErrInvalid saying %q", c.name, err, c.want)
		}
	}
	if err := (Options{}).Check(map[string]string{ArchiveCatalog: "ext"}); err == nil || !strings.Contains(err.Error(), "(known: local)") {
		t.Errorf("a node without external catalogs: %v", err)
	}
}

func TestDescribed(t *testing.T) {
	got := Described(map[string]string{RetentionMs: "1", "bufstream.x": "y", ArchiveKind: "ICEBERG"})
	want := map[string]bool{"bufstream.x": true, ArchiveKind: true}
	for _, k := range Keys() {
		if k.Listed {
			want[k.Name] = true
		}
	}
	if len(got) != len(want) {
		t.Fatalf("described %v, want the listed keys and the stored ones", got)
	}
	for i, name := range got {
		if !want[name] || (i > 0 && got[i-1] >= name) {
			t.Fatalf("described %v: not the listed and stored keys, sorted once each", got)
		}
	}
	for _, k := range Keys() {
		if ours := IsBufstream(k.Name) || strings.HasPrefix(k.Name, "tributary."); k.Listed == ours {
			t.Errorf("%s: listed=%v; Kafka's keys are listed, Bufstream's and Tributary's only when set", k.Name, k.Listed)
		}
	}
}
