// Package buildinfo says which build is running: the module version, the
// VCS commit and the Go version, as the Go toolchain stamped them into the
// binary (runtime/debug.ReadBuildInfo). Nothing is set by -ldflags.
//
// Contract: Read never fails. A field the toolchain did not stamp has a
// stated placeholder: Version "(devel)" (a build from a checkout, as the
// toolchain itself says), Commit "unknown" (no VCS information: go run, a
// test binary, or -buildvcs=false). A build from a tree with uncommitted
// changes has Modified set and its Commit ends in "-modified".
package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Placeholders for what the build did not record.
const (
	DevelVersion  = "(devel)"
	UnknownCommit = "unknown"
)

// Info is what a binary knows about its own build.
type Info struct {
	Version   string // module version ("v0.1.0"), or DevelVersion
	Commit    string // vcs.revision, "-modified" appended when Modified; or UnknownCommit
	Modified  bool   // vcs.modified: built from a tree with uncommitted changes
	GoVersion string // the Go toolchain that built it ("go1.26.8")
}

// Read returns the running binary's build info.
func Read() Info {
	bi, _ := debug.ReadBuildInfo() // nil when not ok; From gives the placeholders
	return From(bi)
}

// From extracts Info from bi; a nil bi gives the placeholders and the
// running Go version.
func From(bi *debug.BuildInfo) Info {
	in := Info{Version: DevelVersion, Commit: UnknownCommit, GoVersion: runtime.Version()}
	if bi == nil {
		return in
	}
	if v := bi.Main.Version; v != "" {
		in.Version = v
	}
	if bi.GoVersion != "" {
		in.GoVersion = bi.GoVersion
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			if s.Value != "" {
				in.Commit = s.Value
			}
		case "vcs.modified":
			in.Modified = s.Value == "true"
		}
	}
	if in.Modified && in.Commit != UnknownCommit {
		in.Commit += "-modified"
	}
	return in
}

// String is the one line `tributary version` prints.
func (in Info) String() string {
	return fmt.Sprintf("tributary %s (commit %s, %s)", in.Version, in.Commit, in.GoVersion)
}
