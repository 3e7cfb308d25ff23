package protobuf

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	// Links buf/validate/validate.proto into protoregistry.GlobalFiles and
	// its extensions into GlobalTypes (protovalidate reads rules through
	// them).
	_ "buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go/buf/validate"
	"github.com/bufbuild/protocompile"
	"github.com/bufbuild/protocompile/reporter"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// DefaultPath is the file name a schema is compiled under when Compile gets
// none; it is what compile errors show.
const DefaultPath = "schema.proto"

// maxProblems is how many errors a compile reports before it stops.
const maxProblems = 20

// Imports returns the source text of the file imported as path (a Confluent
// reference's name). It returns an error wrapping ErrNotFound for a path it
// does not know; any other error aborts the compile and is returned as is.
type Imports func(path string) (string, error)

// MapImports serves imports from a map of import path to source text.
func MapImports(m map[string]string) Imports {
	return func(path string) (string, error) {
		if src, ok := m[path]; ok {
			return src, nil
		}
		return "", ErrNotFound
	}
}

// Compile compiles a .proto source, named path (DefaultPath when empty),
// resolving its imports through imports (nil: none but the built-in files).
// Failures of the source are a *CompileError; a failure of imports other
// than ErrNotFound, or ctx's, is returned as is.
func Compile(ctx context.Context, path, source string, imports Imports) (protoreflect.FileDescriptor, error) {
	if path == "" {
		path = DefaultPath
	}
	return compile(ctx, path, func() protocompile.SearchResult { return sourceResult(source) }, imports)
}

// compile compiles the file main finds (a source, or a descriptor not yet
// linked) under path.
func compile(ctx context.Context, path string, main func() protocompile.SearchResult, imports Imports) (protoreflect.FileDescriptor, error) {
	var problems []Problem
	c := protocompile.Compiler{
		Resolver: resolver(path, main, imports),
		Reporter: reporter.NewReporter(func(e reporter.ErrorWithPos) error {
			problems = append(problems, problemOf(e))
			if len(problems) >= maxProblems {
				return e
			}
			return nil
		}, nil),
	}
	files, err := c.Compile(ctx, path)
	if err == nil {
		return files[0], nil
	}
	if ie := (*importError)(nil); errors.As(err, &ie) {
		return nil, fmt.Errorf("import %q: %w", ie.path, ie.err)
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return nil, compileError(problems, err)
}

// compileError makes the CompileError for a failed compile: the problems
// the reporter saw, plus err itself when it is not one of them.
func compileError(problems []Problem, err error) *CompileError {
	var ewp reporter.ErrorWithPos
	if errors.As(err, &ewp) {
		p := problemOf(ewp)
		seen := false
		for _, q := range problems {
			seen = seen || q == p
		}
		if !seen {
			problems = append(problems, p)
		}
	} else if len(problems) == 0 || !errors.Is(err, reporter.ErrInvalidSource) {
		problems = append(problems, Problem{Message: err.Error()})
	}
	return &CompileError{Problems: problems}
}

func problemOf(e reporter.ErrorWithPos) Problem {
	pos := e.GetPosition()
	return Problem{File: pos.Filename, Line: pos.Line, Col: pos.Col, Message: e.Unwrap().Error()}
}

// importError carries a failure of the caller's Imports through the
// compiler, so that Compile can tell it from a bad source.
type importError struct {
	path string
	err  error
}

func (e *importError) Error() string { return e.err.Error() }
func (e *importError) Unwrap() error { return e.err }

// resolver finds files in this order: the schema itself; google/protobuf/*
// and buf/validate/validate.proto from the Go registry; the caller's
// imports; the other built-in sources.
func resolver(path string, main func() protocompile.SearchResult, imports Imports) protocompile.Resolver {
	return protocompile.ResolverFunc(func(p string) (protocompile.SearchResult, error) {
		if p == path {
			return main(), nil
		}
		if linkedAlways(p) {
			if fd, err := protoregistry.GlobalFiles.FindFileByPath(p); err == nil {
				return protocompile.SearchResult{Desc: fd}, nil
			}
		}
		if imports != nil {
			src, err := imports(p)
			switch {
			case err == nil:
				return sourceResult(src), nil
			case !errors.Is(err, ErrNotFound):
				return protocompile.SearchResult{}, &importError{path: p, err: err}
			}
		}
		if src, ok := builtinSources[p]; ok {
			return sourceResult(src), nil
		}
		return protocompile.SearchResult{}, fmt.Errorf("import %q: %w (not among the schema's references)", p, ErrNotFound)
	})
}

func sourceResult(src string) protocompile.SearchResult {
	return protocompile.SearchResult{Source: io.NopCloser(strings.NewReader(src))}
}

// linkedAlways reports whether path names a file every schema must share
// with the binary: the well-known types and protovalidate's rules.
func linkedAlways(path string) bool {
	return strings.HasPrefix(path, "google/protobuf/") || path == "buf/validate/validate.proto"
}
