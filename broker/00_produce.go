package broker

// Produce, versions 3-13 (v13 names topics by ID, KIP-516).
//
// Each partition's record set is validated as Kafka's LogValidator does
// (recordbatch.Validate: CRC, lengths, counts, codecs, size against
// max.message.bytes); a bad one gets its error code, record_errors (v8+)
// and a message, and the other partitions of the request go on. The good
// ones are handed to the intake writer in one Submit, in request order, on
// the connection's reader goroutine; the reply waits for their flush.
//
// acks: 0 gets no response at all; 1 and -1 (all) are both answered only
// once the intake object and its index are durable (there is no weaker
// "leader has it" state to acknowledge). Other values: INVALID_REQUIRED_ACKS.
// A flush that fails in the object or metadata store answers
// KAFKA_STORAGE_ERROR (retriable); one still running when the request's
// timeout passes answers REQUEST_TIMED_OUT. An internal topic
// (__consumer_offsets, internal_topics.go) answers INVALID_TOPIC_EXCEPTION,
// as Kafka does for clients. Transactions are not
// implemented: a transactional produce gets INVALID_TXN_STATE.
//
// Schema enforcement (broker/enforce) runs after that validation, for
// topics a data_enforcement produce policy or bufstream.validate.mode
// covers: REJECT_BATCH answers INVALID_RECORD with record_errors and a
// message naming the field and rule; FILTER_RECORD stores the batch
// rebuilt without the bad records (same offsets span and producer
// sequence); dlq mode does the same and writes copies of them to the
// dead-letter topic (created with the topic's partition count if missing,
// partition = source partition modulo its count) in the same Submit, so
// they become durable with the rest. Other topics cost one map lookup.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/tributary-io/tributary/broker/enforce"
	"github.com/tributary-io/tributary/internal/metastore"
	"github.com/tributary-io/tributary/internal/metrics"
	"github.com/tributary-io/tributary/log/intake"
	"github.com/tributary-io/tributary/log/recordbatch"
	"github.com/tributary-io/tributary/topicconfig"
)

func init() { register(3, 13, handleProduce) }

// producePart ties one response partition to its submitted part, if any.
type producePart struct {
	resp          *kmsg.ProduceResponseTopicPartition
	part          int // index into the submitted parts, -1 if none
	logAppendTime int64
}

func handleProduce(s *Server, c *conn, req *kmsg.ProduceRequest) (reply, error) {
	start := time.Now()
	resp := req.ResponseKind().(*kmsg.ProduceResponse)
	if req.Acks != 0 && req.Acks != 1 && req.Acks != -1 {
		fillProduceError(resp, req, kerr.InvalidRequiredAcks.Code)
		return now(resp), nil
	}
	if req.TransactionID != nil {
		fillProduceError(resp, req, kerr.InvalidTxnState.Code)
		return now(resp), nil
	}
	var parts, dlq []intake.Part
	var track []producePart
	ctx, cancel := s.requestContextWithin(req.TimeoutMillis)
	defer cancel()
	for _, rt := range req.Topics {
		r := s.resolve(ctx, rt.Topic, rt.TopicID, req.Version >= 13)
		ot := kmsg.NewProduceResponseTopic()
		ot.Topic, ot.TopicID = rt.Topic, rt.TopicID
		ot.Partitions = make([]kmsg.ProduceResponseTopicPartition, len(rt.Partitions))
		for i, rp := range rt.Partitions {
			op := &ot.Partitions[i]
			*op = kmsg.NewProduceResponseTopicPartition()
			op.Partition, op.BaseOffset, op.LogAppendTime, op.LogStartOffset = rp.Partition, -1, -1, -1
			pp := producePart{resp: op, part: -1}
			if op.ErrorCode = r.partitionCode(rp.Partition); op.ErrorCode == 0 && r.internal {
				op.ErrorCode = kerr.InvalidTopicException.Code
				op.ErrorMessage = strp("cannot append to internal topic " + r.t.Name)
			} else if op.ErrorCode == 0 {
				if p, lat, ok := s.prepareProduce(op, req.Version, r, rp, start, &dlq); ok {
					pp.part, pp.logAppendTime = len(parts), lat
					parts = append(parts, p)
				}
			}
			track = append(track, pp)
		}
		resp.Topics = append(resp.Topics, ot)
	}
	parts = append(parts, dlq...) // untracked: they share the flush, not the answer
	return s.submitProduce(req, resp, parts, track, start)
}

