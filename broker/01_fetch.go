package broker

// Fetch, versions 4-18 (v13+ names topics by ID, KIP-516).
//
// Reads go through log/read (index, ranged reads, cache). MaxWaitMillis
// is a real long poll: the fetch registers with the read path before its
// first read, and a commit to any of its partitions wakes it, so a consumer
// tailing a topic sees new data as soon as it is durable. MinBytes,
// MaxBytes and PartitionMaxBytes are honoured, with KIP-74's exception: the
// first batch of the response is returned whole even when it is larger.
//
// Fetch sessions (KIP-227) are not granted: every response carries session
// ID 0, which tells clients to keep sending full fetch requests (Java's
// FetchSessionHandler and franz-go both handle this). With no transactions,
// the last stable offset is the high watermark and there are no aborted
// transactions.
//
// Reads of several partitions go out concurrently (at most fetchReaders at
// a time), so cold object reads overlap; the answers are then assembled in
// request order within MaxBytes as a sequential read would have. A long
// poll woken by new data re-reads only the partitions that changed; the
// others keep what they read.
//
// A topic a data_enforcement fetch policy covers is served through
// broker/enforce: records failing its checks (FILTER_RECORD, and
// REJECT_BATCH, which acts as FILTER_RECORD on fetch) are removed from the
// batches, which keep their offsets span, so consumers move past them.

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/tributary-io/tributary/broker/enforce"
	"github.com/tributary-io/tributary/internal/metastore"
	"github.com/tributary-io/tributary/log/read"
	"github.com/tributary-io/tributary/log/recordbatch"
)

// fetchReaders bounds the concurrent partition reads of one fetch.
const fetchReaders = 8

func init() { register(4, 18, handleFetch) }

// fetchPart is one requested partition, resolved.
type fetchPart struct {
	resp     *kmsg.FetchResponseTopicPartition
	pk       metastore.PartitionKey
	offset   int64
	maxBytes int32
	ok       bool                 // resolved; false means resp already carries an error
	empty    bool                 // an internal topic's partition: resp is complete, always empty
	enforce  *enforce.FetchPolicy // nil: served as stored

	// The last read's outcome, kept across long-poll wakes.
	read    read.Result
	readErr error
	// bufs are the pooled buffers this partition's reads went into,
	// returned to fetchBufs once the response is encoded.
	bufs [][]byte
}

// fetchBufs recycles the buffers partition reads go into, from one fetch
// response to the next: a fresh 1 MiB buffer per partition per fetch was
// allocated and zeroed and then left to the collector, which cost more
// broker CPU than reading the data (BenchmarkFetchCatchUp: growFor and
// the GC's marking were a third of a catch-up fetch's profile). A buffer
// goes back once the response holding it is encoded (reply.release);
// buffers above fetchBufMax (a KIP-74 first batch larger than the
// partition's limit) are left to the collector. Partitions served through
// an enforcement policy do not use them (its filter may keep what it
// returns).
var fetchBufs sync.Pool

// fetchBufMax is the largest buffer kept in fetchBufs: a Java consumer's
// max.partition.fetch.bytes (1 MiB) and some room.
const fetchBufMax = 2 << 20

func getFetchBuf() []byte {
	if b, ok := fetchBufs.Get().(*[]byte); ok {
		return (*b)[:0]
	}
	return nil
}

func putFetchBuf(b []byte) {
	if cap(b) == 0 || cap(b) > fetchBufMax {
		return
	}
	b = b[:0]
	fetchBufs.Put(&b)
}

// releaseFetch returns the buffers of every partition once the response
// is encoded; nothing may read them after.
func releaseFetch(parts []fetchPart) {
	for i := range parts {
		for _, b := range parts[i].bufs {
			putFetchBuf(b)
		}
		parts[i].bufs = nil
	}
}

func handleFetch(s *Server, c *conn, req *kmsg.FetchRequest) (reply, error) {
	start := time.Now()
	resp := req.ResponseKind().(*kmsg.FetchResponse)
	if req.Version >= 7 && req.SessionID != 0 {
		resp.ErrorCode = kerr.FetchSessionIDNotFound.Code
		return now(resp), nil
	}
	if req.Version >= 7 && req.SessionEpoch > 0 {
		resp.ErrorCode = kerr.InvalidFetchSessionEpoch.Code
		return now(resp), nil
	}
	parts := s.resolveFetch(req, resp)
	r := later(func() kmsg.Response {
		s.serveFetch(req, parts, start)
		s.m.FetchRequests.Inc()
		s.m.FetchLatency.Observe(time.Since(start).Seconds())
		return resp
	})
	r.release = func() { releaseFetch(parts) }
	return r, nil
}

