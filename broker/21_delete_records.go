package broker

// DeleteRecords, versions 0-2 (KIP-107: AdminClient.deleteRecords,
// kafka-delete-records).
//
// Each partition's log start moves to the offset asked, or to the high
// watermark for -1, in one metadata-store transaction
// (metastore.Store.DeleteRecords) that also drops the index entries wholly
// below it; their objects become dead and housekeeping deletes them. The
// answer's low watermark is the log start after the call. As in Kafka
// (Partition.deleteRecordsOnLeader): an offset at or below the current log
// start changes nothing and answers the current start; one past the high
// watermark, or negative other than -1, is OFFSET_OUT_OF_RANGE; a topic
// whose cleanup.policy does not include "delete" is POLICY_VIOLATION.
// Fetch and ListOffsets read the log start from the store, so every broker
// of a cluster honours the new start at once. Moving the log start only
// frees space (see boltstore's reserve), so it works on a full disk.

import (
	"context"
	"errors"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/tributary-io/tributary/internal/metastore"
)

func init() { register(0, 2, handleDeleteRecords) }

func handleDeleteRecords(s *Server, c *conn, req *kmsg.DeleteRecordsRequest) (reply, error) {
	ctx, cancel := s.requestContext()
	defer cancel()
	resp := req.ResponseKind().(*kmsg.DeleteRecordsResponse)
	for _, rt := range req.Topics {
		ot := kmsg.NewDeleteRecordsResponseTopic()
		ot.Topic = rt.Topic
		r := s.resolve(ctx, rt.Topic, [16]byte{}, false)
		for _, rp := range rt.Partitions {
			ot.Partitions = append(ot.Partitions, s.deleteRecords(ctx, r, rp))
		}
		resp.Topics = append(resp.Topics, ot)
	}
	return now(resp), nil
}

func (s *Server) deleteRecords(ctx context.Context, r resolved, rp kmsg.DeleteRecordsRequestTopicPartition) kmsg.DeleteRecordsResponseTopicPartition {
	op := kmsg.NewDeleteRecordsResponseTopicPartition()
	op.Partition, op.LowWatermark = rp.Partition, -1
	if op.ErrorCode = r.partitionCode(rp.Partition); op.ErrorCode != 0 {
		return op
	}
	if !r.st.Deletes {
		op.ErrorCode = kerr.PolicyViolation.Code
		return op
	}
	st, err := s.meta.DeleteRecords(ctx, r.key(rp.Partition), rp.Offset)
	if err != nil {
		op.ErrorCode = deleteRecordsCode(err)
		return op
	}
	op.LowWatermark = st.LogStart
	s.log.Info("deleted records", "topic", r.t.Name, "partition", rp.Partition, "log_start", st.LogStart)
	return op
}

func deleteRecordsCode(err error) int16 {
	if errors.Is(err, metastore.ErrOffsetOutOfRange) {
		return kerr.OffsetOutOfRange.Code
	}
	return storeErrCode(err)
}
