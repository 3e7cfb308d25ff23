package broker

// DeleteGroups, versions 0-2: empty groups only, offsets included.

import "github.com/twmb/franz-go/pkg/kmsg"

func init() { register(0, 2, handleDeleteGroups) }

func handleDeleteGroups(s *Server, c *conn, req *kmsg.DeleteGroupsRequest) (reply, error) {
	ctx, cancel := s.requestContext()
	defer cancel()
	return now(s.groups.DeleteGroups(ctx, req)), nil
}
