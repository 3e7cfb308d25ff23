package topicconfig

import (
	"errors"
	"reflect"
	"strconv"
	"testing"
	"time"
)

func TestParseDefaults(t *testing.T) {
	want := Settings{
		RetentionMs: 604800000, RetentionBytes: -1, Deletes: true,
		Archive: Archive{Kind: "FLAT", Catalog: LocalCatalog, Granularity: Daily, Err: nil},
	}
	got := Parse(nil)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Parse(nil) = %+v\nwant %+v", got, want)
	}
	if got.Archive.Iceberg() || got.Validation.Mode != ModeNone {
		t.Fatalf("defaults: iceberg=%v mode=%v", got.Archive.Iceberg(), got.Validation.Mode)
	}
}

func TestParseSetValues(t *testing.T) {
	got := Parse(map[string]string{
		RetentionMs: "-1", RetentionBytes: "1000", CleanupPolicy: "compact", MaxMessageBytes: "2048",
		MessageTimestampType: "LogAppendTime", ValidateMode: " DLQ", DLQTopic: "bad-orders",
		ArchiveKind: "iceberg", ArchiveTable: " shop.eu.orders ", ArchiveCatalog: "ext",
		CommitFreqMs: "250", ArchiveGranularity: "hourly",
	})
	want := Settings{
		RetentionMs: -1, RetentionBytes: 1000, Compacts: true, MaxMessageBytes: 2048, LogAppendTime: true,
		Validation: Validation{Mode: ModeDLQ, DLQTopic: "bad-orders"},
		Archive: Archive{Kind: "ICEBERG", Catalog: "ext", Table: "shop.eu.orders", Ident: []string{"shop", "eu", "orders"},
			CommitInterval: 250 * time.Millisecond, Granularity: Hourly},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
	if got.Validation.DeadLetterTopic("orders") != "bad-orders" || (Validation{}).DeadLetterTopic("orders") != "orders.dlq" {
		t.Fatal("dead-letter topic: the configured one, else <topic>.dlq")
	}
	if st := Parse(map[string]string{CleanupPolicy: "delete,compact"}); !st.Deletes || !st.Compacts {
		t.Fatalf("delete,compact: %+v", st)
	}
}

// Values stored before they were validated fall back to the default; an
// Iceberg topic's bad archive values are reported in Archive.Err.
func TestParseBadStoredValuesFallBack(t *testing.T) {
	st := Parse(map[string]string{
		RetentionMs: "soon", RetentionBytes: "-7", CleanupPolicy: "shred", MaxMessageBytes: "huge",
		MessageTimestampType: "Sometimes", ValidateMode: "sometimes", ArchiveKind: "ICEBRG",
	})
	if st.RetentionMs != 604800000 || st.RetentionBytes != -1 || !st.Deletes || st.Compacts ||
		st.MaxMessageBytes != 0 || st.LogAppendTime || st.Validation.Mode != ModeInvalid || st.Archive.Kind != "FLAT" {
		t.Fatalf("bad values did not fall back to defaults: %+v", st)
	}
	for _, c := range []struct {
		cfg  map[string]string
		want string
	}{
		{map[string]string{ArchiveKind: "ICEBERG", ArchiveTable: "not a table"}, `bufstream.archive.iceberg.table: table "not a table": want namespace.table`},
		{map[string]string{ArchiveKind: "ICEBERG"}, `bufstream.archive.iceberg.table: table "": want namespace.table`},
		{map[string]string{ArchiveKind: "ICEBERG", ArchiveTable: "a.b", CommitFreqMs: "0"}, `bufstream.export.iceberg.commit.freq.ms="0": want a positive number of milliseconds`},
		{map[string]string{ArchiveKind: "ICEBERG", ArchiveTable: "a.b", ArchiveGranularity: "WEEKLY"}, `bufstream.archive.parquet.granularity: partition granularity "WEEKLY": want HOURLY, DAILY or MONTHLY`},
	} {
		a := Parse(c.cfg).Archive
		if !a.Iceberg() || !errors.Is(a.Err, ErrInvalid) || a.Err.Error() != c.want {
			t.Errorf("%v: iceberg=%v err %v, want %q", c.cfg, a.Iceberg(), a.Err, c.want)
		}
	}
	if a := Parse(map[string]string{ArchiveTable: "not a table"}).Archive; a.Err != nil {
		t.Errorf("a topic that is not Iceberg reports no archive error: %v", a.Err)
	}
}

func TestDefaultCommitIntervalIsTheKeysDefault(t *testing.T) {
	k, _ := Lookup(CommitFreqMs)
	if ms, _ := strconv.ParseInt(k.Default, 10, 64); time.Duration(ms)*time.Millisecond != DefaultCommitInterval {
		t.Fatalf("%s default %s, DefaultCommitInterval %v", CommitFreqMs, k.Default, DefaultCommitInterval)
	}
}

// Parse runs once per topic load, not per request; this keeps it honest.
func BenchmarkParse(b *testing.B) {
	cfg := map[string]string{RetentionMs: "3600000", CleanupPolicy: "delete", ValidateMode: "reject",
		ArchiveKind: "ICEBERG", ArchiveTable: "shop.orders", CommitFreqMs: "1000"}
	for b.Loop() {
		_ = Parse(cfg)
	}
}

// Table maintenance reads its per-topic retention from the parsed
// settings; maintenance had its own parser before topicconfig owned it.
func TestArchiveRetention(t *testing.T) {
	base := map[string]string{ArchiveKind: "ICEBERG", ArchiveTable: "shop.orders"}
	if r := Parse(base).Archive.Retention; r != 0 {
		t.Fatalf("unset retention = %v, want 0 (off)", r)
	}
	base[ArchiveRetentionMs] = "86400000"
	if a := Parse(base).Archive; a.Retention != 24*time.Hour || a.Err != nil {
		t.Fatalf("retention = %v (err %v), want 24h", a.Retention, a.Err)
	}
	base[ArchiveRetentionMs] = "-3"
	if a := Parse(base).Archive; a.Retention != 0 || a.Err == nil {
		t.Fatalf("bad stored retention: %v, err %v; want 0 and an error", a.Retention, a.Err)
	}
}
