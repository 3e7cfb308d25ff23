package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/tributary-io/tributary/internal/buildinfo"
)

// errHelp is what a command returns once it printed its usage to stdout
// because -h or --help was asked for; run turns it into success (exit 0).
var errHelp = errors.New("help shown")

// newFlagSet is a command's flag set: ContinueOnError, and a usage that
// starts with the command's synopsis.
func newFlagSet(name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		// Output is parseFlags' buffer: writing to it cannot fail.
		_, _ = fmt.Fprintf(fs.Output(), "usage: tributary %s %s\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args into fs. Asked for help (-h, -help, --help), it
// prints the usage to stdout and returns errHelp; on a bad flag it prints
// the complaint and the usage to stderr and returns the error.
func parseFlags(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) error {
	var out bytes.Buffer
	fs.SetOutput(&out)
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		if _, werr := stdout.Write(out.Bytes()); werr != nil {
			return werr
		}
		return errHelp
	case err != nil:
		_, _ = stderr.Write(out.Bytes()) // the error is returned; a failed write to stderr has nowhere to go
		return err
	}
	return nil
}

// versionCmd runs `tributary version` (and `tributary --version`): one line
// with the version, commit and Go version of this binary.
func versionCmd(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("version", "\n\nprints the version, VCS commit and Go version this binary was built from")
	if err := parseFlags(fs, args, stdout, stderr); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("version: unexpected argument %q", fs.Arg(0))
	}
	_, err := fmt.Fprintln(stdout, buildinfo.Read())
	return err
}