// resolveFetch builds the response skeleton and resolves every partition.
func (s *Server) resolveFetch(req *kmsg.FetchRequest, resp *kmsg.FetchResponse) []fetchPart {
	ctx, cancel := s.requestContext()
	defer cancel()
	var parts []fetchPart
	for _, rt := range req.Topics {
		r := s.resolve(ctx, rt.Topic, rt.TopicID, req.Version >= 13)
		ot := kmsg.NewFetchResponseTopic()
		ot.Topic, ot.TopicID = rt.Topic, rt.TopicID
		ot.Partitions = make([]kmsg.FetchResponseTopicPartition, len(rt.Partitions))
		for i, rp := range rt.Partitions {
			op := &ot.Partitions[i]
			*op = kmsg.NewFetchResponseTopicPartition()
			op.Partition, op.HighWatermark, op.LastStableOffset, op.LogStartOffset = rp.Partition, -1, -1, -1
			op.RecordBatches = []byte{} // Kafka sends empty, never null, records; librdkafka rejects size -1
			fp := fetchPart{resp: op, offset: rp.FetchOffset, maxBytes: rp.PartitionMaxBytes}
			switch op.ErrorCode = r.partitionCode(rp.Partition); {
			case op.ErrorCode != 0:
			case rp.CurrentLeaderEpoch > 0:
				op.ErrorCode = kerr.FencedLeaderEpoch.Code
			case r.internal:
				fp.empty = fetchInternal(op, rp.FetchOffset)
			default:
				fp.pk, fp.ok = r.key(rp.Partition), true
				fp.enforce = s.enforce.Fetch(r.t.Name)
			}
			parts = append(parts, fp)
		}
		resp.Topics = append(resp.Topics, ot)
	}
	return parts
}

// serveFetch reads, and long-polls until MinBytes arrive, MaxWait passes
// or the broker drains (Shutdown answers long polls at once).
func (s *Server) serveFetch(req *kmsg.FetchRequest, parts []fetchPart, start time.Time) {
	deadline := start.Add(time.Duration(req.MaxWaitMillis) * time.Millisecond)
	var watch *read.Watcher
	if req.MaxWaitMillis > 0 && req.MinBytes > 0 {
		var pks []metastore.PartitionKey
		for _, p := range parts {
			if p.ok {
				pks = append(pks, p.pk)
			}
		}
		watch = s.reader.WatchChanges(pks)
		defer watch.Cancel()
	}
	var only map[metastore.PartitionKey]struct{} // nil: read every partition
	for {
		total, records, failed := s.readFetch(req, parts, only)
		wait := time.Until(deadline)
		if total >= int(req.MinBytes) || failed || watch == nil || wait <= 0 {
			s.countFetched(parts, total, records)
			return
		}
		timer := time.NewTimer(wait)
		select {
		case <-watch.C():
			timer.Stop()
			only = watch.Changed()
		case <-timer.C:
			total, records, _ := s.readFetch(req, parts, watch.Changed())
			s.countFetched(parts, total, records)
			return
		case <-s.drain: // shutting down: answer now, do not hold the drain for MaxWait
			timer.Stop()
			total, records, _ := s.readFetch(req, parts, watch.Changed())
			s.countFetched(parts, total, records)
			return
		}
	}
}

// countFetched counts what a response returned: bytes, records and the
// partitions that carry records.
func (s *Server) countFetched(parts []fetchPart, bytes, records int) {
	s.m.FetchBytes.Add(float64(bytes))
	s.m.FetchRecords.Add(float64(records))
	with := 0
	for i := range parts {
		if len(parts[i].resp.RecordBatches) > 0 {
			with++
		}
	}
	s.m.FetchPartitions.Add(float64(with))
}

