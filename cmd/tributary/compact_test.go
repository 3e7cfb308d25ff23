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
		"--dry-run", "--expire-older-than", "2h", "--remove-orphans", "--orphans-older-than", "96h"}, io.Discard, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(f.tables, []string{"a.b", "c.d", "e.f"}) || f.targetSize != 64*config.MiB || !f.dryRun ||
		f.expireOlderThan != 2*time.Hour || !f.removeOrphans || f.orphansOlderThan != 96*time.Hour || f.catalog != "local" {
		t.Fatalf("%+v", f)
	}
	for _, bad := range [][]string{
		{},                                   // no table
		{"--all", "extra"},                   // stray argument
		{"--all", "--target-file-size", "x"}, // not a size
		{"--all", "--expire-older-than", "-1h"},
	} {
		if _, err := parseCompactFlags(bad, io.Discard, io.Discard); err == nil {
			t.Errorf("%s: no error", strings.Join(bad, " "))
		}
	}
}
