package enforce

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/tributary-io/tributary/log/recordbatch"
	"github.com/tributary-io/tributary/schema/protobuf"
	"github.com/tributary-io/tributary/schema/wire"
)

// checker checks the records of one batch. It keeps the scratch one record
// needs (the envelope, the last codec) so that a stream of records in one
// schema parses without allocating. Not safe for concurrent use: one per
// batch being checked.
type checker struct {
	reg   *registryClient
	frame wire.Frame

	// The last codec found, for the next record with the same envelope.
	lastID      int
	lastIndexes []int
	lastCodec   *protobuf.Codec
	lastSubject string // the subject lastID was found in, "" if none yet

	counts checkCounts // the checks made, for metrics.flush
}

// verdict is what the checks of one record decided.
type verdict struct {
	act action
	err error // the failure that decided act (nil: all checks passed)
}

// record checks r's key and value against keys and values (nil: not
// checked) and returns the stronger verdict. c.counts counts every check.
func (c *checker) record(ctx context.Context, r *recordbatch.Record, keys, values *element) verdict {
	var v verdict
	for _, el := range [2]*element{keys, values} {
		if el == nil {
			continue
		}
		data := r.Value
		if el.isKey {
			data = r.Key
		}
		err := c.element(ctx, el, data, schemaHeader(r.Headers, el.isKey))
		c.counts.checked(el, err)
		if err == nil {
			continue
		}
		if a := el.actionFor(err); v.err == nil || a > v.act {
			v = verdict{act: a, err: fmt.Errorf("%s: %w", el.what(), err)}
		}
	}
	return v
}

// actionFor is the element's action for a failed check.
func (el *element) actionFor(err error) action {
	switch {
	case errors.Is(err, ErrNoSchema):
		return el.onNoSchema
	case errors.Is(err, ErrParse):
		return el.onParse
	case errors.Is(err, ErrInvalid):
		return el.onInvalid
	default:
		return el.onInternal
	}
}

// schemaHeader is the value of the last __key_schema_id /
// __value_schema_id header with a non-null value, nil if none (as
// Confluent's DualSchemaIdDeserializer reads it).
func schemaHeader(hs []recordbatch.RecordHeader, isKey bool) []byte {
	name := wire.HeaderName(isKey)
	for i := len(hs) - 1; i >= 0; i-- {
		if hs[i].Value != nil && string(hs[i].Key) == name {
			return hs[i].Value
		}
	}
	return nil
}

// element checks one key or value: nil, or an error wrapping ErrNoSchema,
// ErrParse, ErrInvalid or ErrInternal whose text names what failed. A null
// element is never checked (tombstones and key-less records pass).
func (c *checker) element(ctx context.Context, el *element, data, header []byte) error {
	if data == nil {
		return nil
	}
	if header == nil && (len(data) == 0 || data[0] != wire.MagicID) {
		return fmt.Errorf("%w: not in the Confluent wire format (magic byte 0, schema id) and no %s header", ErrNoSchema, wire.HeaderName(el.isKey))
	}
	if err := parseFrame(&c.frame, header, data); err != nil {
		return fmt.Errorf("%w: %v", ErrParse, err)
	}
	if c.frame.HasGUID {
		return fmt.Errorf("%w: the %s header carries a schema GUID; only 4-byte schema ids are supported", ErrParse, wire.HeaderName(el.isKey))
	}
	codec, err := c.codec(ctx, el)
	if err != nil {
		return err
	}
	if el.skipParse {
		return nil
	}
	if !el.validate {
		return parseOnly(codec, c.frame.Payload)
	}
	switch err := codec.Check(c.frame.Payload); {
	case err == nil:
		return nil
	case errors.Is(err, protobuf.ErrDecode):
		return fmt.Errorf("%w: %v", ErrParse, err)
	case errors.Is(err, protobuf.ErrInvalid):
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	default:
		return fmt.Errorf("%w: %v", ErrInternal, err)
	}
}

// parseFrame is wire.ParseRecordInto, the commonest frame decided here:
// no header, magic byte 0, the schema id and the abbreviated message-index
// path [0] (one byte 0). FuzzParseFrame holds it to wire.ParseRecordInto.
func parseFrame(f *wire.Frame, header, data []byte) error {
	if header == nil && len(data) > wire.PrefixLen && data[0] == wire.MagicID && data[wire.PrefixLen] == 0 {
		*f = wire.Frame{
			ID:      int(int32(binary.BigEndian.Uint32(data[1:wire.PrefixLen]))),
			Indexes: append(f.Indexes[:0], 0),
			Payload: data[wire.PrefixLen+1:],
		}
		return nil
	}
	return wire.ParseRecordInto(f, header, data)
}

// parseOnly checks that payload parses, without running the rules (nor
// building the message: Verify scans the wire format).
func parseOnly(codec *protobuf.Codec, payload []byte) error {
	if err := codec.Verify(payload); err != nil {
		return fmt.Errorf("%w: %v", ErrParse, err)
	}
	return nil
}

// codec finds the codec of the parsed frame and checks that it is what
// the element allows: a version of its subject, or its named message.
func (c *checker) codec(ctx context.Context, el *element) (*protobuf.Codec, error) {
	f := &c.frame
	codec := c.lastCodec
	if codec == nil || f.ID != c.lastID || !slices.Equal(f.Indexes, c.lastIndexes) {
		var err error
		if codec, err = c.reg.codec(ctx, f.ID, f.Indexes); err != nil {
			return nil, err
		}
		if f.ID != c.lastID {
			c.lastSubject = ""
		}
		c.lastID, c.lastIndexes, c.lastCodec = f.ID, append(c.lastIndexes[:0], f.Indexes...), codec
	}
	if el.message != "" {
		if string(codec.Desc.FullName()) != el.message {
			return nil, fmt.Errorf("%w: schema id %d, message indexes %v hold %s, the policy wants %s",
				ErrParse, f.ID, f.Indexes, codec.Desc.FullName(), el.message)
		}
		return codec, nil
	}
	if c.lastSubject == el.subject {
		return codec, nil
	}
	ok, err := c.reg.inSubject(ctx, f.ID, el.subject)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%w: schema id %d is not a version of subject %s", ErrParse, f.ID, el.subject)
	}
	c.lastSubject = el.subject
	return codec, nil
}
