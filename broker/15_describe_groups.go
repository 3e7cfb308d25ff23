package broker

// DescribeGroups, versions 0-5 (classic groups).

import "github.com/twmb/franz-go/pkg/kmsg"

func init() { register(0, 5, handleDescribeGroups) }

func handleDescribeGroups(s *Server, c *conn, req *kmsg.DescribeGroupsRequest) (reply, error) {
	ctx, cancel := s.requestContext()
	defer cancel()
	return now(s.groups.DescribeGroups(ctx, req)), nil
}
