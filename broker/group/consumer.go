package group

// KIP-848 consumer groups: ConsumerGroupHeartbeat and ConsumerGroupDescribe,
// with the assignment computed by the broker.
//
// The group epoch moves whenever membership, subscriptions or the
// subscribed topics' partitions change; the target assignment is then
// computed again (assign.go). Each member's current assignment moves
// towards its target one heartbeat at a time, as Kafka's
// CurrentAssignmentBuilder does:
//
//   - what the target takes away from a member becomes its partitions
//     pending revocation: the member keeps its epoch, is told to own only
//     the rest, and still holds them until one of its heartbeats lists its
//     owned partitions without any of them (a heartbeat with no owned list
//     proves nothing), or it leaves, is fenced (rejoins at epoch 0) or
//     expires (its session, or its rebalance timeout while revoking);
//   - then it moves to the target's epoch and gets the target's partitions
//     that no other member holds, current or pending revocation; the rest
//     follow in later heartbeats as their previous owners release them.
//
// So no partition is ever held by two members at once: a new owner fetches
// the committed offset only after the previous one committed on revoke.
//
// Each held partition carries the member epoch it was given to the member
// at (KIP-1251's assignment epoch): an offset commit with an older member
// epoch than the member's is accepted for the partitions the member still
// holds since that epoch or before, as Kafka 4.3 does, so a member whose
// commit crossed a heartbeat that moved its epoch is not refused with
// STALE_MEMBER_EPOCH.

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"time"

	"github.com/tributary-io/tributary/internal/metastore"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// tp names one partition by topic ID, as KIP-848 assignments do.
type tp struct {
	Topic     metastore.TopicID
	Partition int32
}

// consumerMember is one member of a KIP-848 group.
type consumerMember struct {
	ID               string
	InstanceID       string
	RackID           string
	ClientID         string
	ClientHost       string
	Topics           []string // subscribed topic names
	Regex            string   // subscribed pattern (v1), "" when none
	Assignor         string
	RebalanceTimeout int32 // ms
	Epoch            int32
	PrevEpoch        int32
	// Assigned is the member's current assignment: what it was last told
	// it owns.
	Assigned []tp
	// Pending is what it was told to give up and has not yet released: no
	// other member gets these partitions meanwhile.
	Pending []tp `json:",omitempty"`
	// AssignedAt is the member epoch at which each partition of Assigned
	// and Pending was given to the member, by tpKey.
	AssignedAt map[string]int32 `json:",omitempty"`

	deadline       time.Time
	revokeDeadline time.Time // while Pending is not empty
	sent           []tp      // the assignment last sent; nil before the first
	sentOnce       bool
}

// consumerGroup is a KIP-848 group's state.
type consumerGroup struct {
	Epoch           int32
	AssignmentEpoch int32
	Assignor        string
	// Target is the target assignment by member ID.
	Target map[string][]tp
	// Sig is the subscribed topics' IDs and partition counts the target
	// was computed from.
	Sig     map[string]topicSig
	members []*consumerMember
}

// topicSig is what the assignment of one topic depends on.
type topicSig struct {
	ID         metastore.TopicID
	Partitions int32
}

// tpKey names a partition in AssignedAt.
func tpKey(p tp) string { return fmt.Sprintf("%x/%d", p.Topic[:], p.Partition) }

// assignedAt is the member epoch p was given to m at; a partition stored
// before assignment epochs were kept counts as given at m's epoch.
func (m *consumerMember) assignedAt(p tp) int32 {
	if e, ok := m.AssignedAt[tpKey(p)]; ok {
		return e
	}
	return m.Epoch
}

// reset drops everything m holds (a member rejoining at epoch 0).
func (m *consumerMember) reset() {
	m.Assigned, m.Pending, m.AssignedAt, m.Epoch, m.PrevEpoch = nil, nil, nil, 0, 0
}

func (cg *consumerGroup) member(id string) *consumerMember {
	for _, m := range cg.members {
		if m.ID == id {
			return m
		}
	}
	return nil
}

