package protobuf

import (
	"errors"
	"fmt"
	"sync"

	"buf.build/go/protovalidate"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
)

// Schema is a compiled schema file ready to read records: it hands out one
// Codec per message, sharing one protovalidate validator (and its CEL
// environment) among them. Safe for concurrent use.
type Schema struct {
	// ID is the registry id the schema was loaded under (0 when made by
	// NewSchema).
	ID int
	// File is the compiled file.
	File protoreflect.FileDescriptor

	vOnce     sync.Once
	validator protovalidate.Validator
	vErr      error

	codecs sync.Map // protoreflect.MessageDescriptor → *Codec
}

// NewSchema wraps a compiled file (from Compile) for decoding and
// validation.
func NewSchema(fd protoreflect.FileDescriptor) *Schema {
	return &Schema{File: fd}
}

// Codec returns the codec of the message a Confluent message-index path
// designates (empty: the first message).
func (s *Schema) Codec(indexes []int) (*Codec, error) {
	md, err := MessageByIndexes(s.File, indexes)
	if err != nil {
		return nil, err
	}
	return s.CodecFor(md)
}

// CodecFor returns the codec of md, a message of s.File or of its imports.
// Building one checks that the message's validation rules evaluate; a rule
// that cannot is ErrRules, reported here rather than on the first record.
func (s *Schema) CodecFor(md protoreflect.MessageDescriptor) (*Codec, error) {
	if c, ok := s.codecs.Load(md); ok {
		return c.(*Codec), nil
	}
	s.vOnce.Do(func() {
		s.validator, s.vErr = protovalidate.New()
	})
	if s.vErr != nil {
		return nil, fmt.Errorf("%w: validator: %w", ErrRules, s.vErr)
	}
	c := &Codec{
		Desc:      md,
		typ:       dynamicpb.NewMessageType(md),
		validator: s.validator,
		plan:      planFor(md),
		scan:      scanner{}.message(md),
	}
	if c.plan.rules {
		if c.fast = fastRulesFor(md); c.fast != nil {
			c.vopts = []protovalidate.ValidationOption{protovalidate.WithFilter(c.fast)}
		}
	}
	if c.plan.rules && !c.plan.decodeToVerify {
		c.flat = flatFor(md)
	}
	if err := c.probe(); err != nil {
		return nil, err
	}
	got, _ := s.codecs.LoadOrStore(md, c)
	return got.(*Codec), nil
}

// Codec decodes and validates payloads of one message type, as dynamicpb
// messages, or verifies that they parse without decoding them (Verify).
// Safe for concurrent use.
//
// Why not hyperpb, Buf's parser that is about ten times faster: fuzzing
// (FuzzCheck) found a 10-byte payload that crashes v0.1.3 with a SIGSEGV,
// which no recover can catch; a broker parses untrusted bytes, so it uses
// the Go runtime's own parser. The crasher stays in the fuzz corpus
// (testdata/fuzz/FuzzCheck) for whoever tries again. v0.1.3 is still the
// only version the Go module proxy serves (December 2026). Check's own
// flat message (flat.go) takes its place on the per-record path.
type Codec struct {
	// Desc is the message.
	Desc protoreflect.MessageDescriptor

	typ       protoreflect.MessageType
	validator protovalidate.Validator
	plan      plan
	scan      *scanMsg
	flat      *flatType                        // nil: Check decodes with dynamicpb (flat.go)
	fast      *fastRules                       // fast paths of some string rules (fastrules.go), nil if none
	vopts     []protovalidate.ValidationOption // for Validate: fast's filter
}

// New returns an empty message of the codec's type (dynamicpb).
func (c *Codec) New() proto.Message {
	return c.typ.New().Interface()
}

// Decode parses payload as the codec's message (a dynamicpb message, which
// copies what it keeps: payload may be reused). Unknown fields are kept; a
// missing proto2 required field, invalid UTF-8 in a proto3 string or a
// malformed encoding is ErrDecode.
func (c *Codec) Decode(payload []byte) (proto.Message, error) {
	m := c.New()
	if err := unmarshalGuarded(payload, m); err != nil {
		return nil, fmt.Errorf("%w as %s: %w", ErrDecode, c.Desc.FullName(), err)
	}
	return m, nil
}

