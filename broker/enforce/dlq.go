package enforce

import (
	"strconv"

	"github.com/tributary-io/tributary/log/recordbatch"
)

// Headers added to the dead-letter copy of a record, after its own
// headers. The copy keeps the record's key, value (bytes as produced,
// Confluent envelope included), headers and timestamp, so the topic's own
// deserializer reads it; these say where it was headed and why it was
// refused.
//
// Bufstream writes a dead-letter record as a serialized
// buf.bufstream.dlq.v1beta1.Record instead; consumers written for that
// (Buf's demo DLQ consumer) need adapting.
const (
	// HeaderDLQTopic is the topic the record was produced to.
	HeaderDLQTopic = "tributary.dlq.topic"
	// HeaderDLQPartition is its partition, in decimal.
	HeaderDLQPartition = "tributary.dlq.partition"
	// HeaderDLQError says which check failed and why, e.g. "value:
	// validation error: line_items[0].quantity: must be greater than 0
	// [uint64.gt]".
	HeaderDLQError = "tributary.dlq.error"
)

// dlqRecord is the dead-letter copy of r. It aliases r's key and value
// (the batch's bytes, alive until Check returns, when Build copies them);
// its headers are copied, since Each reuses r.Headers.
func dlqRecord(r *recordbatch.Record, topic string, partition int32, err error) recordbatch.NewRecord {
	hs := make([]recordbatch.RecordHeader, 0, len(r.Headers)+3)
	hs = append(hs, r.Headers...)
	hs = append(hs,
		recordbatch.RecordHeader{Key: []byte(HeaderDLQTopic), Value: []byte(topic)},
		recordbatch.RecordHeader{Key: []byte(HeaderDLQPartition), Value: strconv.AppendInt(nil, int64(partition), 10)},
		recordbatch.RecordHeader{Key: []byte(HeaderDLQError), Value: []byte(err.Error())},
	)
	return recordbatch.NewRecord{Key: r.Key, Value: r.Value, Headers: hs, Timestamp: r.Timestamp}
}

// deadLetter reports whether a record read from topic is a dead-letter
// copy of a record of another topic: fetch policies do not check those,
// since they exist to be read by whoever investigates them (a catch-all
// fetch policy would otherwise hide every one: they failed on purpose, and
// their schema ids belong to the source topic's subject). A producer could
// add the header to pass a record through a fetch filter; it could write
// unchecked data to a topic without a produce policy anyway.
func deadLetter(hs []recordbatch.RecordHeader, topic string) bool {
	for _, h := range hs {
		if string(h.Key) == HeaderDLQTopic {
			return string(h.Value) != topic
		}
	}
	return false
}
