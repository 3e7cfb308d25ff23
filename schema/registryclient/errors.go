package registryclient

import "errors"

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
