package registryclient

import (
	"errors"
	"fmt"
)

// Sentinels. Client.Schema's errors wrap exactly one of them.
var (
	// ErrNotFound: the registry says the id, subject or version does not
	// exist.
	ErrNotFound = errors.New("not found")
	// ErrNotProtobuf: the id is a schema of another type (Avro, JSON).
	ErrNotProtobuf = errors.New("not a protobuf schema")
	// ErrCompile: the schema text (with its references) does not compile.
	ErrCompile = errors.New("schema does not compile")
	// ErrUnavailable: the registry did not answer (down, slow, refusing
	// the credentials, answering nonsense).
	ErrUnavailable = errors.New("schema registry unavailable")
)

// lookupError is a failure of kind (one of the sentinels) whose message is
// msg alone: enforcement and ingest put it in front of people, where the
// sentinel's words would only repeat what msg says.
type lookupError struct {
	kind error
	msg  string
}

func (e *lookupError) Error() string { return e.msg }
func (e *lookupError) Unwrap() error { return e.kind }

// failure is a lookupError of kind with a formatted message.
func failure(kind error, format string, args ...any) error {
	return &lookupError{kind: kind, msg: fmt.Sprintf(format, args...)}
}
