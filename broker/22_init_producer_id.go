package broker

// InitProducerID, versions 0-5, for idempotent producers (KIP-98).
//
// A producer without a transactional ID gets a fresh producer ID at epoch 0
// from the metadata store, so IDs are unique across restarts and brokers.
// A client re-initialising an existing ID (v3+, KIP-360) also gets a fresh
// ID: its old sequence state stays behind in the store and cannot collide.
// Transactions are not implemented yet: a transactional ID is refused with
// TRANSACTIONAL_ID_AUTHORIZATION_FAILED, as FindCoordinator refuses the
// lookup before it (10_find_coordinator.go, whose response carries the
// message; this one has no message field): a non-retriable code that
// clients surface at once, rather than an accepted ID that then breaks.

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func init() { register(0, 5, handleInitProducerID) }

func handleInitProducerID(s *Server, c *conn, req *kmsg.InitProducerIDRequest) (reply, error) {
	resp := req.ResponseKind().(*kmsg.InitProducerIDResponse)
	resp.ProducerID, resp.ProducerEpoch = -1, -1
	if req.TransactionalID != nil {
		resp.ErrorCode = kerr.TransactionalIDAuthorizationFailed.Code
		s.log.Info("refused a transactional producer: transactions are not supported yet", "transactional_id", *req.TransactionalID)
		return now(resp), nil
	}
	ctx, cancel := s.requestContext()
	defer cancel()
	id, err := s.meta.AllocateProducerID(ctx)
	if err != nil {
		s.log.Warn("allocate producer id", "err", err)
		resp.ErrorCode = kerr.CoordinatorNotAvailable.Code
		return now(resp), nil
	}
	resp.ProducerID, resp.ProducerEpoch = id, 0
	return now(resp), nil
}
