package iceberg

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	iceberggo "github.com/apache/iceberg-go"
)

// Columns of the layout (see the package doc).
const (
	ColKey     = "key"
	ColVal     = "val"
	ColHeaders = "headers"
	ColKafka   = "kafka"

	ColRaw    = "__raw__"
	ColPrefix = "__prefix__"
	ColErr    = "__err__"

	ColHeaderKey   = "key"
	ColHeaderValue = "value"

	ColPartition       = "partition"
	ColOffset          = "offset"
	ColEventTimestamp  = "event_timestamp"
	ColIngestTimestamp = "ingest_timestamp"
	ColBatchStart      = "batch_start"
)

// Snapshot summary properties.
const (
	PropOffsets  = "tributary.offsets"
	PropCommitID = "tributary.commit-id"
)

// Granularity is the time partitioning of kafka.event_timestamp.
type Granularity string

const (
	Hourly  Granularity = "HOURLY"
	Daily   Granularity = "DAILY" // the default
	Monthly Granularity = "MONTHLY"
)

func (g Granularity) transform() (iceberggo.Transform, string) {
	switch g {
	case Hourly:
		return iceberggo.HourTransform{}, "event_hour"
	case Monthly:
		return iceberggo.MonthTransform{}, "event_month"
	}
	return iceberggo.DayTransform{}, "event_day"
}

var (
	tsType = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}

	// reserved are the first three columns of key and val.
	reserved = []arrow.Field{
		{Name: ColRaw, Type: arrow.BinaryTypes.Binary, Nullable: true},
		{Name: ColPrefix, Type: arrow.BinaryTypes.Binary, Nullable: true},
		{Name: ColErr, Type: arrow.BinaryTypes.String, Nullable: true},
	}
	headerType = arrow.StructOf(
		arrow.Field{Name: ColHeaderKey, Type: arrow.BinaryTypes.String, Nullable: true},
		arrow.Field{Name: ColHeaderValue, Type: arrow.BinaryTypes.Binary, Nullable: true},
	)
	headersType = arrow.ListOfNonNullable(headerType)
	kafkaType   = arrow.StructOf(
		arrow.Field{Name: ColPartition, Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		arrow.Field{Name: ColOffset, Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		arrow.Field{Name: ColEventTimestamp, Type: tsType, Nullable: true},
		arrow.Field{Name: ColIngestTimestamp, Type: tsType, Nullable: true},
		arrow.Field{Name: ColBatchStart, Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	)
)

// partStruct is the Arrow type of key or val: the reserved columns, then
// msg's fields (none when msg is nil: raw only).
func partStruct(msg *arrow.StructType) *arrow.StructType {
	fields := append([]arrow.Field(nil), reserved...)
	if msg != nil {
		fields = append(fields, msg.Fields()...)
	}
	return arrow.StructOf(fields...)
}

// layoutSchema is the Arrow schema of rows whose key and val messages
// have the given (already renamed) types.
func layoutSchema(key, val *arrow.StructType) *arrow.Schema {
	return arrow.NewSchema([]arrow.Field{
		{Name: ColKey, Type: partStruct(key), Nullable: true},
		{Name: ColVal, Type: partStruct(val), Nullable: true},
		{Name: ColHeaders, Type: headersType, Nullable: true},
		{Name: ColKafka, Type: kafkaType, Nullable: true},
	}, nil)
}

// baseSchema is the schema a table is created with: the layout with no
// decoded columns. Ids here are provisional; the catalog may renumber.
func baseSchema() *iceberggo.Schema {
	str := func(id int, name string, t iceberggo.Type) iceberggo.NestedField {
		return iceberggo.NestedField{ID: id, Name: name, Type: t}
	}
	part := func(id int, name string) iceberggo.NestedField {
		return str(id, name, &iceberggo.StructType{FieldList: []iceberggo.NestedField{
			str(id+1, ColRaw, iceberggo.PrimitiveTypes.Binary),
			str(id+2, ColPrefix, iceberggo.PrimitiveTypes.Binary),
			str(id+3, ColErr, iceberggo.PrimitiveTypes.String),
		}})
	}
	return iceberggo.NewSchema(0,
		part(1, ColKey),
		part(5, ColVal),
		str(9, ColHeaders, &iceberggo.ListType{ElementID: 10, ElementRequired: true,
			Element: &iceberggo.StructType{FieldList: []iceberggo.NestedField{
				str(11, ColHeaderKey, iceberggo.PrimitiveTypes.String),
				str(12, ColHeaderValue, iceberggo.PrimitiveTypes.Binary),
			}}}),
		str(13, ColKafka, &iceberggo.StructType{FieldList: []iceberggo.NestedField{
			str(14, ColPartition, iceberggo.PrimitiveTypes.Int32),
			str(15, ColOffset, iceberggo.PrimitiveTypes.Int64),
			str(16, ColEventTimestamp, iceberggo.PrimitiveTypes.TimestampTz),
			str(17, ColIngestTimestamp, iceberggo.PrimitiveTypes.TimestampTz),
			str(18, ColBatchStart, iceberggo.PrimitiveTypes.Int64),
		}}),
	)
}

// partitionSpec partitions by g of kafka.event_timestamp in sc.
func partitionSpec(sc *iceberggo.Schema, g Granularity) (iceberggo.PartitionSpec, error) {
	f, ok := sc.FindFieldByName(ColKafka + "." + ColEventTimestamp)
	if !ok {
		return iceberggo.PartitionSpec{}, fmt.Errorf("%w: no %s.%s column", ErrLayout, ColKafka, ColEventTimestamp)
	}
	tr, name := g.transform()
	return iceberggo.NewPartitionSpec(iceberggo.PartitionField{
		SourceIDs: []int{f.ID}, FieldID: 1000, Name: name, Transform: tr,
	}), nil
}
