package broker

// ListOffsets, versions 1-10.
//
// Timestamps: -2 earliest (the log start), -1 latest (the high watermark,
// also for read_committed as there are no transactions), -3 the record with
// the largest timestamp (KIP-734, v7+), -4 earliest local (KIP-405: all data
// is in the object store, so the log start), -5 latest tiered (KIP-1005: the
// last offset, -1 for an empty partition); any other value finds the first
// record whose timestamp is at least that, or answers offset -1 when none is.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/tributary-io/tributary/internal/metastore"
)

func init() { register(1, 10, handleListOffsets) }

func handleListOffsets(s *Server, c *conn, req *kmsg.ListOffsetsRequest) (reply, error) {
	ctx, cancel := s.requestContext()
	defer cancel()
	resp := req.ResponseKind().(*kmsg.ListOffsetsResponse)
	for _, rt := range req.Topics {
		ot := kmsg.NewListOffsetsResponseTopic()
		ot.Topic = rt.Topic
		r := s.resolve(ctx, rt.Topic, [16]byte{}, false)
		for _, rp := range rt.Partitions {
			op := kmsg.NewListOffsetsResponseTopicPartition()
			op.Partition, op.Timestamp, op.Offset, op.LeaderEpoch = rp.Partition, -1, -1, 0
			switch op.ErrorCode = r.partitionCode(rp.Partition); {
			case op.ErrorCode != 0:
			case rp.CurrentLeaderEpoch > 0:
				op.ErrorCode = kerr.FencedLeaderEpoch.Code
			case r.internal:
				listInternalOffset(&op, rp.Timestamp)
			default:
				s.listOffset(ctx, &op, r.key(rp.Partition), rp.Timestamp)
			}
			ot.Partitions = append(ot.Partitions, op)
		}
		resp.Topics = append(resp.Topics, ot)
	}
	return now(resp), nil
}

func (s *Server) listOffset(ctx context.Context, op *kmsg.ListOffsetsResponseTopicPartition, pk metastore.PartitionKey, ts int64) {
	st, err := s.meta.Partition(ctx, pk)
	if err != nil {
		op.ErrorCode = storeErrCode(err)
		return
	}
	switch ts {
	case -2, -4:
		op.Offset = st.LogStart
	case -1:
		op.Offset = st.HighWater
	case -5:
		op.Offset = st.HighWater - 1
	case -3:
		off, t, found, err := s.reader.MaxTimestamp(ctx, pk)
		if err != nil {
			op.ErrorCode = fetchErrCode(err)
		} else if found {
			op.Offset, op.Timestamp = off, t
		}
	default:
		off, t, found, err := s.reader.OffsetForTimestamp(ctx, pk, ts)
		if err != nil {
			op.ErrorCode = fetchErrCode(err)
		} else if found {
			op.Offset, op.Timestamp = off, t
		}
	}
}

// listInternalOffset answers for a partition of an internal topic, whose
// log is always empty (internal_topics.go): the start and the end are 0,
// the last offset is -1, and no record matches a timestamp.
func listInternalOffset(op *kmsg.ListOffsetsResponseTopicPartition, ts int64) {
	switch ts {
	case -2, -4, -1:
		op.Offset = 0
	}
}
