package broker

// JoinGroup, versions 0-9 (classic groups; KIP-394 member IDs from v4,
// KIP-345 static members from v5): waits for the rebalance to end.

import "github.com/twmb/franz-go/pkg/kmsg"

func init() { register(0, 9, handleJoinGroup) }

func handleJoinGroup(s *Server, c *conn, req *kmsg.JoinGroupRequest) (reply, error) {
	ctx, cancel := s.requestContext()
	defer cancel()
	wait := s.groups.JoinGroup(ctx, req, c.client())
	return later(func() kmsg.Response {
		r := wait()
		r.Version = req.Version
		return r
	}), nil
}