// ConsumerGroupHeartbeat handles a KIP-848 heartbeat: join (epoch 0),
// leave (-1, or -2 for a static member), or a regular heartbeat carrying
// subscription and owned-partition changes.
func (c *Coordinator) ConsumerGroupHeartbeat(ctx context.Context, req *kmsg.ConsumerGroupHeartbeatRequest, cl Client) *kmsg.ConsumerGroupHeartbeatResponse {
	resp := req.ResponseKind().(*kmsg.ConsumerGroupHeartbeatResponse)
	fail := func(code int16, msg string) *kmsg.ConsumerGroupHeartbeatResponse {
		resp.ErrorCode = code
		if msg != "" {
			resp.ErrorMessage = &msg
		}
		return resp
	}
	switch {
	case req.Group == "":
		return fail(kerr.InvalidRequest.Code, "GroupId can't be empty")
	case req.MemberEpoch == 0 && req.SubscribedTopicNames == nil && req.SubscribedTopicRegex == nil:
		return fail(kerr.InvalidRequest.Code, "SubscribedTopicNames or SubscribedTopicRegex must be set when joining")
	case req.MemberEpoch == 0 && req.RebalanceTimeoutMillis <= 0:
		return fail(kerr.InvalidRequest.Code, "RebalanceTimeoutMs must be positive when joining")
	case req.MemberEpoch != 0 && req.MemberID == "":
		return fail(kerr.InvalidRequest.Code, "MemberId can't be empty")
	case req.ServerAssignor != nil && *req.ServerAssignor != "" && *req.ServerAssignor != "uniform" && *req.ServerAssignor != "range":
		return fail(kerr.UnsupportedAssignor.Code, "assignors: uniform, range")
	}
	if req.SubscribedTopicRegex != nil && *req.SubscribedTopicRegex != "" {
		// Java's pattern syntax and RE2 agree on what subscriptions use.
		if _, err := regexp.Compile("^(?:" + *req.SubscribedTopicRegex + ")$"); err != nil {
			return fail(kerr.InvalidRegularExpression.Code, err.Error())
		}
	}
	g, err := c.acquire(ctx, req.Group, req.MemberEpoch == 0)
	if err != nil {
		return fail(errorCode(err), "")
	}
	if g == nil {
		return fail(kerr.UnknownMemberID.Code, "")
	}
	defer g.mu.Unlock()
	if g.kind == kindClassic {
		if len(g.members) > 0 {
			return fail(kerr.GroupIDNotFound.Code, "group "+req.Group+" is a classic group with members")
		}
		g.kind, g.state, g.protocolType, g.protocol, g.leader = kindConsumer, stateEmpty, "consumer", "", ""
		g.consumer = &consumerGroup{Target: map[string][]tp{}, Sig: map[string]topicSig{}, Epoch: g.generation}
	}
	cg := g.consumer
	now := time.Now()
	session, interval := c.consumerTimeouts(ctx, req.Group)
	changed := false // the group epoch must move

	m := cg.member(req.MemberID)
	switch req.MemberEpoch {
	case -1, -2:
		if m == nil {
			return fail(kerr.UnknownMemberID.Code, "")
		}
		g.removeConsumer(m)
		if err := g.recompute(ctx, true); err != nil {
			return fail(errorCode(err), "")
		}
		resp.MemberID = kmsg.StringPtr(req.MemberID)
		resp.MemberEpoch = req.MemberEpoch
		return resp
	case 0:
		id := req.MemberID
		if id == "" {
			id = newMemberID(cl.ID) // v0: the broker names the member
		}
		if s := g.staticConsumer(str(req.InstanceID)); s != nil && s.ID != id {
			g.removeConsumer(s) // a static member back under a new ID replaces the old
		}
		if m = cg.member(id); m != nil {
			m.reset() // it lost its partitions (a fenced member rejoining)
		} else {
			m = &consumerMember{ID: id}
			cg.members = append(cg.members, m)
		}
		m.InstanceID, m.RebalanceTimeout = str(req.InstanceID), req.RebalanceTimeoutMillis
		m.sent, m.sentOnce = nil, false
		changed = true
	default:
		if m == nil {
			return fail(kerr.UnknownMemberID.Code, "")
		}
		if req.MemberEpoch > m.Epoch || (req.MemberEpoch < m.Epoch && !(req.MemberEpoch == m.PrevEpoch && req.Topics != nil && ownsOnly(req.Topics, m.Assigned))) {
			return fail(kerr.FencedMemberEpoch.Code, "")
		}
		if req.RebalanceTimeoutMillis > 0 {
			m.RebalanceTimeout = req.RebalanceTimeoutMillis
		}
	}
	m.ClientID, m.ClientHost = cl.ID, cl.Host
	m.deadline = now.Add(session)
	if req.RackID != nil {
		m.RackID = *req.RackID
	}
	if req.SubscribedTopicNames != nil {
		names := slices.Clone(req.SubscribedTopicNames)
		sort.Strings(names)
		names = slices.Compact(names)
		if !slices.Equal(names, m.Topics) {
			m.Topics, changed = names, true
		}
	}
	if req.SubscribedTopicRegex != nil && *req.SubscribedTopicRegex != m.Regex {
		m.Regex, changed = *req.SubscribedTopicRegex, true
	}
	if req.ServerAssignor != nil && *req.ServerAssignor != m.Assignor {
		m.Assignor, changed = *req.ServerAssignor, true
	}
	if err := g.recompute(ctx, changed); err != nil {
		return fail(errorCode(err), "")
	}
	if err := g.reconcile(ctx, now, m, req.Topics); err != nil {
		return fail(errorCode(err), "")
	}
	resp.MemberID = kmsg.StringPtr(m.ID)
	resp.MemberEpoch = m.Epoch
	resp.HeartbeatIntervalMillis = int32(interval / time.Millisecond)
	// The assignment goes out when it changed, when the member reports
	// owning something else, and in answer to a full request (every field
	// set), as Kafka does: a client may ask for it again that way.
	full := req.RebalanceTimeoutMillis != -1 && (req.SubscribedTopicNames != nil || req.SubscribedTopicRegex != nil) && req.Topics != nil
	if !m.sentOnce || full || !slices.Equal(m.sent, m.Assigned) || (req.Topics != nil && !sameSet(req.Topics, m.Assigned)) {
		a := kmsg.NewConsumerGroupHeartbeatResponseAssignment()
		a.Topics = toHeartbeatTopics(m.Assigned)
		resp.Assignment = &a
		m.sent, m.sentOnce = slices.Clone(m.Assigned), true
	}
	return resp
}