// prepareProduce validates one partition's records into a Part, and
// enforces the topic's schema policy (appending dead-letter parts to dlq);
// on failure it fills the response partition and reports false.
func (s *Server) prepareProduce(op *kmsg.ProduceResponseTopicPartition, version int16, r resolved, rp kmsg.ProduceRequestTopicPartition, now time.Time, dlq *[]intake.Part) (intake.Part, int64, bool) {
	t, st := r.t, r.st
	opts := recordbatch.ValidateOptions{
		MaxBatchBytes: int(s.maxMessageBytes(st)),
		Compacted:     st.Compacts,
		RejectZstd:    version < 7, // KIP-110: zstd needs Produce v7
		Now:           now.UnixMilli(),
	}
	if st.LogAppendTime {
		opts.TimestampType = recordbatch.LogAppendTime
	}
	// A topic under enforcement is checked as validation reads each
	// record (one walk, one decompression per batch), and keeps the
	// decompressed records for the batches that lose some.
	pol := s.enforce.Produce(t.Name, st.Validation)
	var batches []recordbatch.Batch
	var opened []*recordbatch.Records
	var chk *enforce.ProduceCheck
	var err error
	if pol != nil {
		ctx, cancel := s.requestContext()
		defer cancel()
		chk = pol.Begin(ctx, rp.Partition)
		batches, opened, err = recordbatch.ValidateVisit(rp.Records, opts, chk.Visitor())
	} else {
		batches, err = recordbatch.Validate(rp.Records, opts)
	}
	if err != nil {
		fillRecordError(op, err)
		return intake.Part{}, 0, false
	}
	data := rp.Records
	if pol != nil {
		if data, batches, err = s.enforceProduce(op, chk, t, rp, batches, opened, now, dlq); err != nil {
			return intake.Part{}, 0, false
		}
	}
	first := batches[0]
	p := intake.Part{
		Partition: metastore.PartitionKey{Topic: t.ID, Partition: rp.Partition},
		Data:      data, ProducerID: first.ProducerID, ProducerEpoch: first.ProducerEpoch,
		BaseSequence: first.BaseSequence, MaxTimestamp: -1,
	}
	lat := int64(-1)
	if st.LogAppendTime {
		lat = now.UnixMilli()
		p.Data = append([]byte(nil), data...) // the request buffer is not ours to edit
	}
	for _, b := range batches {
		if b.Transactional {
			op.ErrorCode = kerr.InvalidTxnState.Code
			return intake.Part{}, 0, false
		}
		if lat >= 0 {
			if err := recordbatch.SetLogAppendTime(p.Data[b.Offset:b.Offset+b.Len], lat); err != nil {
				fillRecordError(op, err)
				return intake.Part{}, 0, false
			}
			b.MaxTimestamp = lat
		}
		p.NumRecords += b.NumRecords
		p.MaxTimestamp = max(p.MaxTimestamp, b.MaxTimestamp)
	}
	if first.ProducerID < 0 {
		p.ProducerID = metastore.NoProducerID
	}
	return p, lat, true
}

