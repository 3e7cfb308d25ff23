package enforce

import (
	"context"
	"errors"
	"fmt"

	"github.com/tributary-io/tributary/log/recordbatch"
)

// maxRecordErrors caps ProduceResult.RecordErrors, as recordbatch does.
const maxRecordErrors = 256

// ProducePolicy is the enforcement of produces to one topic: which
// registry, and how keys and values are checked. Safe for concurrent use.
type ProducePolicy struct {
	e            *Enforcer
	topic        string
	reg          *registryClient
	keys, values *element
	dlqTopic     string // dlq mode: where failing records go
}

// ProduceResult is what enforcement decided for one partition's record
// set.
type ProduceResult struct {
	// Data and Batches are the record set to store and its batches: the
	// input when no record was dropped, else a new buffer in which the
	// batches that lost records are rebuilt (recordbatch.Records.Filter:
	// same offsets span and producer fields) and the Batches' Offset, Len
	// and MaxTimestamp (-1 for a batch that kept nothing) follow them;
	// NumRecords stays the offsets each batch takes.
	Data    []byte
	Batches []recordbatch.Batch

	// Rejected means REJECT_BATCH: answer INVALID_RECORD with Message and
	// RecordErrors (every record that failed a check, by its index in its
	// batch) and store nothing.
	Rejected     bool
	Message      string
	RecordErrors []recordbatch.RecordError

	// DLQ, when not nil, is one batch (recordbatch.Build) of copies of the
	// records dlq mode dropped, for DLQTopic: original key, value,
	// headers and timestamp, plus the headers HeaderDLQTopic,
	// HeaderDLQPartition and HeaderDLQError.
	DLQTopic        string
	DLQ             []byte
	DLQRecords      int32
	DLQMaxTimestamp int64
}

// Topic is the topic the policy is for.
func (p *ProducePolicy) Topic() string { return p.topic }

// Check checks every record of data, one partition's record set that
// recordbatch.Validate accepted as batches. An error means a batch could
// not be read (it wraps a *recordbatch.Error; Validate's acceptance makes
// it a bug); policy failures are in the result, never errors.
func (p *ProducePolicy) Check(ctx context.Context, partition int32, data []byte, batches []recordbatch.Batch) (ProduceResult, error) {
	return p.CheckOpen(ctx, partition, data, batches, nil)
}

// CheckOpen is Check on batches that recordbatch.ValidateOpen also opened
// (opened[i] is batches[i]'s records, already decompressed): the produce
// path's call, which decompresses each batch once. A nil opened is Check:
// each batch is opened here.
func (p *ProducePolicy) CheckOpen(ctx context.Context, partition int32, data []byte, batches []recordbatch.Batch, opened []*recordbatch.Records) (ProduceResult, error) {
	res := ProduceResult{Data: data, Batches: batches}
	if opened != nil && len(opened) != len(batches) {
		return res, fmt.Errorf("enforce: %d batches, %d opened", len(batches), len(opened))
	}
	t := &tally{}
	rebuilt := make([][]byte, len(batches)) // nil: batch unchanged
	for bi, b := range batches {
		rs, err := openOne(data[b.Offset:b.Offset+b.Len], opened, bi)
		if err == nil {
			rebuilt[bi], err = p.batch(ctx, partition, rs, t)
		}
		if err != nil {
			return res, fmt.Errorf("enforce: batch %d: %w", bi, err)
		}
	}
	if t.internal != nil {
		p.e.warnInternal(p.topic, t.internal)
	}
	total := 0
	for _, b := range batches {
		total += int(b.NumRecords)
	}
	p.e.m.outcomes(p.topic, sideProduce, total, t.counts, t.counts[actReject] > 0)
	if bad := t.counts[actReject] + t.counts[actFilter] + t.counts[actDLQ]; t.counts[actReject] > 0 {
		p.e.m.acted(sideProduce, actReject, bad)
		p.e.m.acted(sideProduce, actPass, t.counts[actPass])
		res.Rejected, res.RecordErrors, res.Message = true, t.errs, rejectMessage(t.errs, bad)
		return res, nil
	}
	for a, n := range t.counts {
		p.e.m.acted(sideProduce, action(a), n)
	}
	var err error
	if res.Data, res.Batches, err = reassemble(data, batches, rebuilt); err != nil {
		return ProduceResult{Data: data, Batches: batches}, fmt.Errorf("enforce: %w", err)
	}
	if len(t.dlq) > 0 {
		res.DLQTopic, res.DLQ, res.DLQRecords = p.dlqTopic, recordbatch.Build(t.dlq), int32(len(t.dlq))
		res.DLQMaxTimestamp = t.dlq[0].Timestamp
		for _, r := range t.dlq {
			res.DLQMaxTimestamp = max(res.DLQMaxTimestamp, r.Timestamp)
		}
	}
	return res, nil
}

