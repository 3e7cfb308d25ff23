package broker

import (
	"fmt"
	"sync"
	"time"
)

// Accept backoff, as net/http's Server.Serve: 5ms, doubling, at most 1s.
const (
	acceptBackoffMin = 5 * time.Millisecond
	acceptBackoffMax = time.Second
)

// acceptLogEvery bounds how often a run of failing accepts is logged.
const acceptLogEvery = 10 * time.Second

// acceptBackoff is the wait after a failed accept, given the previous one
// (0 after a success).
func acceptBackoff(prev time.Duration) time.Duration {
	if prev == 0 {
		return acceptBackoffMin
	}
	return min(2*prev, acceptBackoffMax)
}

// acceptHealth is whether the Kafka listener accepts. The accept loop is
// its only writer; ListenerErr reads it from the admin server. mu guards
// every field.
type acceptHealth struct {
	mu         sync.Mutex
	err        error     // the last failure of the current run; nil while accepting
	since      time.Time // when the current run of failures began
	failures   int       // failures in the current run
	runLogged  bool      // whether the current run was logged, so its end is too
	loggedAt   time.Time // when a failure was last logged, across runs
	suppressed int       // failures since then, not logged one by one
}

// failed records a failed accept: counted always, logged at most every
// acceptLogEvery however often the listener flaps between failing and
// accepting.
func (h *acceptHealth) failed(s *Server, err error) {
	s.m.AcceptErrors.Inc()
	s.m.KafkaListenerAccepting.Set(0)
	h.mu.Lock()
	now := time.Now()
	if h.err == nil {
		h.since, h.failures, h.runLogged = now, 0, false
	}
	h.err = err
	h.failures++
	logNow := h.loggedAt.IsZero() || now.Sub(h.loggedAt) >= acceptLogEvery
	suppressed := h.suppressed
	if logNow {
		h.loggedAt, h.suppressed, h.runLogged = now, 0, true
	} else {
		h.suppressed++
	}
	failures, since := h.failures, h.since
	h.mu.Unlock()
	if logNow {
		s.log.Error("kafka listener cannot accept connections; retrying", "err", err,
			"failing_for", now.Sub(since).Round(time.Millisecond).String(), "failures", failures, "not_logged", suppressed)
	}
}

// succeeded records an accepted connection, ending a run of failures; the
// end is logged when the run's start was.
func (h *acceptHealth) succeeded(s *Server) {
	h.mu.Lock()
	if h.err == nil {
		h.mu.Unlock()
		return
	}
	since, failures, logged := h.since, h.failures, h.runLogged
	h.err = nil
	h.mu.Unlock()
	s.m.KafkaListenerAccepting.Set(1)
	if logged {
		s.log.Info("kafka listener accepts connections again", "failed_for", time.Since(since).Round(time.Millisecond).String(), "failures", failures)
	}
}

// ListenerErr reports why the Kafka listener is not accepting connections,
// or nil while it is, for the admin server's /-/status.
func (s *Server) ListenerErr() error {
	h := &s.accept
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.err == nil {
		return nil
	}
	return fmt.Errorf("kafka listener not accepting connections for %v: %w", time.Since(h.since).Round(time.Millisecond), h.err)
}
