package iceberg

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Part is the reserved columns of a record's key or val: the bytes as
// received (nil: null), the Confluent envelope prefix (nil: none) and the
// decode error ("": none).
type Part struct {
	Raw    []byte
	Prefix []byte
	Err    string
}

// Header is one Kafka record header; a nil Value is null.
type Header struct {
	Key   []byte
	Value []byte
}

// Meta is a record's kafka column and headers. Timestamps are in
// microseconds since the epoch.
type Meta struct {
	Partition       int32
	Offset          int64
	EventTimestamp  int64
	IngestTimestamp int64
	BatchStart      int64
	Headers         []Header
}

// RowBuilder builds the columns of rows that do not come from a message
// converter: the reserved key and val columns, headers and kafka. Rows
// are appended in step with the key and val converters (one row each per
// record; AppendNull on a converter for a record it could not decode), and
// Finish joins them. Not safe for concurrent use.
type RowBuilder struct {
	key, val [3]array.Builder // raw, prefix, err
	headers  *array.ListBuilder
	kafka    *array.StructBuilder
	n        int
	bytes    int
}

// NewRowBuilder allocates the builders from mem (nil: the default).
func NewRowBuilder(mem memory.Allocator) *RowBuilder {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	b := &RowBuilder{}
	for _, p := range []*[3]array.Builder{&b.key, &b.val} {
		p[0] = array.NewBinaryBuilder(mem, arrow.BinaryTypes.Binary)
		p[1] = array.NewBinaryBuilder(mem, arrow.BinaryTypes.Binary)
		p[2] = array.NewStringBuilder(mem)
	}
	b.headers = array.NewListBuilderWithField(mem, headersType.ElemField())
	b.kafka = array.NewStructBuilder(mem, kafkaType)
	return b
}

// Len is the number of rows since the last Finish.
func (b *RowBuilder) Len() int { return b.n }

// Bytes estimates the bytes appended since the last Finish.
func (b *RowBuilder) Bytes() int { return b.bytes }

// Append adds one row.
func (b *RowBuilder) Append(m *Meta, key, val Part) {
	b.appendPart(&b.key, key)
	b.appendPart(&b.val, val)
	if m.Headers == nil {
		b.headers.AppendEmptyValue()
	} else {
		b.headers.Append(true)
		hs := b.headers.ValueBuilder().(*array.StructBuilder)
		hk := hs.FieldBuilder(0).(*array.StringBuilder)
		hv := hs.FieldBuilder(1).(*array.BinaryBuilder)
		for _, h := range m.Headers {
			hs.Append(true)
			hk.BinaryBuilder.Append(h.Key)
			if h.Value == nil {
				hv.AppendNull()
			} else {
				hv.Append(h.Value)
			}
			b.bytes += len(h.Key) + len(h.Value)
		}
	}
	b.kafka.Append(true)
	b.kafka.FieldBuilder(0).(*array.Int32Builder).Append(m.Partition)
	b.kafka.FieldBuilder(1).(*array.Int64Builder).Append(m.Offset)
	b.kafka.FieldBuilder(2).(*array.TimestampBuilder).Append(arrow.Timestamp(m.EventTimestamp))
	b.kafka.FieldBuilder(3).(*array.TimestampBuilder).Append(arrow.Timestamp(m.IngestTimestamp))
	b.kafka.FieldBuilder(4).(*array.Int64Builder).Append(m.BatchStart)
	b.bytes += 40
	b.n++
}

func (b *RowBuilder) appendPart(p *[3]array.Builder, v Part) {
	for i, bs := range [][]byte{v.Raw, v.Prefix} {
		if bs == nil {
			p[i].AppendNull()
		} else {
			p[i].(*array.BinaryBuilder).Append(bs)
			b.bytes += len(bs)
		}
	}
	if v.Err == "" {
		p[2].AppendNull()
	} else {
		p[2].(*array.StringBuilder).Append(v.Err)
		b.bytes += len(v.Err)
	}
}

// Finish joins the rows appended since the last Finish with the columns
// of the key and val converters (nil when the part has no shape), which
// must hold as many rows, into one batch of the layout under the shapes'
// names. The caller releases the batch; keyCols and valCols are not
// released.
func (b *RowBuilder) Finish(ks, vs *Shape, keyCols, valCols arrow.RecordBatch) (arrow.RecordBatch, error) {
	n := b.n
	b.n, b.bytes = 0, 0
	var cols []arrow.Array
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	for _, part := range []struct {
		res   *[3]array.Builder
		shape *Shape
		msg   arrow.RecordBatch
	}{{&b.key, ks, keyCols}, {&b.val, vs, valCols}} {
		st := partStruct(part.shape.Type())
		children := make([]arrow.ArrayData, 0, st.NumFields())
		for _, rb := range part.res {
			a := rb.NewArray()
			children = append(children, a.Data())
			a.Data().Retain()
			a.Release()
		}
		if part.shape != nil {
			if part.msg == nil || int(part.msg.NumRows()) != n || int(part.msg.NumCols()) != part.shape.typ.NumFields() {
				releaseAll(children)
				return nil, fmt.Errorf("%w: converter batch does not match %d rows of shape %s", ErrSchema, n, part.shape.typ)
			}
			for i, f := range part.shape.typ.Fields() {
				children = append(children, retypeData(part.msg.Column(i).Data(), f.Type))
			}
		}
		d := array.NewData(st, n, []*memory.Buffer{nil}, children, 0, 0)
		releaseAll(children)
		cols = append(cols, array.MakeFromData(d))
		d.Release()
	}
	cols = append(cols, b.headers.NewArray(), b.kafka.NewArray())
	return array.NewRecordBatch(layoutSchema(ks.Type(), vs.Type()), cols, int64(n)), nil
}

// Release frees the builders.
func (b *RowBuilder) Release() {
	for _, p := range []*[3]array.Builder{&b.key, &b.val} {
		for _, x := range p {
			x.Release()
		}
	}
	b.headers.Release()
	b.kafka.Release()
}