// tally is what the checks of a record set found so far.
type tally struct {
	counts   [actReject + 1]int
	errs     []recordbatch.RecordError // records failing with an action other than PASS_THROUGH
	dlq      []recordbatch.NewRecord
	internal error // the last internal failure, for the log
}

// batch checks one batch into t and returns it rebuilt without the
// records to drop, or nil when none is (or the record set is refused
// anyway).
func (p *ProducePolicy) batch(ctx context.Context, partition int32, rs *recordbatch.Records, t *tally) ([]byte, error) {
	cs := &checks{reg: p.reg, keys: p.keys, values: p.values, m: p.e.m, side: sideProduce}
	var drop []bool
	_, err := cs.run(ctx, rs, func(r *recordbatch.Record, v verdict) {
		if errors.Is(v.err, ErrInternal) {
			t.internal = v.err
		}
		t.counts[v.act]++
		if v.act == actPass {
			p.e.log.Debug("record failed schema enforcement, passed through", "topic", p.topic, "partition", partition, "record", r.Index, "err", v.err)
			return
		}
		if len(t.errs) < maxRecordErrors {
			t.errs = append(t.errs, recordbatch.RecordError{Index: r.Index, Message: v.err.Error()})
		}
		if drop == nil {
			drop = make([]bool, max(rs.Header.NumRecords, 0))
		}
		drop[r.Index] = true
		if v.act == actDLQ {
			t.dlq = append(t.dlq, dlqRecord(r, p.topic, partition, v.err))
		}
	})
	if err != nil {
		return nil, err
	}
	if drop == nil || t.counts[actReject] > 0 {
		return nil, nil
	}
	return rs.Filter(func(i int) bool { return !drop[i] })
}

// openOne is batch i opened: opened[i] when the caller has it, else raw
// decompressed here.
func openOne(raw []byte, opened []*recordbatch.Records, i int) (*recordbatch.Records, error) {
	if opened != nil {
		return opened[i], nil
	}
	return recordbatch.OpenBatch(raw)
}

// rejectMessage is the partition's error_message for a rejected batch.
func rejectMessage(errs []recordbatch.RecordError, n int) string {
	if n == 1 {
		return fmt.Sprintf("schema enforcement rejected record %d: %s", errs[0].Index, errs[0].Message)
	}
	return fmt.Sprintf("schema enforcement rejected %d records; record %d: %s", n, errs[0].Index, errs[0].Message)
}

// reassemble puts the record set back together with the rebuilt batches,
// and moves the batches' Offset and Len to match. Unchanged input comes
// back as it is. An error means a rebuilt batch does not frame (a bug in
// recordbatch.Records.Filter).
func reassemble(data []byte, batches []recordbatch.Batch, rebuilt [][]byte) ([]byte, []recordbatch.Batch, error) {
	changed := false
	for _, r := range rebuilt {
		changed = changed || r != nil
	}
	if !changed {
		return data, batches, nil
	}
	size := 0
	for i, b := range batches {
		if rebuilt[i] != nil {
			size += len(rebuilt[i])
		} else {
			size += b.Len
		}
	}
	out := make([]byte, 0, size)
	nb := make([]recordbatch.Batch, len(batches))
	for i, b := range batches {
		raw := data[b.Offset : b.Offset+b.Len]
		if rebuilt[i] != nil {
			raw = rebuilt[i]
			// The index's timestamp of the batch is its kept records'
			// (none: -1, so that ListOffsets by time never picks it).
			err := recordbatch.Walk(raw, func(h recordbatch.Header, _ []byte) bool {
				if b.MaxTimestamp = h.MaxTimestamp; h.NumRecords == 0 {
					b.MaxTimestamp = -1
				}
				return false
			})
			if err != nil {
				return nil, nil, fmt.Errorf("rebuilt batch %d: %w", i, err)
			}
		}
		b.Offset, b.Len = len(out), len(raw)
		out = append(out, raw...)
		nb[i] = b
	}
	return out, nb, nil
}
