package broker

// ConsumerGroupHeartbeat, versions 0-1 (KIP-848: the broker assigns).

import "github.com/twmb/franz-go/pkg/kmsg"

func init() { register(0, 1, handleConsumerGroupHeartbeat) }

func handleConsumerGroupHeartbeat(s *Server, c *conn, req *kmsg.ConsumerGroupHeartbeatRequest) (reply, error) {
	ctx, cancel := s.requestContext()
	defer cancel()
	return now(s.groups.ConsumerGroupHeartbeat(ctx, req, c.client())), nil
}
