package arrowconv

import (
	"encoding/base64"
	"encoding/json"
	"fmt"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
)

// finish runs over a parsed frame (only through plans marked final) to
// do what needs the whole merged message: required fields,
// Timestamp/Duration ranges, JSON rendering.
func (c *Converter) finish(m *msgPlan, f *frame) error {
	for _, r := range m.required {
		if !f.slots[r].set {
			return fmt.Errorf("%s: %w", m.fields[r].fd.FullName(), ErrRequiredMissing)
		}
	}
	for i, fp := range m.fields {
		if !fp.needsFinish() {
			continue
		}
		s := &f.slots[i]
		switch fp.card {
		case cardSingle:
			if !s.set {
				if fp.kind != kJSON || fp.presence {
					continue
				}
				// A map value that is absent is the empty message.
				s.set, s.v.b = true, nil
			}
			if err := c.finishElem(fp, &s.v); err != nil {
				return err
			}
		case cardList:
			for j := range s.list {
				if err := c.finishElem(fp, &s.list[j]); err != nil {
					return err
				}
			}
		case cardMap:
			for j := range s.list {
				if err := c.finish(fp.child, s.list[j].sub); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (c *Converter) finishElem(fp *fieldPlan, e *elem) error {
	switch fp.kind {
	case kMessage:
		return c.finish(fp.child, e.sub)
	case kTimestamp:
		sec, nanos := secondsNanos(e.sub)
		if sec < minTimestamp || sec > maxTimestamp || nanos < 0 || nanos > 999_999_999 {
			return fmt.Errorf("%s: timestamp %d.%09d: %w", fp.fd.FullName(), sec, nanos, ErrOutOfRange)
		}
	case kDuration:
		sec, nanos := secondsNanos(e.sub)
		if sec < -maxDuration || sec > maxDuration || nanos < -999_999_999 || nanos > 999_999_999 ||
			(sec > 0 && nanos < 0) || (sec < 0 && nanos > 0) {
			return fmt.Errorf("%s: duration %ds %dns: %w", fp.fd.FullName(), sec, nanos, ErrOutOfRange)
		}
	case kJSON:
		b, err := c.renderJSON(fp, e.b)
		if err != nil {
			return err
		}
		e.b = b
	}
	return nil
}

// Ranges from timestamp.proto and duration.proto.
const (
	minTimestamp = -62135596800 // 0001-01-01T00:00:00Z
	maxTimestamp = 253402300799 // 9999-12-31T23:59:59Z
	maxDuration  = 315576000000 // 10,000 years
)

// secondsNanos reads a Timestamp or Duration frame (nil: the empty message).
func secondsNanos(f *frame) (int64, int32) {
	if f == nil {
		return 0, 0
	}
	return int64(f.slots[0].v.n), int32(f.slots[1].v.n)
}

// renderJSON renders the message bytes raw with protojson (proto field
// names, compact) into the row's JSON buffer and returns that slice.
func (c *Converter) renderJSON(fp *fieldPlan, raw []byte) ([]byte, error) {
	if fp.jsonMsg == nil {
		fp.jsonMsg = dynamicpb.NewMessage(fp.jsonMD)
	}
	m := fp.jsonMsg
	proto.Reset(m)
	if err := unmarshalGuarded(raw, m, c.opts.Resolver); err != nil {
		return nil, fmt.Errorf("%s: %w: %w", fp.fd.FullName(), ErrMalformed, err)
	}
	out, err := protojson.MarshalOptions{UseProtoNames: true, Resolver: c.opts.Resolver}.Marshal(m)
	if err != nil {
		if fp.jsonMD.FullName() != "google.protobuf.Any" {
			return nil, fmt.Errorf("%s: %w: %w", fp.fd.FullName(), ErrJSON, err)
		}
		out = anyFallback(m)
	}
	start := c.json.Len()
	if err := json.Compact(&c.json, out); err != nil { // protojson's output is valid JSON
		return nil, fmt.Errorf("%s: %w: %w", fp.fd.FullName(), ErrJSON, err)
	}
	return c.json.Bytes()[start:], nil
}

// unmarshalGuarded is proto.Unmarshal for bytes from the network. Some
// malformed inputs make protobuf-go v1.36.12 panic inside its map decoding
// ("type mismatch: cannot convert nil to map key", found by FuzzAppend; the
// input is testdata/fuzz/FuzzAppend/74ebf49fd48857d1) instead of returning an
// error; such a record is malformed, not a reason to stop the pipeline.
func unmarshalGuarded(raw []byte, m proto.Message, r Resolver) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("protobuf decoder panicked: %v", p)
		}
	}()
	return proto.UnmarshalOptions{Resolver: r}.Unmarshal(raw, m)
}

// anyFallback renders an Any whose type cannot be resolved (or whose
// payload does not decode as that type) as its URL and base64 bytes.
func anyFallback(m protoreflect.Message) []byte {
	fields := m.Descriptor().Fields()
	url, _ := json.Marshal(m.Get(fields.ByNumber(1)).String())
	val := base64.StdEncoding.EncodeToString(m.Get(fields.ByNumber(2)).Bytes())
	return fmt.Appendf(nil, `{"@type":%s,"value":"%s"}`, url, val)
}
