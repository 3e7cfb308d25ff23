package main

import (
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tributary-io/tributary/config"
)

func TestCompactFlags(t *testing.T) {
	f, err := parseCompactFlags([]string{"--table", "a.b,c.d", "--table", "e.f", "--target-file-size", "64MiB",
		"--dry-run", "--expire-older-than", "2h", "--remove-orphans", "--orphans-older-than", "96h",
		"--thin-after", "10m", "--thin-interval", "1h"}, io.Discard, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(f.tables, []string{"a.b", "c.d", "e.f"}) || f.targetSize != 64*config.MiB || !f.dryRun ||
		f.expireOlderThan != 2*time.Hour || !f.removeOrphans || f.orphansOlderThan != 96*time.Hour || f.catalog != "local" ||
		f.thinAfter != 10*time.Minute || f.thinInterval != time.Hour || f.noThin {
		t.Fatalf("%+v", f)
	}
	if o := f.options(nil); o.ThinAfter != 10*time.Minute || o.ThinInterval != time.Hour || o.OrphanOlderThan != 96*time.Hour {
		t.Fatalf("options %+v", o)
	}
	nothin, err := parseCompactFlags([]string{"--all", "--no-thin", "--orphans-older-than", "0"}, io.Discard, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o := nothin.options(nil); o.ThinInterval >= 0 || o.OrphanOlderThan >= 0 {
		t.Fatalf("--no-thin --orphans-older-than 0: options %+v, want thinning off and no orphan window", o)
	}
	for _, bad := range [][]string{
		{},                                   // no table
		{"--all", "extra"},                   // stray argument
		{"--all", "--target-file-size", "x"}, // not a size
		{"--all", "--expire-older-than", "-1h"},
		{"--all", "--thin-interval", "-1m"},
		{"--all", "--no-thin", "--thin-after", "1m"}, // contradiction
	} {
		if _, err := parseCompactFlags(bad, io.Discard, io.Discard); err == nil {
			t.Errorf("%s: no error", strings.Join(bad, " "))
		}
	}
}