// enforceProduce applies a topic's schema policy to one partition's
// validated record set (chk, the checks validation's walk made): the
// record set to store and its batches, or an error once the response
// partition is filled (a rejected batch, a dead-letter topic that cannot
// be had).
func (s *Server) enforceProduce(op *kmsg.ProduceResponseTopicPartition, chk *enforce.ProduceCheck, t metastore.Topic, rp kmsg.ProduceRequestTopicPartition, batches []recordbatch.Batch, opened []*recordbatch.Records, now time.Time, dlq *[]intake.Part) ([]byte, []recordbatch.Batch, error) {
	for _, b := range batches {
		if b.Transactional { // refused below: no dead letters for it
			return rp.Records, batches, nil
		}
	}
	ctx, cancel := s.requestContext()
	defer cancel()
	res, err := chk.Finish(rp.Records, batches, opened)
	if err != nil {
		fillRecordError(op, err)
		return nil, nil, err
	}
	if res.Rejected {
		op.ErrorCode, op.ErrorMessage = kerr.InvalidRecord.Code, strp(res.Message)
		for _, re := range res.RecordErrors {
			er := kmsg.NewProduceResponseTopicPartitionErrorRecord()
			er.RelativeOffset, er.ErrorMessage = int32(re.Index), strp(re.Message)
			op.ErrorRecords = append(op.ErrorRecords, er)
		}
		return nil, nil, errRejected
	}
	if res.DLQ != nil {
		part, err := s.dlqPart(ctx, t, rp.Partition, res, now)
		if err != nil {
			op.ErrorCode, op.ErrorMessage = storeErrCode(err), strp(err.Error())
			if errors.Is(err, errBadDLQName) {
				op.ErrorCode = kerr.InvalidTopicException.Code
			}
			return nil, nil, err
		}
		*dlq = append(*dlq, part)
	}
	return res.Data, res.Batches, nil
}

// maxMessageBytes is a topic's largest batch: its max.message.bytes, else
// the broker's message.max.bytes.
func (s *Server) maxMessageBytes(st *topicconfig.Settings) int32 {
	if st.MaxMessageBytes > 0 {
		return st.MaxMessageBytes
	}
	return s.opts.MaxMessageBytes
}

var (
	errRejected   = errors.New("rejected by schema enforcement")
	errBadDLQName = errors.New("bad dead-letter topic name")
)

// dlqPart is the Part writing a produce's dead-letter copies: to the
// dead-letter topic, created like the source topic if missing, at the
// source partition modulo its partition count.
func (s *Server) dlqPart(ctx context.Context, src metastore.Topic, partition int32, res enforce.ProduceResult, now time.Time) (intake.Part, error) {
	t, ok, err := s.topics.lookup(ctx, res.DLQTopic, metastore.TopicID{})
	if err != nil {
		return intake.Part{}, fmt.Errorf("dead-letter topic %s: %w", res.DLQTopic, err)
	}
	if !ok {
		if err := validTopicName(res.DLQTopic); err != nil {
			return intake.Part{}, fmt.Errorf("%w: %v", errBadDLQName, err)
		}
		t, err = s.createTopic(ctx, metastore.TopicSpec{Name: res.DLQTopic, Partitions: src.Partitions})
		if isExists(err) { // created meanwhile, by another request or broker
			t, ok, err = s.topics.lookup(ctx, res.DLQTopic, metastore.TopicID{})
			if err == nil && !ok {
				err = metastore.ErrUnknownTopic
			}
		}
		if err != nil {
			return intake.Part{}, fmt.Errorf("create dead-letter topic %s: %w", res.DLQTopic, err)
		}
		s.log.Info("created dead-letter topic", "topic", res.DLQTopic, "for", src.Name, "partitions", t.Partitions)
	}
	maxTS := res.DLQMaxTimestamp
	if s.topics.settings(t).LogAppendTime {
		maxTS = now.UnixMilli()
		if err := recordbatch.SetLogAppendTime(res.DLQ, maxTS); err != nil {
			return intake.Part{}, err
		}
	}
	return intake.Part{
		Partition: metastore.PartitionKey{Topic: t.ID, Partition: partition % t.Partitions},
		Data:      res.DLQ, NumRecords: res.DLQRecords, MaxTimestamp: maxTS,
		ProducerID: metastore.NoProducerID, ProducerEpoch: -1, BaseSequence: -1,
	}, nil
}

// fillRecordError maps a validation error to the code, record_errors and
// message Kafka gives.
func fillRecordError(op *kmsg.ProduceResponseTopicPartition, err error) {
	op.ErrorCode = kerr.CorruptMessage.Code
	op.ErrorMessage = strp(err.Error())
	var rerr *recordbatch.Error
	if !errors.As(err, &rerr) {
		return
	}
	op.ErrorCode = rerr.Kind.Code
	for _, re := range rerr.RecordErrors {
		er := kmsg.NewProduceResponseTopicPartitionErrorRecord()
		er.RelativeOffset = int32(re.Index)
		er.ErrorMessage = strp(re.Message)
		op.ErrorRecords = append(op.ErrorRecords, er)
	}
}

