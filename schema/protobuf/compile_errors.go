package protobuf

import (
	"fmt"
	"strings"
)

// CompileError is a schema that does not compile: one Problem per error
// found (at most 20). It wraps ErrInvalidSchema.
type CompileError struct {
	Problems []Problem
}

// Problem is one compile error at a place in a source file. File is empty
// (and Line, Col zero) when the error has no position.
type Problem struct {
	File      string
	Line, Col int
	Message   string
}

// String formats the problem as file:line:col: message.
func (p Problem) String() string {
	if p.File == "" {
		return p.Message
	}
	return fmt.Sprintf("%s:%d:%d: %s", p.File, p.Line, p.Col, p.Message)
}

// Error joins the problems with "; ".
func (e *CompileError) Error() string {
	s := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		s[i] = p.String()
	}
	return strings.Join(s, "; ")
}

// Unwrap makes errors.Is(err, ErrInvalidSchema) true.
func (e *CompileError) Unwrap() error { return ErrInvalidSchema }
