package ingest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/tributary-io/tributary/arrowconv"
	"github.com/tributary-io/tributary/iceberg"
	"github.com/tributary-io/tributary/log/recordbatch"
	"github.com/tributary-io/tributary/schema/wire"
)

// recordOverhead is what a row costs beyond its key, value and headers,
// for the buffer accounting.
const recordOverhead = 64

// record adds one record as a row.
func (p *pipeline) record(ctx context.Context, part int32, off, batchStart int64, r *recordbatch.Record) error {
	kc, kp, kpay, err := p.resolve(ctx, r.Key, p.headerValue(r, true), true)
	if err != nil {
		return err
	}
	vc, vp, vpay, err := p.resolve(ctx, r.Value, p.headerValue(r, false), false)
	if err != nil {
		return err
	}
	if s := (segment{key: kc, val: vc}); s != p.seg {
		if err := p.cut(); err != nil {
			return err
		}
		p.seg = s
	}
	kp.Raw = r.Key // keys always keep their bytes (Bufstream's layout)
	appendPart(kc, &kp, kpay, r.Key)
	appendPart(vc, &vp, vpay, r.Value)
	size := int64(len(r.Key) + len(r.Value) + recordOverhead)
	p.headers = p.headers[:0]
	for _, h := range r.Headers {
		p.headers = append(p.headers, iceberg.Header{Key: h.Key, Value: h.Value})
		size += int64(len(h.Key) + len(h.Value))
	}
	now := time.Now().UnixMicro()
	p.lastIngest = max(p.lastIngest, now)
	meta := iceberg.Meta{Partition: part, Offset: off, EventTimestamp: r.Timestamp * 1000,
		IngestTimestamp: p.lastIngest, BatchStart: batchStart, Headers: p.headers}
	if r.Headers == nil {
		meta.Headers = nil
	}
	p.rows.Append(&meta, kp, vp)
	if p.nBuffered == 0 {
		p.firstAt = time.Now()
	}
	p.nBuffered++
	p.buffered += size
	p.m.used.Add(size)
	return nil
}

// appendPart appends the decoded part of a record to its converter; a
// record the converter refuses becomes an error row keeping its bytes.
func appendPart(c *conv, part *iceberg.Part, payload, raw []byte) {
	if c == nil {
		return
	}
	if err := c.c.Append(payload); err != nil {
		c.c.AppendNull()
		part.Err = "decode: " + err.Error()
		part.Raw = raw
	}
}

// headerValue is the value of the record's schema-id header for the key
// or the value (the last one, Confluent's rule), nil when none.
func (p *pipeline) headerValue(r *recordbatch.Record, key bool) []byte {
	name := wire.HeaderName(key)
	var v []byte
	for _, h := range r.Headers {
		if string(h.Key) == name && h.Value != nil {
			v = h.Value
		}
	}
	return v
}

// resolve finds how a key or value lands: its converter (nil for raw or
// for an error row), the reserved columns so far, and the payload to
// decode. An error is the pipeline's (the catalog failed), not the
// record's.
func (p *pipeline) resolve(ctx context.Context, b, hdr []byte, key bool) (*conv, iceberg.Part, []byte, error) {
	if b == nil {
		return nil, iceberg.Part{}, nil, nil // null: a tombstone, or no key
	}
	if hdr == nil && (len(b) < 5 || b[0] != wire.MagicID) {
		return p.unframed(ctx, b, key)
	}
	// Parsed into p.frame, whose indexes' storage is reused: f.Indexes is
	// only valid until the next resolve.
	var err error
	if hdr != nil {
		err = wire.ParseRecordInto(&p.frame, hdr, b)
	} else {
		err = wire.ParseInto(&p.frame, b)
	}
	f := &p.frame
	if err != nil {
		return nil, iceberg.Part{Raw: b, Err: "bad envelope: " + err.Error()}, nil, nil
	}
	var prefix []byte
	if hdr == nil {
		prefix = b[:len(b)-len(f.Payload)]
	}
	if f.HasGUID {
		return nil, iceberg.Part{Raw: b, Prefix: prefix, Err: "schema guids are not supported"}, nil, nil
	}
	c, err := p.converter(ctx, f.ID, f.Indexes, key)
	if err != nil {
		if ctx.Err() != nil || errors.Is(err, errCatalog) || errors.Is(err, errRegistry) {
			return nil, iceberg.Part{}, nil, err
		}
		return nil, iceberg.Part{Raw: b, Prefix: prefix, Err: err.Error()}, nil, nil
	}
	return c, iceberg.Part{Prefix: prefix}, f.Payload, nil
}

