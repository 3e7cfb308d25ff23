package enforce

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

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
// (opened[i] is batches[i]'s records, already decompressed), which
// decompresses each batch once. A nil opened is Check: each batch is
// opened here. The produce path folds the checks into validation's own
// walk instead (Begin).
func (p *ProducePolicy) CheckOpen(ctx context.Context, partition int32, data []byte, batches []recordbatch.Batch, opened []*recordbatch.Records) (ProduceResult, error) {
	if opened != nil && len(opened) != len(batches) {
		return ProduceResult{Data: data, Batches: batches}, fmt.Errorf("enforce: %d batches, %d opened", len(batches), len(opened))
	}
	pc := &ProduceCheck{p: p, ctx: ctx, partition: partition}
	return pc.walk(data, batches, opened)
}

// ProduceCheck is the enforcement of one partition's record set on the
// produce path, folded into validation's walk of the records: Begin it,
// hand Visitor to recordbatch.ValidateVisit, then Finish once validation
// accepted the set. Its verdicts, errors and metrics are CheckOpen's; a
// ProduceCheck whose validation failed is dropped unfinished, and then
// nothing is counted or logged. Not safe for concurrent use.
type ProduceCheck struct {
	p         *ProducePolicy
	ctx       context.Context
	partition int32
	folded    bool // the records were checked as validation read them

	c      checker // the folded checks' checker
	t      tally
	drops  [][]bool // by batch: records to drop, nil if none
	passed []passedThrough
}

// passedThrough is a record that failed a check and was kept: logged
// (at debug) once the record set is known to be valid.
type passedThrough struct {
	index int
	err   error
}

// Begin starts the check of one partition's record set. Policies that
// validate (protovalidate, microseconds a record, split among
// goroutines) check in Finish, on the opened batches, as CheckOpen does;
// the parse-only ones check as validation reads each record.
func (p *ProducePolicy) Begin(ctx context.Context, partition int32) *ProduceCheck {
	cs := checks{keys: p.keys, values: p.values}
	return &ProduceCheck{p: p, ctx: ctx, partition: partition, folded: !cs.validates(), c: checker{reg: p.reg}}
}

// Visitor is what to hand recordbatch.ValidateVisit: pc, or nil when
// pc checks in Finish.
func (pc *ProduceCheck) Visitor() recordbatch.Visitor {
	if !pc.folded {
		return nil
	}
	return pc
}

// VisitRecord checks one record as validation reads it
// (recordbatch.Visitor).
func (pc *ProduceCheck) VisitRecord(batch int, h *recordbatch.Header, r *recordbatch.Record) {
	if v := pc.c.record(pc.ctx, r, pc.p.keys, pc.p.values); v.err != nil {
		pc.failed(batch, h.NumRecords, r, v)
	}
}

// Finish is CheckOpen's result for the record set validation accepted:
// batches and opened as recordbatch.ValidateVisit returned them, with
// Visitor as its visitor.
func (pc *ProduceCheck) Finish(data []byte, batches []recordbatch.Batch, opened []*recordbatch.Records) (ProduceResult, error) {
	if len(opened) != len(batches) {
		return ProduceResult{Data: data, Batches: batches}, fmt.Errorf("enforce: %d batches, %d opened", len(batches), len(opened))
	}
	if !pc.folded {
		return pc.walk(data, batches, opened)
	}
	pc.p.e.m.flush(sideProduce, &pc.c.counts)
	return pc.finish(data, batches, opened)
}

// walk checks each batch with its own walk of its records (opened[i], or
// opened here when opened is nil), then finishes.
func (pc *ProduceCheck) walk(data []byte, batches []recordbatch.Batch, opened []*recordbatch.Records) (ProduceResult, error) {
	p := pc.p
	all := make([]*recordbatch.Records, len(batches))
	for bi, b := range batches {
		rs, err := openOne(data[b.Offset:b.Offset+b.Len], opened, bi)
		if err == nil {
			all[bi] = rs
			cs := &checks{reg: p.reg, keys: p.keys, values: p.values, m: p.e.m, side: sideProduce}
			_, err = cs.run(pc.ctx, rs, func(r *recordbatch.Record, v verdict) {
				pc.failed(bi, rs.Header.NumRecords, r, v)
			})
		}
		if err != nil {
			return ProduceResult{Data: data, Batches: batches}, fmt.Errorf("enforce: batch %d: %w", bi, err)
		}
	}
	return pc.finish(data, batches, all)
}

// failed tallies a record of batch bi (of n records) that failed a check
// with verdict v.
func (pc *ProduceCheck) failed(bi int, n int32, r *recordbatch.Record, v verdict) {
	t := &pc.t
	if errors.Is(v.err, ErrInternal) {
		t.internal = v.err
	}
	t.counts[v.act]++
	if v.act == actPass {
		if pc.p.e.log.Enabled(pc.ctx, slog.LevelDebug) {
			pc.passed = append(pc.passed, passedThrough{r.Index, v.err})
		}
		return
	}
	if len(t.errs) < maxRecordErrors {
		t.errs = append(t.errs, recordbatch.RecordError{Index: r.Index, Message: v.err.Error()})
	}
	for len(pc.drops) <= bi {
		pc.drops = append(pc.drops, nil)
	}
	if pc.drops[bi] == nil {
		pc.drops[bi] = make([]bool, max(n, 0))
	}
	pc.drops[bi][r.Index] = true
	if v.act == actDLQ {
		t.dlq = append(t.dlq, dlqRecord(r, pc.p.topic, pc.partition, v.err))
	}
}

// finish turns the tally of every record into the result: the metrics,
// then a rejection, or the batches rebuilt without the records dropped
// (opened[i] is batch i's records) and the dead-letter batch.
func (pc *ProduceCheck) finish(data []byte, batches []recordbatch.Batch, opened []*recordbatch.Records) (ProduceResult, error) {
	p, t := pc.p, &pc.t
	res := ProduceResult{Data: data, Batches: batches}
	for _, pt := range pc.passed {
		p.e.log.Debug("record failed schema enforcement, passed through", "topic", p.topic, "partition", pc.partition, "record", pt.index, "err", pt.err)
	}
	if t.internal != nil {
		p.e.warnInternal(p.topic, t.internal)
	}
	var rebuilt [][]byte // nil: no batch changes
	if t.counts[actReject] == 0 {
		var err error
		if rebuilt, err = pc.filter(opened); err != nil {
			return res, fmt.Errorf("enforce: %w", err)
		}
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

// filter rebuilds each batch that loses records without them: rebuilt[i]
// is batch i rebuilt, nil when it keeps every record (rebuilt is nil when
// no batch loses any).
func (pc *ProduceCheck) filter(opened []*recordbatch.Records) ([][]byte, error) {
	var rebuilt [][]byte
	for bi, drop := range pc.drops {
		if drop == nil {
			continue
		}
		if rebuilt == nil {
			rebuilt = make([][]byte, len(opened))
		}
		b, err := opened[bi].Filter(func(i int) bool { return !drop[i] })
		if err != nil {
			return nil, fmt.Errorf("batch %d: %w", bi, err)
		}
		rebuilt[bi] = b
	}
	return rebuilt, nil
}

// tally is what the checks of a record set found so far.
type tally struct {
	counts   [actReject + 1]int
	errs     []recordbatch.RecordError // records failing with an action other than PASS_THROUGH
	dlq      []recordbatch.NewRecord
	internal error // the last internal failure, for the log
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
