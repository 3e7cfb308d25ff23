package broker

// LeaveGroup, versions 0-5 (batched, static members by instance ID from v3).

import "github.com/twmb/franz-go/pkg/kmsg"

func init() { register(0, 5, handleLeaveGroup) }

func handleLeaveGroup(s *Server, c *conn, req *kmsg.LeaveGroupRequest) (reply, error) {
	ctx, cancel := s.requestContext()
	defer cancel()
	return now(s.groups.LeaveGroup(ctx, req)), nil
}