func (g *group) staticConsumer(instance string) *consumerMember {
	if instance == "" {
		return nil
	}
	for _, m := range g.consumer.members {
		if m.InstanceID == instance {
			return m
		}
	}
	return nil
}

func (g *group) removeConsumer(m *consumerMember) {
	cg := g.consumer
	for i, o := range cg.members {
		if o == m {
			cg.members = append(cg.members[:i:i], cg.members[i+1:]...)
			break
		}
	}
	delete(cg.Target, m.ID)
}

// recompute moves the group epoch and computes a new target assignment
// when membership or subscriptions changed (force) or when the subscribed
// topics' partitions did, then stores the group.
func (g *group) recompute(ctx context.Context, force bool) error {
	cg := g.consumer
	sig, err := g.subscribedSig(ctx)
	if err != nil {
		return err
	}
	if !force && sigEqual(sig, cg.Sig) {
		return nil
	}
	cg.Epoch++
	g.rebalances++
	g.generation = cg.Epoch
	cg.Sig = sig
	cg.Assignor = "uniform"
	for _, m := range cg.members {
		if m.Assignor != "" {
			cg.Assignor = m.Assignor
			break
		}
	}
	subs := map[string][]string{}
	for _, m := range cg.members {
		subs[m.ID] = g.memberTopics(m, sig)
	}
	// Sticky to the previous target, not to what members hold now: a
	// partition on its way to a member stays on its way.
	prev := map[tp]string{}
	for _, m := range cg.members {
		for _, p := range cg.Target[m.ID] {
			prev[p] = m.ID
		}
	}
	cg.Target = assign(cg.Assignor, subs, sig, prev)
	cg.AssignmentEpoch = cg.Epoch
	g.updateConsumerState()
	return g.save(ctx)
}

