package broker

// Heartbeat, versions 0-4 (classic groups).

import "github.com/twmb/franz-go/pkg/kmsg"

func init() { register(0, 4, handleHeartbeat) }

func handleHeartbeat(s *Server, c *conn, req *kmsg.HeartbeatRequest) (reply, error) {
	ctx, cancel := s.requestContext()
	defer cancel()
	resp := req.ResponseKind().(*kmsg.HeartbeatResponse)
	resp.ErrorCode = s.groups.Heartbeat(ctx, req)
	return now(resp), nil
}
