package buildinfo

import (
	"runtime"
	"runtime/debug"
	"testing"
)

func TestFromStampedBuild(t *testing.T) {
	bi := &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "github.com/tributary-io/tributary", Version: "v0.1.0"},
		Settings: []debug.BuildSetting{
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: "fe0d37b0123456789"},
			{Key: "vcs.modified", Value: "false"},
		},
	}
	got := From(bi)
	want := Info{Version: "v0.1.0", Commit: "fe0d37b0123456789", GoVersion: "go1.26.8"}
	if got != want {
		t.Fatalf("From = %+v, want %+v", got, want)
	}
	if s := got.String(); s != "tributary v0.1.0 (commit fe0d37b0123456789, go1.26.8)" {
		t.Fatalf("String = %q", s)
	}
}

func TestFromModifiedCheckout(t *testing.T) {
	bi := &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "github.com/tributary-io/tributary", Version: "(devel)"},
		Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "abc"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	got := From(bi)
	if got.Version != DevelVersion || got.Commit != "abc-modified" || !got.Modified {
		t.Fatalf("From = %+v, want (devel), abc-modified, modified", got)
	}
}

func TestFromNothingStamped(t *testing.T) {
	for _, bi := range []*debug.BuildInfo{nil, {}} {
		got := From(bi)
		want := Info{Version: DevelVersion, Commit: UnknownCommit, GoVersion: runtime.Version()}
		if got != want {
			t.Fatalf("From(%v) = %+v, want %+v", bi, got, want)
		}
	}
}