// memberTopics lists the existing topics m subscribes to, by name or by
// pattern.
func (g *group) memberTopics(m *consumerMember, sig map[string]topicSig) []string {
	var out []string
	var re *regexp.Regexp
	if m.Regex != "" {
		re, _ = regexp.Compile("^(?:" + m.Regex + ")$")
	}
	for name := range sig {
		if slices.Contains(m.Topics, name) || (re != nil && re.MatchString(name)) {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// subscribedSig reads the IDs and partition counts of every existing topic
// some member subscribes to.
func (g *group) subscribedSig(ctx context.Context) (map[string]topicSig, error) {
	sig := map[string]topicSig{}
	if g.c.opts.Topics == nil {
		return sig, nil
	}
	all, err := g.c.opts.Topics.Topics(ctx)
	if err != nil {
		return nil, errUnavailable
	}
	var res []*regexp.Regexp
	names := map[string]bool{}
	for _, m := range g.consumer.members {
		for _, t := range m.Topics {
			names[t] = true
		}
		if m.Regex != "" {
			if re, err := regexp.Compile("^(?:" + m.Regex + ")$"); err == nil {
				res = append(res, re)
			}
		}
	}
	for name, t := range all {
		match := names[name]
		for _, re := range res {
			match = match || re.MatchString(name)
		}
		if match {
			sig[name] = topicSig{ID: t.ID, Partitions: t.Partitions}
		}
	}
	return sig, nil
}

func sigEqual(a, b map[string]topicSig) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// reconcile moves m one step towards its target (see the file comment):
// owned is what the member's heartbeat lists as owned (nil: not sent). It
// stores the group if m's epoch or what it holds changed.
func (g *group) reconcile(ctx context.Context, now time.Time, m *consumerMember, owned []kmsg.ConsumerGroupHeartbeatRequestTopic) error {
	beforeEpoch, beforeAssigned, beforePending := m.Epoch, slices.Clone(m.Assigned), slices.Clone(m.Pending)
	if len(m.Pending) > 0 {
		if stillOwns(owned, m.Pending) {
			if now.After(m.revokeDeadline) {
				g.c.log.Info("consumer group member did not revoke in time", "group", g.name, "member", m.ID)
			}
			return nil // still revoking
		}
		m.release(m.Pending)
		m.Pending = nil
	}
	g.nextAssignment(now, m, owned)
	g.updateConsumerState()
	if m.Epoch == beforeEpoch && slices.Equal(beforeAssigned, m.Assigned) && slices.Equal(beforePending, m.Pending) {
		return nil
	}
	return g.save(ctx)
}

// nextAssignment computes m's next current assignment from its target:
// what the target no longer has is revoked first (m keeps its epoch and
// holds it as pending revocation, unless its heartbeat shows it already
// gave it up); otherwise m moves to the group's epoch and gets the
// target's partitions no other member holds.
func (g *group) nextAssignment(now time.Time, m *consumerMember, owned []kmsg.ConsumerGroupHeartbeatRequestTopic) {
	cg := g.consumer
	target := cg.Target[m.ID]
	if m.Epoch == cg.Epoch && slices.Equal(m.Assigned, target) {
		return // reconciled
	}
	keep, revoke := split(m.Assigned, target)
	if len(revoke) > 0 && stillOwns(owned, revoke) {
		m.Assigned, m.Pending = keep, revoke
		m.revokeDeadline = now.Add(time.Duration(m.RebalanceTimeout) * time.Millisecond)
		return
	}
	m.release(revoke)
	held := map[tp]bool{}
	for _, o := range cg.members {
		if o == m {
			continue
		}
		for _, p := range o.Assigned {
			held[p] = true
		}
		for _, p := range o.Pending {
			held[p] = true
		}
	}
	next := keep
	for _, p := range target {
		if held[p] || slices.Contains(keep, p) {
			continue
		}
		next = append(next, p)
		if m.AssignedAt == nil {
			m.AssignedAt = map[string]int32{}
		}
		m.AssignedAt[tpKey(p)] = cg.Epoch
	}
	sortTPs(next)
	m.Assigned = next
	if m.Epoch != cg.Epoch {
		m.PrevEpoch, m.Epoch = m.Epoch, cg.Epoch
	}
}

// release forgets the assignment epochs of partitions m no longer holds.
func (m *consumerMember) release(ps []tp) {
	for _, p := range ps {
		delete(m.AssignedAt, tpKey(p))
	}
}

// updateConsumerState sets the state ListGroups reports.
func (g *group) updateConsumerState() {
	cg := g.consumer
	switch {
	case len(cg.members) == 0:
		g.state = stateEmpty
	default:
		g.state = stateStable
		for _, m := range cg.members {
			if m.Epoch != cg.Epoch || len(m.Pending) > 0 || !slices.Equal(m.Assigned, cg.Target[m.ID]) {
				g.state = stateReconciling
				break
			}
		}
	}
}

// consumerTick expires members whose session lapsed or who did not revoke
// within their rebalance timeout.
func (g *group) consumerTick(now time.Time) {
	cg := g.consumer
	if cg == nil {
		return
	}
	var gone []*consumerMember
	for _, m := range cg.members {
		if now.After(m.deadline) || (len(m.Pending) > 0 && now.After(m.revokeDeadline)) {
			gone = append(gone, m)
		}
	}
	if len(gone) == 0 {
		return
	}
	for _, m := range gone {
		g.c.log.Info("consumer group member expired", "group", g.name, "member", m.ID)
		g.removeConsumer(m)
	}
	ctx, cancel := g.c.bg()
	defer cancel()
	_ = g.recompute(ctx, true) // on failure the group was dropped; it reloads
}

// validateConsumerCommit checks a KIP-848 member's commit, as Kafka 4.3
// does (KIP-1251): at the member's current epoch it may commit anything;
// at an older epoch only partitions it still holds (current or pending
// revocation) and was given at that epoch or before, the others get
// STALE_MEMBER_EPOCH (the third result says which); a newer epoch is
// STALE_MEMBER_EPOCH throughout.
func (g *group) validateConsumerCommit(req *kmsg.OffsetCommitRequest) (int16, int32, func(topic string, partition int32) int16) {
	if req.Generation < 0 && req.MemberID == "" {
		if len(g.consumer.members) == 0 {
			return 0, -1, nil
		}
		return kerr.UnknownMemberID.Code, -1, nil
	}
	m := g.consumer.member(req.MemberID)
	switch {
	case m == nil:
		return kerr.UnknownMemberID.Code, -1, nil
	case req.Generation == m.Epoch:
		return 0, -1, nil
	case req.Generation > m.Epoch:
		return kerr.StaleMemberEpoch.Code, -1, nil
	}
	// Resolved now, under the group's lock: the check runs after it.
	ok := map[string]map[int32]bool{}
	for name, s := range g.consumer.Sig {
		for _, p := range append(slices.Clone(m.Assigned), m.Pending...) {
			if p.Topic == s.ID && m.assignedAt(p) <= req.Generation {
				if ok[name] == nil {
					ok[name] = map[int32]bool{}
				}
				ok[name][p.Partition] = true
			}
		}
	}
	return 0, -1, func(topic string, partition int32) int16 {
		if ok[topic][partition] {
			return 0
		}
		return kerr.StaleMemberEpoch.Code
	}
}

func toHeartbeatTopics(ps []tp) []kmsg.ConsumerGroupHeartbeatResponseAssignmentTopic {
	out := []kmsg.ConsumerGroupHeartbeatResponseAssignmentTopic{}
	for _, p := range ps {
		if n := len(out); n > 0 && out[n-1].TopicID == p.Topic {
			out[n-1].Partitions = append(out[n-1].Partitions, p.Partition)
			continue
		}
		t := kmsg.NewConsumerGroupHeartbeatResponseAssignmentTopic()
		t.TopicID, t.Partitions = p.Topic, []int32{p.Partition}
		out = append(out, t)
	}
	return out
}

func fromHeartbeatTopics(ts []kmsg.ConsumerGroupHeartbeatRequestTopic) []tp {
	var out []tp
	for _, t := range ts {
		for _, p := range t.Partitions {
			out = append(out, tp{Topic: t.TopicID, Partition: p})
		}
	}
	sortTPs(out)
	return out
}

// ownsOnly reports whether the owned partitions the member reported are
// all within allowed.
func ownsOnly(owned []kmsg.ConsumerGroupHeartbeatRequestTopic, allowed []tp) bool {
	for _, p := range fromHeartbeatTopics(owned) {
		if !slices.Contains(allowed, p) {
			return false
		}
	}
	return true
}

func sameSet(owned []kmsg.ConsumerGroupHeartbeatRequestTopic, assigned []tp) bool {
	return slices.Equal(fromHeartbeatTopics(owned), assigned)
}

// stillOwns reports whether a heartbeat's owned partitions (nil: not
// sent, so nothing is known to be released) include any of ps.
func stillOwns(owned []kmsg.ConsumerGroupHeartbeatRequestTopic, ps []tp) bool {
	if owned == nil {
		return true
	}
	for _, p := range fromHeartbeatTopics(owned) {
		if slices.Contains(ps, p) {
			return true
		}
	}
	return false
}

// split divides a into what is also in b and what is not.
func split(a, b []tp) (in, out []tp) {
	for _, p := range a {
		if slices.Contains(b, p) {
			in = append(in, p)
		} else {
			out = append(out, p)
		}
	}
	return in, out
}

func sortTPs(ps []tp) {
	sort.Slice(ps, func(i, j int) bool {
		if c := compareID(ps[i].Topic, ps[j].Topic); c != 0 {
			return c < 0
		}
		return ps[i].Partition < ps[j].Partition
	})
}

func compareID(a, b metastore.TopicID) int {
	for i := range a {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

// ConsumerGroupDescribe describes KIP-848 groups.
func (c *Coordinator) ConsumerGroupDescribe(ctx context.Context, req *kmsg.ConsumerGroupDescribeRequest) *kmsg.ConsumerGroupDescribeResponse {
	resp := req.ResponseKind().(*kmsg.ConsumerGroupDescribeResponse)
	var names map[metastore.TopicID]string
	if c.opts.Topics != nil {
		if all, err := c.opts.Topics.Topics(ctx); err == nil {
			names = map[metastore.TopicID]string{}
			for n, t := range all {
				names[t.ID] = n
			}
		}
	}
	for _, name := range req.Groups {
		dg := kmsg.NewConsumerGroupDescribeResponseGroup()
		dg.Group = name
		dg.AuthorizedOperations = -2147483648
		g, err := c.acquire(ctx, name, false)
		switch {
		case err != nil:
			dg.ErrorCode = errorCode(err)
		case g == nil:
			dg.ErrorCode = kerr.GroupIDNotFound.Code
		default:
			if g.kind != kindConsumer {
				dg.ErrorCode = kerr.GroupIDNotFound.Code
				msg := "group " + name + " is not a consumer group"
				dg.ErrorMessage = &msg
			} else {
				cg := g.consumer
				dg.State, dg.Epoch, dg.AssignmentEpoch, dg.AssignorName = g.state, cg.Epoch, cg.AssignmentEpoch, cg.Assignor
				for _, m := range cg.members {
					dm := kmsg.NewConsumerGroupDescribeResponseGroupMember()
					dm.MemberID, dm.MemberEpoch, dm.ClientID, dm.ClientHost = m.ID, m.Epoch, m.ClientID, m.ClientHost
					if m.InstanceID != "" {
						dm.InstanceID = kmsg.StringPtr(m.InstanceID)
					}
					if m.RackID != "" {
						dm.RackID = kmsg.StringPtr(m.RackID)
					}
					if m.Regex != "" {
						dm.SubscribedTopicRegex = kmsg.StringPtr(m.Regex)
					}
					dm.SubscribedTopics = append([]string{}, m.Topics...)
					dm.Assignment = describeAssignment(m.Assigned, names)
					dm.TargetAssignment = describeAssignment(cg.Target[m.ID], names)
					dm.MemberType = 1 // consumer protocol
					dg.Members = append(dg.Members, dm)
				}
			}
			g.mu.Unlock()
		}
		resp.Groups = append(resp.Groups, dg)
	}
	return resp
}

func describeAssignment(ps []tp, names map[metastore.TopicID]string) kmsg.Assignment {
	a := kmsg.NewAssignment()
	for _, p := range ps {
		if n := len(a.TopicPartitions); n > 0 && a.TopicPartitions[n-1].TopicID == p.Topic {
			a.TopicPartitions[n-1].Partitions = append(a.TopicPartitions[n-1].Partitions, p.Partition)
			continue
		}
		t := kmsg.NewAssignmentTopicPartition()
		t.TopicID, t.Topic, t.Partitions = p.Topic, names[p.Topic], []int32{p.Partition}
		a.TopicPartitions = append(a.TopicPartitions, t)
	}
	return a
}