// unmarshalGuarded is proto.Unmarshal for a producer's bytes. Some malformed
// inputs make protobuf-go v1.36.12 panic in its map decoding ("type
// mismatch: cannot convert nil to map key"; arrowconv's FuzzAppend found
// one) where it should return an error: that is a bad record, and must not
// take the broker down.
func unmarshalGuarded(payload []byte, m proto.Message) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("protobuf decoder panicked: %v", p)
		}
	}()
	return proto.Unmarshal(payload, m)
}

// Validate runs the protovalidate rules of m's message (m must be of the
// codec's type). Broken rules are a *ValidationError.
func (c *Codec) Validate(m proto.Message) error {
	err := c.validator.Validate(m, c.vopts...)
	if err == nil {
		return nil
	}
	if ve := (*protovalidate.ValidationError)(nil); errors.As(err, &ve) {
		return validationError(ve)
	}
	return fmt.Errorf("%w in %s: %w", ErrRules, c.Desc.FullName(), err)
}

// Check decodes payload and validates it: nil, ErrDecode, a
// *ValidationError (ErrInvalid) or ErrRules. It is the broker's per-record
// call. When no type the message reaches carries validation rules, Check
// is Verify: the same verdict without building the message.
//
// When the message's types allow (flat.go), a payload that Verify accepts
// is decoded into a flat message rather than a dynamicpb one, for the
// same verdict at a fraction of the cost; everything else, failures to
// parse included (for their error text), goes through Decode.
func (c *Codec) Check(payload []byte) error {
	if !c.plan.rules {
		return c.Verify(payload)
	}
	if c.flat != nil {
		if ok, err := c.checkFlat(payload); ok {
			return err
		}
	}
	m, err := c.Decode(payload)
	if err != nil {
		return err
	}
	return c.Validate(m)
}

// checkFlat is Check on a flat message: ok false when the payload does
// not parse or the flat path declined or failed it, for Check to decide
// with dynamicpb. A panic (a bug of the flat message or of what reads it)
// is that fallback too, not the process's end.
func (c *Codec) checkFlat(payload []byte) (ok bool, err error) {
	defer func() {
		if p := recover(); p != nil {
			ok, err = false, nil
		}
	}()
	d := flatDecoders.Get().(*flatDecoder)
	m, derr := d.decode(c.flat, payload)
	if derr != nil {
		d.release()
		return false, nil
	}
	err = c.Validate(m) // a *ValidationError holds copies, nothing of m
	d.release()
	if ve := (*ValidationError)(nil); err != nil && !errors.As(err, &ve) {
		// Another error (ErrRules: a rule that could not be evaluated)
		// may wrap values of m, which alias payload: Check's dynamicpb
		// path, whose message owns its strings, reports it.
		return false, nil
	}
	return true, err
}

// probe validates an empty message once so that rules which cannot be
// compiled (bad CEL, a rule for the wrong type) fail when the codec is
// built. An empty message may well break rules; that is not a failure.
func (c *Codec) probe() error {
	err := c.validator.Validate(c.New())
	if ce := (*protovalidate.CompilationError)(nil); errors.As(err, &ce) {
		return fmt.Errorf("%w in %s: %w", ErrRules, c.Desc.FullName(), err)
	}
	return nil
}

// CheckRules reports whether the protovalidate rules of every message of fd
// (nested ones included) can be evaluated: a CEL expression that does not
// compile, or a rule for another type (string rules on an int32), is
// ErrRules naming the message. Compile does not look at rules; the registry
// calls this after it, so that such a schema is refused when registered
// rather than when the first record arrives.
func CheckRules(fd protoreflect.FileDescriptor) error {
	s := NewSchema(fd)
	var errs []error
	var walk func(protoreflect.MessageDescriptors)
	walk = func(msgs protoreflect.MessageDescriptors) {
		for i := 0; i < msgs.Len(); i++ {
			md := msgs.Get(i)
			if _, err := s.CodecFor(md); err != nil {
				errs = append(errs, err)
			}
			walk(md.Messages())
		}
	}
	walk(fd.Messages())
	return errors.Join(errs...)
}