// submitProduce hands the valid parts to the intake writer and returns the
// reply that waits for their flush.
func (s *Server) submitProduce(req *kmsg.ProduceRequest, resp *kmsg.ProduceResponse, parts []intake.Part, track []producePart, start time.Time) (reply, error) {
	timeout := time.Duration(req.TimeoutMillis) * time.Millisecond
	if timeout <= 0 || timeout > s.opts.RequestTimeout {
		timeout = s.opts.RequestTimeout
	}
	var pending *intake.Pending
	var subErr error
	if len(parts) > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		pending, subErr = s.writer.Submit(ctx, parts)
		cancel()
	}
	if req.Acks == 0 {
		return reply{fn: func() kmsg.Response { return nil }}, nil
	}
	return later(func() kmsg.Response {
		var results []intake.Result
		if pending != nil {
			ctx, cancel := context.WithTimeout(context.Background(), timeout-time.Since(start))
			results = pending.Wait(ctx)
			cancel()
			s.observeStages(pending.Stages())
		}
		for _, pp := range track {
			if pp.part < 0 {
				continue
			}
			if subErr != nil {
				pp.resp.ErrorCode = produceResultCode(subErr)
				continue
			}
			r := results[pp.part]
			if pp.resp.ErrorCode = produceResultCode(r.Err); pp.resp.ErrorCode == 0 {
				pp.resp.BaseOffset, pp.resp.LogStartOffset, pp.resp.LogAppendTime = r.BaseOffset, r.LogStart, pp.logAppendTime
				s.m.ProduceRecords.Add(float64(parts[pp.part].NumRecords))
				s.m.ProduceBytes.Add(float64(len(parts[pp.part].Data)))
			} else {
				pp.resp.ErrorMessage = strp(r.Err.Error())
			}
		}
		s.m.ProduceRequests.Inc()
		s.m.ProduceLatency.Observe(time.Since(start).Seconds())
		return resp
	}), nil
}

// observeStages records where a flushed produce's time went; a produce
// whose flush had not ended when its wait did has no stages.
func (s *Server) observeStages(st intake.Stages) {
	if st.Done.IsZero() {
		return
	}
	s.m.ProduceStages.WithLabelValues(metrics.ProduceStageQueue).Observe(st.Queue.Seconds())
	s.m.ProduceStages.WithLabelValues(metrics.ProduceStageObject).Observe(st.Object.Seconds())
	s.m.ProduceStages.WithLabelValues(metrics.ProduceStageIndex).Observe(st.Index.Seconds())
	s.m.ProduceStages.WithLabelValues(metrics.ProduceStageReply).Observe(time.Since(st.Done).Seconds())
}

// produceResultCode maps a flush outcome to a Kafka code.
func produceResultCode(err error) int16 {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, metastore.ErrOutOfOrderSequence):
		return kerr.OutOfOrderSequenceNumber.Code
	case errors.Is(err, metastore.ErrInvalidProducerEpoch):
		return kerr.InvalidProducerEpoch.Code
	case errors.Is(err, metastore.ErrUnknownPartition):
		return kerr.UnknownTopicOrPartition.Code
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return kerr.RequestTimedOut.Code
	case errors.Is(err, intake.ErrClosed):
		return kerr.NotLeaderForPartition.Code // the client re-reads metadata and retries elsewhere
	default:
		return kerr.KafkaStorageError.Code
	}
}

func fillProduceError(resp *kmsg.ProduceResponse, req *kmsg.ProduceRequest, code int16) {
	for _, rt := range req.Topics {
		ot := kmsg.NewProduceResponseTopic()
		ot.Topic, ot.TopicID = rt.Topic, rt.TopicID
		for _, rp := range rt.Partitions {
			op := kmsg.NewProduceResponseTopicPartition()
			op.Partition, op.ErrorCode, op.BaseOffset = rp.Partition, code, -1
			ot.Partitions = append(ot.Partitions, op)
		}
		resp.Topics = append(resp.Topics, ot)
	}
}
