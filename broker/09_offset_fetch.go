package broker

// OffsetFetch, versions 1-9 (many groups per request from v8).

import "github.com/twmb/franz-go/pkg/kmsg"

func init() { register(1, 9, handleOffsetFetch) }

func handleOffsetFetch(s *Server, c *conn, req *kmsg.OffsetFetchRequest) (reply, error) {
	ctx, cancel := s.requestContext()
	defer cancel()
	return now(s.groups.OffsetFetch(ctx, req)), nil
}
