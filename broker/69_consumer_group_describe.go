package broker

// ConsumerGroupDescribe, versions 0-1 (KIP-848 groups).

import "github.com/twmb/franz-go/pkg/kmsg"

func init() { register(0, 1, handleConsumerGroupDescribe) }

func handleConsumerGroupDescribe(s *Server, c *conn, req *kmsg.ConsumerGroupDescribeRequest) (reply, error) {
	ctx, cancel := s.requestContext()
	defer cancel()
	return now(s.groups.ConsumerGroupDescribe(ctx, req)), nil
}
