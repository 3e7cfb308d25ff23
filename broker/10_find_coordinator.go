package broker

// FindCoordinator, versions 0-6: the broker that coordinates a group,
// chosen by rendezvous hashing over the live brokers (membership); v4+
// batches keys (KIP-699). Transactions are not supported yet: a
// transaction key gets TRANSACTIONAL_ID_AUTHORIZATION_FAILED with a message
// saying so (errNoTransactions), the one code every client treats as fatal
// for this lookup (librdkafka's and Java's FindCoordinator handlers, and
// franz-go, which retries only retriable codes), so a transactional
// producer fails at once instead of retrying COORDINATOR_NOT_AVAILABLE
// until its timeout. Other coordinator types (share groups) get
// COORDINATOR_NOT_AVAILABLE.

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func init() { register(0, 6, handleFindCoordinator) }

// coordinatorTransaction is FindCoordinator's key type for transactional IDs.
const coordinatorTransaction = 1

// errNoTransactions is the error message a transactional producer gets from
// FindCoordinator and InitProducerID until transactions exist.
const errNoTransactions = "tributary does not support transactions yet; unset transactional.id (an idempotent producer still writes each partition exactly once)"

func handleFindCoordinator(s *Server, c *conn, req *kmsg.FindCoordinatorRequest) (reply, error) {
	resp := req.ResponseKind().(*kmsg.FindCoordinatorResponse)
	keys := req.CoordinatorKeys
	if req.Version < 4 {
		keys = []string{req.CoordinatorKey}
	}
	for _, key := range keys {
		rc := kmsg.NewFindCoordinatorResponseCoordinator()
		rc.Key = key
		switch {
		case req.CoordinatorType == coordinatorTransaction:
			rc.ErrorCode = kerr.TransactionalIDAuthorizationFailed.Code
			rc.ErrorMessage = kmsg.StringPtr(errNoTransactions)
		case req.CoordinatorType != 0:
			rc.ErrorCode = kerr.CoordinatorNotAvailable.Code
			rc.ErrorMessage = kmsg.StringPtr("tributary coordinates consumer groups only (no transactions, no share groups)")
		case s.draining():
			rc.ErrorCode = kerr.CoordinatorNotAvailable.Code
		default:
			rc.NodeID, rc.Host, rc.Port = s.groupCoordinator(key)
		}
		if rc.ErrorCode != 0 {
			rc.NodeID, rc.Port = -1, -1
		}
		resp.Coordinators = append(resp.Coordinators, rc)
	}
	if req.Version < 4 {
		one := resp.Coordinators[0]
		resp.Coordinators = nil
		resp.ErrorCode, resp.ErrorMessage, resp.NodeID, resp.Host, resp.Port = one.ErrorCode, one.ErrorMessage, one.NodeID, one.Host, one.Port
	}
	return now(resp), nil
}

// groupCoordinator names the broker coordinating a group.
func (s *Server) groupCoordinator(key string) (int32, string, int32) {
	if s.members == nil {
		return s.opts.NodeID, s.adv.host, s.adv.port
	}
	b := s.members.Coordinator(key)
	return b.NodeID, b.Host, b.Port
}

// groupOwner is group.Options.Owner: which broker coordinates a group and
// whether it is this one.
func (s *Server) groupOwner(key string) (int32, bool) {
	if s.members == nil {
		return s.opts.NodeID, true
	}
	b := s.members.Coordinator(key)
	return b.NodeID, b.NodeID == s.members.Self().NodeID
}
