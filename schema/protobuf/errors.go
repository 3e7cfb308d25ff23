package protobuf

import "errors"

var (
	// ErrInvalidSchema is wrapped by every CompileError: the source does
	// not compile (syntax, unresolved names or imports, bad options).
	ErrInvalidSchema = errors.New("invalid protobuf schema")
	// ErrNotFound is what an Imports callback returns (wrapped or not) for
	// a path it does not know; the compiler then tries the built-in files.
	ErrNotFound = errors.New("not found")
	// ErrNoMessage means a message-index path (or a name) designates no
	// message of the file.
	ErrNoMessage = errors.New("no such message")
	// ErrDecode means a payload does not parse as the message.
	ErrDecode = errors.New("payload does not parse")
	// ErrInvalid is wrapped by every ValidationError: the payload parses
	// but breaks the schema's protovalidate rules.
	ErrInvalid = errors.New("payload fails validation")
	// ErrRules means the schema's validation rules cannot be evaluated (a
	// CEL expression that does not compile, a rule on the wrong type).
	ErrRules = errors.New("bad validation rules")
)
