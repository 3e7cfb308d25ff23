package broker

// SyncGroup, versions 0-5: the leader hands in the assignment; every member
// waits for its part.

import "github.com/twmb/franz-go/pkg/kmsg"

func init() { register(0, 5, handleSyncGroup) }

func handleSyncGroup(s *Server, c *conn, req *kmsg.SyncGroupRequest) (reply, error) {
	ctx, cancel := s.requestContext()
	defer cancel()
	wait := s.groups.SyncGroup(ctx, req)
	return later(func() kmsg.Response {
		r := wait()
		r.Version = req.Version
		return r
	}), nil
}
