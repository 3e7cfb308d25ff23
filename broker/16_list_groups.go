package broker

// ListGroups, versions 0-5: the groups this broker coordinates, with
// state (v4+) and type (v5+) filters.

import "github.com/twmb/franz-go/pkg/kmsg"

func init() { register(0, 5, handleListGroups) }

func handleListGroups(s *Server, c *conn, req *kmsg.ListGroupsRequest) (reply, error) {
	ctx, cancel := s.requestContext()
	defer cancel()
	return now(s.groups.ListGroups(ctx, req)), nil
}
