package arrowconv

import (
	"bytes"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// A Converter appends Protobuf records of one message type, as wire
// bytes, to Arrow builders: one row per record. Build it once per
// message descriptor (it compiles a plan from the descriptor) and reuse
// it for every record; it keeps its scratch space from row to row.
//
// A Converter is not safe for concurrent use: one per goroutine.
type Converter struct {
	opts   Options
	root   *msgPlan
	schema *arrow.Schema
	rb     *array.RecordBuilder
	epoch  uint64 // bumped per row; frame pools reset lazily against it

	json    bytes.Buffer   // the row's rendered JSON values
	digits  []byte         // an undeclared enum number, formatted
	lastKey map[string]int // map-key dedup for large maps
	sizes   []builderSize  // per builder, at the last NewRecordBatch
}

// NewConverter compiles the plan for md and allocates its builders.
// Release the Converter when done.
func NewConverter(md protoreflect.MessageDescriptor, opts Options) (*Converter, error) {
	opts = opts.withDefaults()
	root, sc, err := compile(md, opts)
	if err != nil {
		return nil, err
	}
	c := &Converter{opts: opts, root: root, schema: sc, lastKey: map[string]int{}}
	c.rb = array.NewRecordBuilder(opts.Mem, sc)
	root.bind(c.rb.Fields())
	return c, nil
}

// Schema is the schema of the batches NewRecordBatch returns; see Schema.
func (c *Converter) Schema() *arrow.Schema { return c.schema }

// Append decodes one record and appends it as a row. On error (which
// wraps ErrMalformed, ErrInvalidUTF8, ErrRequiredMissing, ErrOutOfRange
// or ErrJSON) nothing is appended: the builders are exactly as before,
// and the caller may AppendNull in its place or skip the record.
func (c *Converter) Append(b []byte) error {
	c.epoch++
	c.json.Reset()
	f := c.frame(c.root)
	if err := c.parse(c.root, f, b); err != nil {
		// A parse cut short may leave a value in a slot it never marked
		// set (frame() skips clearing unset slots): clear every pooled
		// frame, or the next row could emit the failed record's bytes.
		c.root.scrub()
		return err
	}
	if c.root.final {
		if err := c.finish(c.root, f); err != nil {
			c.root.scrub()
			return err
		}
	}
	c.emitMsg(c.root, f)
	return nil
}

// AppendNull appends a row in which every column is null: the decoded
// part of a record that could not be decoded.
func (c *Converter) AppendNull() {
	for _, b := range c.rb.Fields() {
		b.AppendNull()
	}
}

// Len is the number of rows appended since the last NewRecordBatch.
func (c *Converter) Len() int { return c.rb.Field(0).Len() }

// NewRecordBatch returns the rows appended so far as a record batch
// (the caller releases it) and starts a new one.
//
// The builders then reserve what the batch just taken needed, so a run
// of similar batches does not regrow (and copy) every buffer from empty
// each time: that growth is most of the garbage a row makes.
func (c *Converter) NewRecordBatch() arrow.RecordBatch {
	c.root.scrub()
	c.sizes = c.sizes[:0]
	for _, b := range c.rb.Fields() {
		c.sizes = builderSizes(b, c.sizes)
	}
	rec := c.rb.NewRecordBatch()
	sizes := c.sizes
	for _, b := range c.rb.Fields() {
		sizes = reserve(b, sizes)
	}
	return rec
}

// builderSize is one builder's length and, for binary builders, data size.
type builderSize struct{ n, data int }

// builderSizes appends the sizes of b and its children, depth first.
func builderSizes(b array.Builder, out []builderSize) []builderSize {
	s := builderSize{n: b.Len()}
	if d, ok := b.(interface{ DataLen() int }); ok {
		s.data = d.DataLen()
	}
	out = append(out, s)
	for _, child := range children(b) {
		out = builderSizes(child, out)
	}
	return out
}

// reserve reserves the sizes builderSizes recorded, in the same order,
// and returns the rest.
func reserve(b array.Builder, sizes []builderSize) []builderSize {
	s := sizes[0]
	b.Reserve(s.n)
	if d, ok := b.(interface{ ReserveData(int) }); ok && s.data > 0 {
		d.ReserveData(s.data)
	}
	sizes = sizes[1:]
	for _, child := range children(b) {
		sizes = reserve(child, sizes)
	}
	return sizes
}

func children(b array.Builder) []array.Builder {
	switch x := b.(type) {
	case *array.StructBuilder:
		out := make([]array.Builder, x.NumField())
		for i := range out {
			out[i] = x.FieldBuilder(i)
		}
		return out
	case *array.ListBuilder:
		return []array.Builder{x.ValueBuilder()}
	case *array.MapBuilder:
		return []array.Builder{x.KeyBuilder(), x.ItemBuilder()}
	}
	return nil
}

// Release frees the builders.
func (c *Converter) Release() { c.rb.Release() }
