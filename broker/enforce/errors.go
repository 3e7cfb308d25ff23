package enforce

import "errors"

// Sentinels. A failed check of a record's key or value wraps exactly one
// of the first four (see Failure); ErrConfig is a config that cannot work.
var (
	// ErrNoSchema: the element carries no schema reference — neither the
	// Confluent wire format (magic byte 0 and a schema id) nor a
	// __key_schema_id / __value_schema_id header. on_no_schema applies.
	ErrNoSchema = errors.New("no schema")
	// ErrParse: the element names a schema but does not parse with it —
	// a malformed envelope, an id the registry does not know, a schema
	// that is not Protobuf or does not belong to the topic's subject, a
	// message-index path naming no message, or bytes that do not decode
	// as the message. on_parse_error applies.
	ErrParse = errors.New("parse error")
	// ErrInvalid: the element parses but breaks the protovalidate rules
	// its schema carries. validation.on_error applies.
	ErrInvalid = errors.New("validation error")
	// ErrInternal: the check could not be made — the registry is down,
	// slow or answers nonsense, or its schema does not compile here.
	// on_internal_error applies.
	ErrInternal = errors.New("internal error")

	// ErrConfig is an enforcement config that cannot work.
	ErrConfig = errors.New("enforce: bad config")
)
