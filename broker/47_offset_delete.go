package broker

// OffsetDelete, version 0 (KIP-496).

import "github.com/twmb/franz-go/pkg/kmsg"

func init() { register(0, 0, handleOffsetDelete) }

func handleOffsetDelete(s *Server, c *conn, req *kmsg.OffsetDeleteRequest) (reply, error) {
	ctx, cancel := s.requestContext()
	defer cancel()
	return now(s.groups.OffsetDelete(ctx, req)), nil
}