// readFetch fills the resolved partitions (with only set, re-reads just
// those and keeps the others' last answers); it reports the bytes and
// records returned and whether any partition failed (a failure ends the
// long poll, as Kafka answers errors at once).
func (s *Server) readFetch(req *kmsg.FetchRequest, parts []fetchPart, only map[metastore.PartitionKey]struct{}) (int, int, bool) {
	ctx, cancel := s.requestContext()
	defer cancel()
	budget := int(req.MaxBytes)
	if req.Version < 3 || budget <= 0 {
		budget = 50 << 20
	}
	s.readParts(ctx, parts, only, budget)
	total, records, failed := 0, 0, false
	for i := range parts {
		p := &parts[i]
		if p.empty {
			continue
		}
		if !p.ok {
			failed = true
			continue
		}
		res, err := p.read, p.readErr
		if room := min(budget-total, int(p.maxBytes)); total > 0 && len(res.Records) > room {
			res = trimTo(res, max(room, 0)) // what a strict read after the first partition would have given
		}
		op := p.resp
		op.HighWatermark, op.LastStableOffset, op.LogStartOffset = res.State.HighWater, res.State.HighWater, res.State.LogStart
		op.RecordBatches = res.Records
		if op.RecordBatches == nil {
			op.RecordBatches = []byte{} // Kafka sends empty, never null, records; librdkafka rejects size -1
		}
		op.ErrorCode = fetchErrCode(err)
		if err != nil {
			failed = true
		}
		total += len(op.RecordBatches)
		records += res.NumRecords
	}
	return total, records, failed
}

// readParts reads the resolved partitions (only those in only, unless it
// is nil) concurrently, each within its own limit and the whole budget,
// filtered by its enforcement policy, into p.read and p.readErr.
func (s *Server) readParts(ctx context.Context, parts []fetchPart, only map[metastore.PartitionKey]struct{}, budget int) {
	var todo []*fetchPart
	for i := range parts {
		p := &parts[i]
		if _, ok := only[p.pk]; p.ok && !p.empty && (only == nil || ok) {
			todo = append(todo, p)
		}
	}
	if len(todo) == 1 {
		s.readPart(ctx, todo[0], budget)
		return
	}
	sem := make(chan struct{}, fetchReaders)
	var wg sync.WaitGroup
	for _, p := range todo {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			s.readPart(ctx, p, budget)
		})
	}
	wg.Wait()
}

// readPart reads one partition, as the first partition with data would be
// read (its first batch whole even when larger than the limit, KIP-74);
// readFetch trims the others to the room a sequential, strict read would
// have left them.
func (s *Server) readPart(ctx context.Context, p *fetchPart, budget int) {
	limit := max(min(int(p.maxBytes), budget), 0)
	var buf []byte
	if p.enforce == nil {
		buf = getFetchBuf()
	}
	res, err := s.reader.ReadAppend(ctx, p.pk, p.offset, limit, false, buf)
	if p.enforce != nil && len(res.Records) > 0 {
		res.Records = p.enforce.Filter(ctx, p.pk.Topic, p.pk.Partition, res.Records)
	}
	if p.enforce == nil {
		p.bufs = append(p.bufs, res.Records) // buf, or what the read grew it into
		if !sameStart(buf, res.Records) {
			putFetchBuf(buf) // outgrown: no part of the response is in it
		}
	}
	if err != nil && !errors.Is(err, read.ErrOffsetOutOfRange) {
		s.log.Warn("fetch read failed", "partition", p.pk.Partition, "offset", p.offset, "err", err)
	}
	p.read, p.readErr = res, err
}

// sameStart reports whether a and b start at the same byte of memory.
func sameStart(a, b []byte) bool {
	return cap(a) > 0 && cap(b) > 0 && &a[:1][0] == &b[:1][0]
}

// trimTo keeps the whole batches of res that fit in room bytes, and
// recounts their records.
func trimTo(res read.Result, room int) read.Result {
	kept, records := 0, 0
	_ = recordbatch.Walk(res.Records, func(h recordbatch.Header, raw []byte) bool {
		if kept+len(raw) > room {
			return false
		}
		kept += len(raw)
		records += int(h.NumRecords)
		return true
	}) // the read path framed these batches; a framing error only ends the walk early
	res.Records, res.NumRecords = res.Records[:kept], records
	return res
}

// fetchInternal answers a partition of an internal topic, whose log is
// always empty (internal_topics.go): offset 0 is the start and the end,
// any other is out of range. It reports whether the answer is a success,
// which does not end a long poll.
func fetchInternal(op *kmsg.FetchResponseTopicPartition, offset int64) bool {
	op.HighWatermark, op.LastStableOffset, op.LogStartOffset = 0, 0, 0
	if offset != 0 {
		op.ErrorCode = kerr.OffsetOutOfRange.Code
		return false
	}
	return true
}

func fetchErrCode(err error) int16 {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, read.ErrOffsetOutOfRange):
		return kerr.OffsetOutOfRange.Code
	case isNotFound(err):
		return kerr.UnknownTopicOrPartition.Code
	case errors.Is(err, read.ErrCorrupt):
		return kerr.CorruptMessage.Code
	default:
		return kerr.KafkaStorageError.Code
	}
}
