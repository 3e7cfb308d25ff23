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
// A topic a data_enforcement fetch policy covers is served through
// broker/enforce: records failing its checks (FILTER_RECORD, and
// REJECT_BATCH, which acts as FILTER_RECORD on fetch) are removed from the
// batches, which keep their offsets span, so consumers move past them.

import (
	"errors"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/tributary-io/tributary/broker/enforce"
	"github.com/tributary-io/tributary/internal/metastore"
	"github.com/tributary-io/tributary/log/read"
)

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
	return later(func() kmsg.Response {
		s.serveFetch(req, parts, start)
		s.m.FetchRequests.Inc()
		s.m.FetchLatency.Observe(time.Since(start).Seconds())
		return resp
	}), nil
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
	var wake <-chan struct{}
	if req.MaxWaitMillis > 0 && req.MinBytes > 0 {
		var pks []metastore.PartitionKey
		for _, p := range parts {
			if p.ok {
				pks = append(pks, p.pk)
			}
		}
		ch, cancel := s.reader.Watch(pks)
		defer cancel()
		wake = ch
	}
	for {
		total, records, failed := s.readFetch(req, parts)
		wait := time.Until(deadline)
		if total >= int(req.MinBytes) || failed || wake == nil || wait <= 0 {
			s.countFetched(total, records)
			return
		}
		timer := time.NewTimer(wait)
		select {
		case <-wake:
			timer.Stop()
		case <-timer.C:
			total, records, _ := s.readFetch(req, parts)
			s.countFetched(total, records)
			return
		case <-s.drain: // shutting down: answer now, do not hold the drain for MaxWait
			timer.Stop()
			total, records, _ := s.readFetch(req, parts)
			s.countFetched(total, records)
			return
		}
	}
}

func (s *Server) countFetched(bytes, records int) {
	s.m.FetchBytes.Add(float64(bytes))
	s.m.FetchRecords.Add(float64(records))
}

// readFetch fills every resolved partition; it reports the bytes and
// records returned and whether any partition failed (a failure ends the
// long poll, as Kafka answers errors at once).
func (s *Server) readFetch(req *kmsg.FetchRequest, parts []fetchPart) (int, int, bool) {
	ctx, cancel := s.requestContext()
	defer cancel()
	total, records, failed := 0, 0, false
	budget := int(req.MaxBytes)
	if req.Version < 3 || budget <= 0 {
		budget = 50 << 20
	}
	for _, p := range parts {
		if p.empty {
			continue
		}
		if !p.ok {
			failed = true
			continue
		}
		limit := min(int(p.maxBytes), budget-total)
		res, err := s.reader.Read(ctx, p.pk, p.offset, max(limit, 0), total > 0)
		op := p.resp
		op.HighWatermark, op.LastStableOffset, op.LogStartOffset = res.State.HighWater, res.State.HighWater, res.State.LogStart
		op.RecordBatches = res.Records
		if p.enforce != nil && len(res.Records) > 0 {
			op.RecordBatches = p.enforce.Filter(ctx, p.pk.Topic, p.pk.Partition, res.Records)
		}
		if op.RecordBatches == nil {
			op.RecordBatches = []byte{} // Kafka sends empty, never null, records; librdkafka rejects size -1
		}
		op.ErrorCode = fetchErrCode(err)
		if err != nil {
			failed = true
			if !errors.Is(err, read.ErrOffsetOutOfRange) {
				s.log.Warn("fetch read failed", "partition", p.pk.Partition, "offset", p.offset, "err", err)
			}
		}
		total += len(op.RecordBatches)
		records += res.NumRecords
	}
	return total, records, failed
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
