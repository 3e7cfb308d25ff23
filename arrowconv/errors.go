package arrowconv

import "errors"

// Errors from Append wrap one of these, so a caller can tell a payload
// that is not Protobuf at all from one that is well-formed but breaks a
// rule this package enforces. Either way the builders are left as they
// were and the caller records the payload as an error row.
var (
	// ErrMalformed: the bytes are not a valid wire encoding of the
	// message (truncated varint or length, bad tag, unbalanced group).
	ErrMalformed = errors.New("malformed protobuf")
	// ErrInvalidUTF8: a string field holds bytes that are not UTF-8. The
	// Iceberg string type is UTF-8, so this is refused for every syntax,
	// proto2 included (where proto.Unmarshal lets it through).
	ErrInvalidUTF8 = errors.New("string field is not valid UTF-8")
	// ErrRequiredMissing: a proto2 required field is absent.
	ErrRequiredMissing = errors.New("required field missing")
	// ErrOutOfRange: a google.protobuf.Timestamp or Duration outside the
	// range its definition allows (as protojson refuses it too).
	ErrOutOfRange = errors.New("value out of range")
	// ErrJSON: a field mapped to a JSON string (Struct, Value, ListValue,
	// a message cut at the recursion limit) could not be rendered by
	// protojson, e.g. a Value number that is NaN.
	ErrJSON = errors.New("cannot render field as JSON")

	// ErrUnsupported is returned by Schema and NewConverter for a
	// descriptor this package cannot map (a message-set wire format, a
	// field name clashing with a reserved column name).
	ErrUnsupported = errors.New("unsupported protobuf descriptor")
)