// unframed is how bytes without a Confluent envelope land: raw, with an
// __err__ saying why they were not decoded when the topic's subject for
// them has a schema (so they should have been), without one when it has
// none (nothing to decode with: Bufstream's raw-only rows).
func (p *pipeline) unframed(ctx context.Context, b []byte, key bool) (*conv, iceberg.Part, []byte, error) {
	sub := p.valSubject
	if key {
		sub = p.keySubject
	}
	has, err := p.m.schemas.hasSchema(ctx, sub)
	if err != nil {
		return nil, iceberg.Part{}, nil, err
	}
	part := iceberg.Part{Raw: b}
	if has {
		part.Err = noEnvelope(b)
	}
	return nil, part, nil, nil
}

// subject is the topic's subject for its keys or values under
// Confluent's default TopicNameStrategy, the one enforcement checks too.
func subject(topic string, key bool) string {
	if key {
		return topic + "-key"
	}
	return topic + "-value"
}

// noEnvelope says why b is not in the Confluent wire format (a 0x00 magic
// byte, a 4-byte schema id, the Protobuf message indexes, the payload).
func noEnvelope(b []byte) string {
	switch {
	case len(b) == 0:
		return "no envelope: empty, want a magic byte 0x00 and a 4-byte schema id"
	case b[0] != wire.MagicID:
		return fmt.Sprintf("no envelope: magic byte missing (first byte 0x%02x, want 0x00)", b[0])
	}
	return fmt.Sprintf("no envelope: %d bytes, shorter than a magic byte and a 4-byte schema id", len(b))
}

// errCatalog marks converter failures that are the table's, not the
// record's; errRegistry those that are the registry's (it failed, or did
// not answer): the record is not judged on them, the pipeline retries.
var (
	errCatalog  = errors.New("catalog")
	errRegistry = errors.New("schema registry")
)

// converter returns the converter for a schema id and message path,
// mapping its message onto the table on first use. While records repeat
// the last id and path (the usual stream) it is found without a lookup
// key being built: no allocation per record.
func (p *pipeline) converter(ctx context.Context, id int, indexes []int, key bool) (*conv, error) {
	convs, last := p.valConv, &p.lastVal
	if key {
		convs, last = p.keyConv, &p.lastKey
	}
	if last.c != nil && last.id == id && slices.Equal(last.indexes, indexes) {
		return last.c, nil
	}
	c, err := p.newConverter(ctx, convs, id, indexes, key)
	if err != nil {
		return nil, err
	}
	last.id, last.indexes, last.c = id, append(last.indexes[:0], indexes...), c
	return c, nil
}

// newConverter finds or builds (and keeps in convs) the converter for a
// schema id and message path.
func (p *pipeline) newConverter(ctx context.Context, convs map[string]*conv, id int, indexes []int, key bool) (*conv, error) {
	k := msgKey(id, indexes)
	if c, ok := convs[k]; ok {
		return c, nil
	}
	md, err := p.m.schemas.message(ctx, id, indexes)
	if err != nil {
		return nil, err
	}
	ac, err := arrowconv.NewConverter(md, arrowconv.Options{Mem: p.m.opts.Mem})
	if err != nil {
		return nil, fmt.Errorf("schema id %d: %w", id, err)
	}
	var ks, vs *iceberg.Shape
	if key {
		ks, _, err = p.tbl.Prepare(ctx, ac.Schema(), nil)
	} else {
		_, vs, err = p.tbl.Prepare(ctx, nil, ac.Schema())
	}
	if err != nil {
		ac.Release()
		return nil, fmt.Errorf("%w: schema id %d: %w", errCatalog, id, err)
	}
	c := &conv{c: ac, shape: vs}
	if key {
		c.shape = ks
	}
	convs[k] = c
	return c, nil
}

// cut closes the current segment into a batch.
func (p *pipeline) cut() error {
	if p.rows == nil || p.rows.Len() == 0 {
		return nil
	}
	kc, vc := p.seg.key, p.seg.val
	var ks, vs *iceberg.Shape
	keyCols, valCols := newBatch(kc), newBatch(vc)
	defer releaseBatch(keyCols)
	defer releaseBatch(valCols)
	if kc != nil {
		ks = kc.shape
	}
	if vc != nil {
		vs = vc.shape
	}
	b, err := p.rows.Finish(ks, vs, keyCols, valCols)
	if err != nil {
		return err
	}
	p.done = append(p.done, b)
	return nil
}

// commit writes the buffer as one snapshot.
func (p *pipeline) commit(ctx context.Context) error {
	if err := p.cut(); err != nil {
		return err
	}
	if len(p.done) == 0 {
		return nil
	}
	rows := int64(0)
	for _, b := range p.done {
		rows += b.NumRows()
	}
	if err := p.tbl.Commit(ctx, p.done, p.next); err != nil {
		return err
	}
	p.releaseDone()
	p.unbuffer()
	p.noteCommitted(p.tbl.Offsets(), rows, true)
	return nil
}
