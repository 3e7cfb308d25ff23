package group

// The classic group protocol: JoinGroup, SyncGroup, Heartbeat and
// LeaveGroup, with the states and error codes of Kafka's GroupCoordinator.
//
//	Empty ──join──▶ PreparingRebalance ──all joined / deadline──▶ CompletingRebalance
//	  ▲                  ▲                                              │ leader's SyncGroup
//	  └── last leaves ───┴──── join, leave, expiry, protocol change ── Stable ◀┘

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Client identifies the connection a request came from.
type Client struct {
	ID   string
	Host string
}

func newMemberID(clientID string) string {
	var b [16]byte
	rand.Read(b[:])
	return clientID + "-" + hex.EncodeToString(b[:])
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// JoinGroup handles a JoinGroup request; the returned function blocks
// until the answer is ready (the end of the rebalance).
func (c *Coordinator) JoinGroup(ctx context.Context, req *kmsg.JoinGroupRequest, cl Client) func() *kmsg.JoinGroupResponse {
	fail := func(code int16) func() *kmsg.JoinGroupResponse {
		r := joinError(req.Version, req.MemberID, code)
		return func() *kmsg.JoinGroupResponse { return r }
	}
	rebalanceTimeout := req.RebalanceTimeoutMillis
	if req.Version == 0 {
		rebalanceTimeout = req.SessionTimeoutMillis
	}
	session := time.Duration(req.SessionTimeoutMillis) * time.Millisecond
	switch {
	case req.Group == "":
		return fail(kerr.InvalidGroupID.Code)
	case session < c.opts.MinSessionTimeout || session > c.opts.MaxSessionTimeout:
		return fail(kerr.InvalidSessionTimeout.Code)
	case req.ProtocolType == "" || len(req.Protocols) == 0:
		return fail(kerr.InconsistentGroupProtocol.Code)
	}
	g, err := c.acquire(ctx, req.Group, req.MemberID == "")
	if err != nil {
		return fail(errorCode(err))
	}
	if g == nil {
		return fail(kerr.UnknownMemberID.Code)
	}
	defer g.mu.Unlock()
	if g.kind != kindClassic {
		// A KIP-848 group with members refuses classic joins; an empty one
		// is turned back into a classic group (as Kafka's upgrade path).
		if g.consumer != nil && len(g.consumer.members) > 0 {
			return fail(kerr.InconsistentGroupProtocol.Code)
		}
		g.kind, g.consumer, g.state = kindClassic, nil, stateEmpty
	}
	now := time.Now()
	protocols := make([]protocol, len(req.Protocols))
	for i, p := range req.Protocols {
		protocols[i] = protocol{Name: p.Name, Metadata: p.Metadata}
	}
	if g.state != stateEmpty && (g.protocolType != req.ProtocolType || !g.supportsAny(protocols)) {
		return fail(kerr.InconsistentGroupProtocol.Code)
	}
	instance := str(req.InstanceID)
	w := &joinWait{version: req.Version, ch: make(chan *kmsg.JoinGroupResponse, 1)}
	wait := func() *kmsg.JoinGroupResponse { return <-w.ch }

	if req.MemberID == "" {
		id := newMemberID(cl.ID)
		if old := g.staticMember(instance); old != nil {
			return g.replaceStatic(ctx, now, old, id, protocols, req, w)
		}
		if instance == "" && req.Version >= 4 {
			// KIP-394: hand out the ID first, so a client that times out
			// and retries does not leave a ghost member behind.
			g.pending[id] = now.Add(session)
			r := joinError(req.Version, id, kerr.MemberIDRequired.Code)
			return func() *kmsg.JoinGroupResponse { return r }
		}
		g.addMember(now, id, instance, cl, protocols, req, rebalanceTimeout, w)
		return wait
	}

	if _, ok := g.pending[req.MemberID]; ok {
		delete(g.pending, req.MemberID)
		g.addMember(now, req.MemberID, instance, cl, protocols, req, rebalanceTimeout, w)
		return wait
	}
	m := g.member(req.MemberID)
	if s := g.staticMember(instance); s != nil && s.ID != req.MemberID {
		return fail(kerr.FencedInstanceID.Code)
	}
	if m == nil || g.state == stateEmpty || g.state == stateDead {
		return fail(kerr.UnknownMemberID.Code)
	}
	m.SessionTimeout, m.RebalanceTimeout = req.SessionTimeoutMillis, rebalanceTimeout
	m.ClientID, m.ClientHost = cl.ID, cl.Host
	switch g.state {
	case statePreparingRebalance:
		g.updateMember(m, protocols, w)
		g.maybeCompleteJoin(now)
	case stateCompletingRebalance:
		if sameProtocols(m.Protocols, protocols) {
			// The join response was lost: send it again.
			w.ch <- g.joinResponse(m, req.Version)
			break
		}
		g.updateMember(m, protocols, w)
		g.prepareRebalance(now)
	case stateStable:
		if m.ID == g.leader || !sameProtocols(m.Protocols, protocols) {
			g.updateMember(m, protocols, w)
			g.prepareRebalance(now)
		} else {
			w.ch <- g.joinResponse(m, req.Version)
		}
	}
	m.deadline = now.Add(m.sessionTimeout())
	return wait
}

func (g *group) addMember(now time.Time, id, instance string, cl Client, protocols []protocol, req *kmsg.JoinGroupRequest, rebalanceTimeout int32, w *joinWait) {
	if len(g.members) == 0 {
		g.protocolType = req.ProtocolType
	}
	m := &member{ID: id, InstanceID: instance, ClientID: cl.ID, ClientHost: cl.Host,
		ProtocolType: req.ProtocolType, Protocols: protocols,
		SessionTimeout: req.SessionTimeoutMillis, RebalanceTimeout: rebalanceTimeout,
		join: w, isNew: true, deadline: now.Add(time.Duration(req.SessionTimeoutMillis) * time.Millisecond)}
	g.members = append(g.members, m)
	g.newMemberAdded = true
	if g.state == statePreparingRebalance {
		g.maybeCompleteJoin(now)
	} else {
		g.prepareRebalance(now)
	}
}

func (g *group) updateMember(m *member, protocols []protocol, w *joinWait) {
	if m.join != nil && m.join != w {
		// A second JoinGroup from the same member replaces the first.
		m.join.ch <- joinError(m.join.version, m.ID, kerr.UnknownMemberID.Code)
	}
	m.Protocols, m.join = protocols, w
}

// replaceStatic gives a static member that rejoined without its member ID
// (a restarted process) a new ID, fencing the old one (KIP-345), and
// rebalances only if its protocols changed what the group would pick.
func (g *group) replaceStatic(ctx context.Context, now time.Time, old *member, id string, protocols []protocol, req *kmsg.JoinGroupRequest, w *joinWait) func() *kmsg.JoinGroupResponse {
	wait := func() *kmsg.JoinGroupResponse { return <-w.ch }
	oldID := old.ID
	if old.join != nil {
		old.join.ch <- joinError(old.join.version, oldID, kerr.FencedInstanceID.Code)
		old.join = nil
	}
	if old.sync != nil {
		old.sync.ch <- syncError(kerr.FencedInstanceID.Code)
		old.sync = nil
	}
	old.ID = id
	old.SessionTimeout = req.SessionTimeoutMillis
	old.deadline = now.Add(old.sessionTimeout())
	if g.leader == oldID {
		g.leader = id
	}
	switch g.state {
	case stateStable:
		prev := old.Protocols
		old.Protocols = protocols
		if g.selectProtocol() != g.protocol {
			old.Protocols = prev
			g.updateMember(old, protocols, w)
			g.prepareRebalance(now)
			return wait
		}
		if err := g.save(ctx); err != nil {
			r := joinError(req.Version, id, errorCode(err))
			return func() *kmsg.JoinGroupResponse { return r }
		}
		r := g.joinResponse(old, req.Version)
		if id == g.leader && req.Version >= 9 {
			r.SkipAssignment = true
		} else if req.Version < 9 {
			r.Members = nil // the old leader's assignment stands
		}
		w.ch <- r
	case stateCompletingRebalance:
		old.Protocols = protocols
		w.ch <- g.joinResponse(old, req.Version)
	default: // PreparingRebalance
		g.updateMember(old, protocols, w)
		g.maybeCompleteJoin(now)
	}
	return wait
}

// prepareRebalance starts a rebalance: every member must join again.
func (g *group) prepareRebalance(now time.Time) {
	if g.state == stateCompletingRebalance {
		for _, m := range g.members {
			m.Assignment = nil
			if m.sync != nil {
				m.sync.ch <- syncError(kerr.RebalanceInProgress.Code)
				m.sync = nil
			}
		}
	}
	wasEmpty := g.state == stateEmpty
	g.state = statePreparingRebalance
	var longest int32
	for _, m := range g.members {
		longest = max(longest, m.RebalanceTimeout)
	}
	g.rebalanceDeadline = now.Add(time.Duration(longest) * time.Millisecond)
	if wasEmpty && g.c.opts.InitialRebalanceDelay > 0 {
		g.initialUntil = now.Add(g.c.opts.InitialRebalanceDelay)
		g.initialLimit = g.rebalanceDeadline
		g.newMemberAdded = false
		return
	}
	g.initialUntil = time.Time{}
	g.maybeCompleteJoin(now)
}

// maybeCompleteJoin ends the join phase when everyone is in, or when time
// is up.
func (g *group) maybeCompleteJoin(now time.Time) {
	if g.state != statePreparingRebalance {
		return
	}
	if !g.initialUntil.IsZero() {
		if now.Before(g.initialUntil) {
			return
		}
		if g.newMemberAdded && now.Before(g.initialLimit) {
			g.newMemberAdded = false
			g.initialUntil = minTime(now.Add(g.c.opts.InitialRebalanceDelay), g.initialLimit)
			return
		}
		g.initialUntil = time.Time{}
		g.completeJoin(now)
		return
	}
	all := len(g.pending) == 0
	for _, m := range g.members {
		all = all && m.join != nil
	}
	if all || !now.Before(g.rebalanceDeadline) {
		g.completeJoin(now)
	}
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// completeJoin moves to the next generation with the members that
// rejoined, stores it, and answers their JoinGroups.
func (g *group) completeJoin(now time.Time) {
	var kept []*member
	for _, m := range g.members {
		if m.join != nil {
			kept = append(kept, m)
		} else {
			g.c.log.Info("group member did not rejoin in time", "group", g.name, "member", m.ID)
		}
	}
	g.members = kept
	// Pending members (MEMBER_ID_REQUIRED handed out, second join not yet
	// in) stay pending: their join starts the next rebalance.
	g.generation++
	g.rebalances++
	if len(g.members) == 0 {
		g.state, g.protocol, g.leader = stateEmpty, "", ""
	} else {
		g.state = stateCompletingRebalance
		g.protocol = g.selectProtocol()
		if g.member(g.leader) == nil {
			g.leader = g.members[0].ID
		}
	}
	ctx, cancel := g.c.bg()
	defer cancel()
	if err := g.save(ctx); err != nil {
		return // save dropped the group and answered the waiters
	}
	for _, m := range g.members {
		m.isNew = false
		m.deadline = now.Add(m.sessionTimeout())
		m.join.ch <- g.joinResponse(m, m.join.version)
		m.join = nil
	}
}

// joinResponse is the JoinGroup answer of the current generation for m;
// the leader gets every member's metadata.
func (g *group) joinResponse(m *member, version int16) *kmsg.JoinGroupResponse {
	r := kmsg.NewPtrJoinGroupResponse()
	r.Version = version
	r.Generation = g.generation
	r.ProtocolType = kmsg.StringPtr(g.protocolType)
	r.Protocol = kmsg.StringPtr(g.protocol)
	r.LeaderID = g.leader
	r.MemberID = m.ID
	if m.ID == g.leader {
		for _, o := range g.members {
			rm := kmsg.NewJoinGroupResponseMember()
			rm.MemberID = o.ID
			if o.InstanceID != "" {
				rm.InstanceID = kmsg.StringPtr(o.InstanceID)
			}
			rm.ProtocolMetadata, _ = o.metadataFor(g.protocol)
			r.Members = append(r.Members, rm)
		}
	}
	return r
}

// supportsAny reports whether some protocol is supported by every member
// and by the joiner.
func (g *group) supportsAny(protocols []protocol) bool {
	for _, p := range protocols {
		ok := true
		for _, m := range g.members {
			if _, has := m.metadataFor(p.Name); !has {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// selectProtocol picks, among the protocols every member supports, the one
// most members list first (ties to the first member's order), as Kafka.
func (g *group) selectProtocol() string {
	if len(g.members) == 0 {
		return ""
	}
	var candidates []string
	for _, p := range g.members[0].Protocols {
		all := true
		for _, m := range g.members[1:] {
			if _, ok := m.metadataFor(p.Name); !ok {
				all = false
				break
			}
		}
		if all {
			candidates = append(candidates, p.Name)
		}
	}
	votes := map[string]int{}
	for _, m := range g.members {
		for _, p := range m.Protocols {
			if slices.Contains(candidates, p.Name) {
				votes[p.Name]++
				break
			}
		}
	}
	best := ""
	for _, name := range candidates {
		if best == "" || votes[name] > votes[best] {
			best = name
		}
	}
	return best
}

func sameProtocols(a, b []protocol) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name || string(a[i].Metadata) != string(b[i].Metadata) {
			return false
		}
	}
	return true
}

// validateMember is the check common to SyncGroup, Heartbeat and
// OffsetCommit: static fencing, membership, generation.
func (g *group) validateMember(memberID, instance string, generation int32) (*member, int16) {
	if s := g.staticMember(instance); s != nil && s.ID != memberID {
		return nil, kerr.FencedInstanceID.Code
	}
	m := g.member(memberID)
	if m == nil {
		return nil, kerr.UnknownMemberID.Code
	}
	if generation != g.generation {
		return m, kerr.IllegalGeneration.Code
	}
	return m, 0
}

// SyncGroup handles a SyncGroup request; the returned function blocks
// until the leader's assignment is in.
func (c *Coordinator) SyncGroup(ctx context.Context, req *kmsg.SyncGroupRequest) func() *kmsg.SyncGroupResponse {
	fail := func(code int16) func() *kmsg.SyncGroupResponse {
		r := syncError(code)
		return func() *kmsg.SyncGroupResponse { return r }
	}
	if req.Group == "" {
		return fail(kerr.InvalidGroupID.Code)
	}
	g, err := c.acquire(ctx, req.Group, false)
	if err != nil {
		return fail(errorCode(err))
	}
	if g == nil {
		return fail(kerr.UnknownMemberID.Code)
	}
	defer g.mu.Unlock()
	if g.kind != kindClassic {
		return fail(kerr.UnknownMemberID.Code)
	}
	m, code := g.validateMember(req.MemberID, str(req.InstanceID), req.Generation)
	if code != 0 {
		return fail(code)
	}
	if (req.ProtocolType != nil && *req.ProtocolType != g.protocolType) || (req.Protocol != nil && *req.Protocol != g.protocol) {
		return fail(kerr.InconsistentGroupProtocol.Code)
	}
	now := time.Now()
	m.deadline = now.Add(m.sessionTimeout())
	switch g.state {
	case stateEmpty, stateDead:
		return fail(kerr.UnknownMemberID.Code)
	case statePreparingRebalance:
		return fail(kerr.RebalanceInProgress.Code)
	case stateStable:
		r := g.syncResponse(m)
		return func() *kmsg.SyncGroupResponse { return r }
	}
	// CompletingRebalance.
	w := &syncWait{ch: make(chan *kmsg.SyncGroupResponse, 1)}
	if m.sync != nil {
		m.sync.ch <- syncError(kerr.UnknownMemberID.Code)
	}
	m.sync = w
	if m.ID == g.leader {
		given := map[string][]byte{}
		for _, a := range req.GroupAssignment {
			given[a.MemberID] = a.MemberAssignment
		}
		for _, o := range g.members {
			o.Assignment = given[o.ID]
		}
		g.state = stateStable
		if err := g.save(ctx); err != nil {
			return func() *kmsg.SyncGroupResponse { return <-w.ch } // answered by save's drop
		}
		for _, o := range g.members {
			if o.sync != nil {
				o.sync.ch <- g.syncResponse(o)
				o.sync = nil
			}
		}
	}
	return func() *kmsg.SyncGroupResponse { return <-w.ch }
}

func (g *group) syncResponse(m *member) *kmsg.SyncGroupResponse {
	r := kmsg.NewPtrSyncGroupResponse()
	r.ProtocolType = kmsg.StringPtr(g.protocolType)
	r.Protocol = kmsg.StringPtr(g.protocol)
	r.MemberAssignment = m.Assignment
	if r.MemberAssignment == nil {
		r.MemberAssignment = []byte{}
	}
	return r
}

// Heartbeat handles a classic member's heartbeat.
func (c *Coordinator) Heartbeat(ctx context.Context, req *kmsg.HeartbeatRequest) int16 {
	if req.Group == "" {
		return kerr.InvalidGroupID.Code
	}
	g, err := c.acquire(ctx, req.Group, false)
	if err != nil {
		return errorCode(err)
	}
	if g == nil {
		return kerr.UnknownMemberID.Code
	}
	defer g.mu.Unlock()
	if g.kind != kindClassic {
		return kerr.UnknownMemberID.Code
	}
	m, code := g.validateMember(req.MemberID, str(req.InstanceID), req.Generation)
	if code != 0 {
		return code
	}
	m.deadline = time.Now().Add(m.sessionTimeout())
	switch g.state {
	case stateEmpty, stateDead:
		return kerr.UnknownMemberID.Code
	case statePreparingRebalance:
		return kerr.RebalanceInProgress.Code
	}
	return 0
}

// LeaveGroup handles a LeaveGroup request: v0-2 name one member, v3+ a
// batch (static members by instance ID, KIP-345).
func (c *Coordinator) LeaveGroup(ctx context.Context, req *kmsg.LeaveGroupRequest) *kmsg.LeaveGroupResponse {
	resp := req.ResponseKind().(*kmsg.LeaveGroupResponse)
	leaving := req.Members
	if req.Version < 3 {
		leaving = []kmsg.LeaveGroupRequestMember{{MemberID: req.MemberID}}
	}
	if req.Group == "" {
		resp.ErrorCode = kerr.InvalidGroupID.Code
		return resp
	}
	g, err := c.acquire(ctx, req.Group, false)
	if err != nil {
		resp.ErrorCode = errorCode(err)
		return resp
	}
	if g == nil {
		resp.ErrorCode = kerr.UnknownMemberID.Code
		return resp
	}
	defer g.mu.Unlock()
	now := time.Now()
	for _, l := range leaving {
		rm := kmsg.NewLeaveGroupResponseMember()
		rm.MemberID, rm.InstanceID = l.MemberID, l.InstanceID
		rm.ErrorCode = g.leave(now, l.MemberID, str(l.InstanceID))
		resp.Members = append(resp.Members, rm)
		if g.gone {
			break
		}
	}
	if req.Version < 3 && len(resp.Members) == 1 {
		resp.ErrorCode = resp.Members[0].ErrorCode
		resp.Members = nil
	}
	return resp
}

func (g *group) leave(now time.Time, memberID, instance string) int16 {
	if g.kind == kindConsumer {
		return kerr.UnknownMemberID.Code
	}
	if _, ok := g.pending[memberID]; ok && instance == "" {
		delete(g.pending, memberID)
		g.maybeCompleteJoin(now)
		return 0
	}
	var m *member
	if instance != "" {
		m = g.staticMember(instance)
		if m == nil {
			return kerr.UnknownMemberID.Code
		}
		if memberID != "" && m.ID != memberID {
			return kerr.FencedInstanceID.Code
		}
	} else if m = g.member(memberID); m == nil {
		return kerr.UnknownMemberID.Code
	}
	g.removeAndRebalance(now, m, kerr.UnknownMemberID.Code)
	return 0
}

// removeAndRebalance takes m out of the group, answering its waiting
// requests with code, and rebalances the rest.
func (g *group) removeAndRebalance(now time.Time, m *member, code int16) {
	g.removeMember(m.ID)
	if m.join != nil {
		m.join.ch <- joinError(m.join.version, m.ID, code)
		m.join = nil
	}
	if m.sync != nil {
		m.sync.ch <- syncError(code)
		m.sync = nil
	}
	switch g.state {
	case stateStable, stateCompletingRebalance:
		g.prepareRebalance(now)
	case statePreparingRebalance:
		g.maybeCompleteJoin(now)
	}
}
