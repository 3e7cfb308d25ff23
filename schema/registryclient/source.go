package registryclient

import "context"

// Schema is a schema as the registry stores it under an id.
type Schema struct {
	// Type is "PROTOBUF", "AVRO" or "JSON" (an empty type is Avro, as
	// in Confluent's API).
	Type       string
	Text       string
	References []Reference
}

// Reference names another subject's version a schema imports.
type Reference struct {
	Name    string // the import path
	Subject string
	Version int
}

// TypeProtobuf is Schema.Type of a Protobuf schema.
const TypeProtobuf = "PROTOBUF"

// Source answers the lookups a Client makes. Not-found answers wrap
// ErrNotFound.
type Source interface {
	// SchemaByID is the schema registered under id (soft-deleted versions
	// keep it readable).
	SchemaByID(ctx context.Context, id int) (Schema, error)
	// SchemaByVersion is the schema of a subject's version.
	SchemaByVersion(ctx context.Context, subject string, version int) (Schema, error)
	// SubjectsOfID lists the subjects with a live version of id.
	SubjectsOfID(ctx context.Context, id int) ([]string, error)
	// SubjectVersions lists a subject's live versions; a subject with none
	// is ErrNotFound.
	SubjectVersions(ctx context.Context, subject string) ([]int, error)
}
