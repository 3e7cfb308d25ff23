package broker

// OffsetForLeaderEpoch, versions 3-4 (KIP-320): clients check after a
// leader change that their position is not past the log end. Every
// partition has one leader epoch, 0, for its whole life, so the answer is
// the log end offset for epoch 0 and UNDEFINED (-1, -1) for a later one, as
// Kafka answers for an epoch it has never seen.

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func init() { register(3, 4, handleOffsetForLeaderEpoch) }

func handleOffsetForLeaderEpoch(s *Server, c *conn, req *kmsg.OffsetForLeaderEpochRequest) (reply, error) {
	ctx, cancel := s.requestContext()
	defer cancel()
	resp := req.ResponseKind().(*kmsg.OffsetForLeaderEpochResponse)
	for _, rt := range req.Topics {
		ot := kmsg.NewOffsetForLeaderEpochResponseTopic()
		ot.Topic = rt.Topic
		r := s.resolve(ctx, rt.Topic, [16]byte{}, false)
		for _, rp := range rt.Partitions {
			op := kmsg.NewOffsetForLeaderEpochResponseTopicPartition()
			op.Partition, op.LeaderEpoch, op.EndOffset = rp.Partition, -1, -1
			switch op.ErrorCode = r.partitionCode(rp.Partition); {
			case op.ErrorCode != 0:
			case rp.CurrentLeaderEpoch > 0:
				op.ErrorCode = kerr.UnknownLeaderEpoch.Code
			case rp.LeaderEpoch == 0:
				st, perr := s.meta.Partition(ctx, r.key(rp.Partition))
				if perr != nil {
					op.ErrorCode = storeErrCode(perr)
				} else {
					op.LeaderEpoch, op.EndOffset = 0, st.HighWater
				}
			}
			ot.Partitions = append(ot.Partitions, op)
		}
		resp.Topics = append(resp.Topics, ot)
	}
	return now(resp), nil
}
