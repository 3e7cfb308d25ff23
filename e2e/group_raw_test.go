package e2e

import (
	"net"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/tributary-io/tributary/node"
)

// The classic group protocol request by request (kmsg bodies on a raw
// connection), for the answers a client library would hide: generation
// fencing, static-member fencing (KIP-345), and the admin side of groups.
// Error codes are Kafka's (kerr): ILLEGAL_GENERATION 22,
// INCONSISTENT_GROUP_PROTOCOL 23, UNKNOWN_MEMBER_ID 25,
// INVALID_SESSION_TIMEOUT 26, NON_EMPTY_GROUP 68, GROUP_ID_NOT_FOUND 69, MEMBER_ID_REQUIRED 79,
// FENCED_INSTANCE_ID 82, GROUP_SUBSCRIBED_TO_TOPIC 86.

// rawGroupVersions are the versions these tests send, all within what
// Kafka 4 serves (after KIP-896): instance IDs from JoinGroup v5,
// SyncGroup v3, Heartbeat v3, OffsetCommit v7, LeaveGroup v3 (batched
// members); flexible and non-flexible encodings both appear.
var rawGroupVersions = map[int16]int16{
	8:  7, // OffsetCommit
	9:  7, // OffsetFetch, one group (flexible)
	10: 3, // FindCoordinator, one key (flexible)
	11: 5, // JoinGroup
	12: 3, // Heartbeat
	13: 3, // LeaveGroup
	14: 3, // SyncGroup
	15: 5, // DescribeGroups (flexible)
	16: 4, // ListGroups, with states (flexible)
	42: 2, // DeleteGroups (flexible)
	47: 0, // OffsetDelete
}

const rawTopic = "raw-groups"

// rawGroupNode starts a node, checks it serves rawGroupVersions, creates
// rawTopic with two partitions and returns a raw connection to it.
func rawGroupNode(t *testing.T) (string, *rawGroups) {
	t.Helper()
	addr := startNode(t, testConfig(t, t.TempDir()), node.Hooks{}).KafkaAddr()
	servedAPIs(t, addr).require(t, rawGroupVersions)
	if _, err := newAdmin(t, addr).CreateTopic(ctxTimeout(t, 10*time.Second), 2, 1, nil, rawTopic); err != nil {
		t.Fatalf("create %s: %v", rawTopic, err)
	}
	return addr, &rawGroups{t: t, rc: dialRaw(t, addr)}
}

// TestGroupRawGenerationFencing: a member joins and syncs, commits at its
// generation, rejoins with new metadata so that the generation moves on;
// a commit or heartbeat at the old generation is ILLEGAL_GENERATION and
// changes nothing, one at the new generation is stored, one from a member
// the group does not know is UNKNOWN_MEMBER_ID.
func TestGroupRawGenerationFencing(t *testing.T) {
	addr, g := rawGroupNode(t)
	const group = "raw-fence"

	fc := kmsg.NewPtrFindCoordinatorRequest()
	fc.Version, fc.CoordinatorKey, fc.CoordinatorType = 3, group, 0
	fr := g.rc.roundTrip(fc).(*kmsg.FindCoordinatorResponse)
	if fr.ErrorCode != 0 || joinHostPort(fr.Host, fr.Port) != addr {
		t.Fatalf("FindCoordinator(%s): error %d, coordinator %d at %s:%d; want this node at %s", group, fr.ErrorCode, fr.NodeID, fr.Host, fr.Port, addr)
	}

	j1 := g.join(group, "", nil, "first")
	m := j1.MemberID
	if j1.LeaderID != m || len(j1.Members) != 1 || j1.Members[0].MemberID != m || j1.Protocol == nil || *j1.Protocol != "range" {
		t.Fatalf("JoinGroup of a lone member: leader %q, members %d, protocol %v; want itself the leader of one, range", j1.LeaderID, len(j1.Members), j1.Protocol)
	}
	s1 := g.sync(group, j1.Generation, m, nil, map[string][]int32{m: {0, 1}})
	if got := decodeAssignment(t, s1.MemberAssignment); !slices.Equal(got, []int32{0, 1}) {
		t.Fatalf("SyncGroup gave partitions %v of %s, the leader assigned [0 1]", got, rawTopic)
	}
	if code := g.heartbeat(group, j1.Generation, m, nil); code != 0 {
		t.Fatalf("Heartbeat at generation %d: error %d", j1.Generation, code)
	}
	g.expectCommit(group, j1.Generation, m, nil, map[int32]int64{0: 5, 1: 7}, 0)
	g.expectFetch(group, map[int32]int64{0: 5, 1: 7})

	j2 := g.join(group, m, nil, "second") // new metadata: a rebalance
	if j2.MemberID != m || j2.Generation <= j1.Generation {
		t.Fatalf("rejoin with new metadata: member %q generation %d; want %q at a generation after %d", j2.MemberID, j2.Generation, m, j1.Generation)
	}
	g.sync(group, j2.Generation, m, nil, map[string][]int32{m: {0, 1}})

	g.expectCommit(group, j1.Generation, m, nil, map[int32]int64{0: 9, 1: 9}, kerr.IllegalGeneration.Code)
	if code := g.heartbeat(group, j1.Generation, m, nil); code != kerr.IllegalGeneration.Code {
		t.Fatalf("Heartbeat at the old generation %d: error %d, want ILLEGAL_GENERATION (22)", j1.Generation, code)
	}
	if code := g.syncCode(group, j1.Generation, m); code != kerr.IllegalGeneration.Code {
		t.Fatalf("SyncGroup at the old generation %d: error %d, want ILLEGAL_GENERATION (22)", j1.Generation, code)
	}
	g.expectFetch(group, map[int32]int64{0: 5, 1: 7})
	g.expectCommit(group, j2.Generation, m, nil, map[int32]int64{0: 9, 1: 11}, 0)
	g.expectFetch(group, map[int32]int64{0: 9, 1: 11})
	g.expectCommit(group, j2.Generation, "not-a-member", nil, map[int32]int64{0: 20}, kerr.UnknownMemberID.Code)
	g.expectFetch(group, map[int32]int64{0: 9, 1: 11})
	if top, per := g.leave(group, m, nil); top != 0 || per[m] != 0 {
		t.Fatalf("LeaveGroup: error %d, member %s error %d", top, m, per[m])
	}
}

// TestGroupRawStaticFencing: a static member (group.instance.id) joins; a
// new process with the same instance ID joins and gets a new member ID;
// the old member ID is then FENCED_INSTANCE_ID for Heartbeat and
// OffsetCommit, while the new one works. DescribeGroups shows the instance
// under its new member ID; LeaveGroup by instance empties the group.
func TestGroupRawStaticFencing(t *testing.T) {
	addr, g := rawGroupNode(t)
	const group = "raw-static"
	inst := ptr("instance-1")

	j1 := g.join(group, "", inst, "same")
	m1 := j1.MemberID
	g.sync(group, j1.Generation, m1, inst, map[string][]int32{m1: {0, 1}})
	g.expectCommit(group, j1.Generation, m1, inst, map[int32]int64{0: 1, 1: 1}, 0)

	g2 := &rawGroups{t: t, rc: dialRaw(t, addr)} // the instance, restarted
	j2 := g2.join(group, "", inst, "same")
	m2 := j2.MemberID
	if m2 == "" || m2 == m1 {
		t.Fatalf("static member rejoining as a new process got member ID %q, the old one was %q: want a new one", m2, m1)
	}
	var assign map[string][]int32
	if j2.LeaderID == m2 {
		assign = map[string][]int32{m2: {0, 1}}
	}
	g2.sync(group, j2.Generation, m2, inst, assign)

	if code := g.heartbeat(group, j2.Generation, m1, inst); code != kerr.FencedInstanceID.Code {
		t.Fatalf("Heartbeat from the replaced member ID: error %d, want FENCED_INSTANCE_ID (82)", code)
	}
	g.expectCommit(group, j2.Generation, m1, inst, map[int32]int64{0: 2, 1: 2}, kerr.FencedInstanceID.Code)
	if code := g2.heartbeat(group, j2.Generation, m2, inst); code != 0 {
		t.Fatalf("Heartbeat from the new member ID: error %d", code)
	}
	g2.expectCommit(group, j2.Generation, m2, inst, map[int32]int64{0: 3, 1: 3}, 0)
	g.expectFetch(group, map[int32]int64{0: 3, 1: 3})

	d := g.describe(group)[group]
	if d.ErrorCode != 0 || len(d.Members) != 1 || d.Members[0].MemberID != m2 || d.Members[0].InstanceID == nil || *d.Members[0].InstanceID != *inst {
		t.Fatalf("DescribeGroups(%s): error %d, members %+v; want one, %s as %s", group, d.ErrorCode, d.Members, *inst, m2)
	}
	if top, per := g2.leave(group, m2, inst); top != 0 || per[m2] != 0 {
		t.Fatalf("LeaveGroup of %s: error %d, member error %d", *inst, top, per[m2])
	}
	if d := g.describe(group)[group]; d.ErrorCode != 0 || d.State != "Empty" || len(d.Members) != 0 {
		t.Fatalf("after the static member left: state %q, %d members, error %d; want Empty", d.State, len(d.Members), d.ErrorCode)
	}
}

// TestGroupRawAdmin: OffsetFetch of an unknown group; ListGroups and
// DescribeGroups of a group with a member; DeleteGroups and OffsetDelete
// refused while it has one (NON_EMPTY_GROUP; GROUP_SUBSCRIBED_TO_TOPIC for
// a subscribed topic) and done once it is empty; offsets committed outside
// any generation (as admin tools do) to a group without members, deleted
// with the group; DeleteGroups of an unknown group.
func TestGroupRawAdmin(t *testing.T) {
	_, g := rawGroupNode(t)
	const group = "raw-busy"

	top, offs, errs := g.fetch("raw-nobody", 0, 1)
	if top != 0 || offs[0] != -1 || offs[1] != -1 || errs[0] != 0 || errs[1] != 0 {
		t.Fatalf("OffsetFetch of an unknown group: error %d, offsets %v, partition errors %v; want no error and -1", top, offs, errs)
	}

	j := g.join(group, "", nil, "")
	m := j.MemberID
	g.sync(group, j.Generation, m, nil, map[string][]int32{m: {0, 1}})
	g.expectCommit(group, j.Generation, m, nil, map[int32]int64{0: 3, 1: 4}, 0)

	if lg, ok := g.list()[group]; !ok || lg.ProtocolType != "consumer" || lg.GroupState != "Stable" {
		t.Fatalf("ListGroups: %s listed %v as %+v; want protocol type consumer, Stable", group, ok, lg)
	}
	d := g.describe(group)[group]
	if d.ErrorCode != 0 || d.State != "Stable" || d.ProtocolType != "consumer" || d.Protocol != "range" || len(d.Members) != 1 {
		t.Fatalf("DescribeGroups(%s): error %d state %q protocol %q/%q, %d members; want Stable consumer/range, 1", group, d.ErrorCode, d.State, d.ProtocolType, d.Protocol, len(d.Members))
	}
	dm := d.Members[0]
	if dm.MemberID != m || dm.ClientID != "e2e-raw" || !slices.Equal(decodeAssignment(t, dm.MemberAssignment), []int32{0, 1}) {
		t.Fatalf("DescribeGroups member: id %q client %q assignment %v; want %q, e2e-raw, [0 1]", dm.MemberID, dm.ClientID, decodeAssignment(t, dm.MemberAssignment), m)
	}
	var meta kmsg.ConsumerMemberMetadata
	if err := meta.ReadFrom(dm.ProtocolMetadata); err != nil || !slices.Equal(meta.Topics, []string{rawTopic}) {
		t.Fatalf("DescribeGroups member metadata: %v, topics %v; want what it joined with, [%s]", err, meta.Topics, rawTopic)
	}

	if code := g.deleteGroups(group)[group]; code != kerr.NonEmptyGroup.Code {
		t.Fatalf("DeleteGroups of a group with a member: error %d, want NON_EMPTY_GROUP (68)", code)
	}
	if top, per := g.offsetDelete(group, 0); top != 0 || per[0] != kerr.GroupSubscribedToTopic.Code {
		t.Fatalf("OffsetDelete of a topic the live member subscribes to: error %d, partition error %d; want 0 and GROUP_SUBSCRIBED_TO_TOPIC (86)", top, per[0])
	}
	g.expectFetch(group, map[int32]int64{0: 3, 1: 4})

	if top, per := g.leave(group, m, nil); top != 0 || per[m] != 0 {
		t.Fatalf("LeaveGroup: error %d, member error %d", top, per[m])
	}
	if d := g.describe(group)[group]; d.ErrorCode != 0 || d.State != "Empty" || len(d.Members) != 0 {
		t.Fatalf("after the member left: state %q, %d members, error %d; want Empty", d.State, len(d.Members), d.ErrorCode)
	}
	if top, per := g.offsetDelete(group, 0); top != 0 || per[0] != 0 {
		t.Fatalf("OffsetDelete of an empty group: error %d, partition error %d", top, per[0])
	}
	g.expectFetch(group, map[int32]int64{0: -1, 1: 4})
	if code := g.deleteGroups(group)[group]; code != 0 {
		t.Fatalf("DeleteGroups of an empty group: error %d", code)
	}
	g.expectFetch(group, map[int32]int64{0: -1, 1: -1})
	if _, ok := g.list()[group]; ok {
		t.Fatalf("ListGroups still lists %s after DeleteGroups", group)
	}

	// Offsets without a member: generation -1 and no member ID.
	g.expectCommit("raw-simple", -1, "", nil, map[int32]int64{0: 8}, 0)
	g.expectFetch("raw-simple", map[int32]int64{0: 8, 1: -1})
	if code := g.deleteGroups("raw-simple")["raw-simple"]; code != 0 {
		t.Fatalf("DeleteGroups of a group holding only offsets: error %d", code)
	}
	g.expectFetch("raw-simple", map[int32]int64{0: -1, 1: -1})
	if code := g.deleteGroups("raw-never")["raw-never"]; code != kerr.GroupIDNotFound.Code {
		t.Fatalf("DeleteGroups of an unknown group: error %d, want GROUP_ID_NOT_FOUND (69)", code)
	}
}

// TestGroupRawJoinRefused: JoinGroup answers that refuse a member, as
// Kafka gives them: a session timeout outside [6s, 30m] (the defaults of
// group.min/max.session.timeout.ms) is INVALID_SESSION_TIMEOUT; a
// protocol type other than the group's is INCONSISTENT_GROUP_PROTOCOL; a
// member ID the group never gave is UNKNOWN_MEMBER_ID. None of them
// disturbs the member already in the group.
func TestGroupRawJoinRefused(t *testing.T) {
	_, g := rawGroupNode(t)
	const group = "raw-refused"
	for _, ms := range []int32{1000, 31 * 60 * 1000} {
		if r := g.joinOnce(joinSpec{group: group, sessionMillis: ms}); r.ErrorCode != kerr.InvalidSessionTimeout.Code {
			t.Fatalf("JoinGroup with a %dms session timeout: error %d, want INVALID_SESSION_TIMEOUT (26)", ms, r.ErrorCode)
		}
	}
	j := g.join(group, "", nil, "")
	g.sync(group, j.Generation, j.MemberID, nil, map[string][]int32{j.MemberID: {0, 1}})
	if r := g.joinOnce(joinSpec{group: group, memberID: "never-given", protocolType: "consumer"}); r.ErrorCode != kerr.UnknownMemberID.Code {
		t.Fatalf("JoinGroup with a member ID the group never gave: error %d, want UNKNOWN_MEMBER_ID (25)", r.ErrorCode)
	}
	if r := g.joinOnce(joinSpec{group: group, protocolType: "connect"}); r.ErrorCode != kerr.InconsistentGroupProtocol.Code {
		t.Fatalf("JoinGroup as protocol type connect into a consumer group: error %d, want INCONSISTENT_GROUP_PROTOCOL (23)", r.ErrorCode)
	}
	if code := g.heartbeat(group, j.Generation, j.MemberID, nil); code != 0 {
		t.Fatalf("Heartbeat of the member in the group after the refused joins: error %d", code)
	}
	d := g.describe(group)[group]
	if d.State != "Stable" || len(d.Members) != 1 || d.Members[0].MemberID != j.MemberID {
		t.Fatalf("after the refused joins: state %q, %d members; want Stable with the one member", d.State, len(d.Members))
	}
}

// rawGroups sends group requests at rawGroupVersions on one connection.
type rawGroups struct {
	t  *testing.T
	rc *rawConn
}

// joinSpec is one JoinGroup's varying fields.
type joinSpec struct {
	group, memberID string
	instance        *string
	userData        string
	protocolType    string // default "consumer"
	sessionMillis   int32  // default 30000
}

// joinOnce sends one JoinGroup (rebalance timeout 30s, protocol "range"
// subscribing to rawTopic with the spec's userData) and returns the answer,
// whatever its error.
func (g *rawGroups) joinOnce(s joinSpec) *kmsg.JoinGroupResponse {
	g.t.Helper()
	if s.protocolType == "" {
		s.protocolType = "consumer"
	}
	if s.sessionMillis == 0 {
		s.sessionMillis = 30000
	}
	meta := kmsg.ConsumerMemberMetadata{Version: 0, Topics: []string{rawTopic}, UserData: []byte(s.userData)}
	req := kmsg.NewPtrJoinGroupRequest()
	req.Version, req.Group, req.MemberID, req.InstanceID = rawGroupVersions[11], s.group, s.memberID, s.instance
	req.SessionTimeoutMillis, req.RebalanceTimeoutMillis, req.ProtocolType = s.sessionMillis, 30000, s.protocolType
	p := kmsg.NewJoinGroupRequestProtocol()
	p.Name, p.Metadata = "range", meta.AppendTo(nil)
	req.Protocols = append(req.Protocols, p)
	return g.rc.roundTrip(req).(*kmsg.JoinGroupResponse)
}

// join joins as a consumer with joinOnce; a MEMBER_ID_REQUIRED answer
// (v4+, dynamic members) is followed by the join with the given ID, as
// clients do. Any other error fails t.
func (g *rawGroups) join(group, memberID string, instance *string, userData string) *kmsg.JoinGroupResponse {
	g.t.Helper()
	for range 2 {
		resp := g.joinOnce(joinSpec{group: group, memberID: memberID, instance: instance, userData: userData})
		if resp.ErrorCode == kerr.MemberIDRequired.Code && memberID == "" && resp.MemberID != "" {
			memberID = resp.MemberID
			continue
		}
		if resp.ErrorCode != 0 {
			g.t.Fatalf("JoinGroup(%s, member %q): error %d (%v)", group, memberID, resp.ErrorCode, kerr.ErrorForCode(resp.ErrorCode))
		}
		if resp.MemberID == "" || resp.Generation < 0 {
			g.t.Fatalf("JoinGroup(%s): member ID %q generation %d", group, resp.MemberID, resp.Generation)
		}
		return resp
	}
	g.t.Fatalf("JoinGroup(%s): MEMBER_ID_REQUIRED twice", group)
	return nil
}

// syncCode sends SyncGroup without an assignment and returns its error.
func (g *rawGroups) syncCode(group string, gen int32, member string) int16 {
	g.t.Helper()
	req := kmsg.NewPtrSyncGroupRequest()
	req.Version, req.Group, req.Generation, req.MemberID = rawGroupVersions[14], group, gen, member
	return g.rc.roundTrip(req).(*kmsg.SyncGroupResponse).ErrorCode
}

// sync sends SyncGroup with the leader's assignment (nil from a follower)
// and fails t on an error.
func (g *rawGroups) sync(group string, gen int32, member string, instance *string, assign map[string][]int32) *kmsg.SyncGroupResponse {
	g.t.Helper()
	req := kmsg.NewPtrSyncGroupRequest()
	req.Version, req.Group, req.Generation, req.MemberID, req.InstanceID = rawGroupVersions[14], group, gen, member, instance
	for id, parts := range assign {
		a := kmsg.NewSyncGroupRequestGroupAssignment()
		ca := kmsg.ConsumerMemberAssignment{Version: 0, Topics: []kmsg.ConsumerMemberAssignmentTopic{{Topic: rawTopic, Partitions: parts}}}
		a.MemberID, a.MemberAssignment = id, ca.AppendTo(nil)
		req.GroupAssignment = append(req.GroupAssignment, a)
	}
	resp := g.rc.roundTrip(req).(*kmsg.SyncGroupResponse)
	if resp.ErrorCode != 0 {
		g.t.Fatalf("SyncGroup(%s, generation %d, member %q): error %d (%v)", group, gen, member, resp.ErrorCode, kerr.ErrorForCode(resp.ErrorCode))
	}
	return resp
}

// decodeAssignment is the rawTopic partitions of a consumer assignment.
func decodeAssignment(t *testing.T, b []byte) []int32 {
	t.Helper()
	var a kmsg.ConsumerMemberAssignment
	if err := a.ReadFrom(b); err != nil {
		t.Fatalf("member assignment %x does not parse: %v", b, err)
	}
	var out []int32
	for _, at := range a.Topics {
		if at.Topic == rawTopic {
			out = append(out, at.Partitions...)
		}
	}
	slices.Sort(out)
	return out
}

func (g *rawGroups) heartbeat(group string, gen int32, member string, instance *string) int16 {
	g.t.Helper()
	req := kmsg.NewPtrHeartbeatRequest()
	req.Version, req.Group, req.Generation, req.MemberID, req.InstanceID = rawGroupVersions[12], group, gen, member, instance
	return g.rc.roundTrip(req).(*kmsg.HeartbeatResponse).ErrorCode
}

// expectCommit commits offsets of rawTopic and fails t unless every
// partition answers want.
func (g *rawGroups) expectCommit(group string, gen int32, member string, instance *string, offsets map[int32]int64, want int16) {
	g.t.Helper()
	req := kmsg.NewPtrOffsetCommitRequest()
	req.Version, req.Group, req.Generation, req.MemberID, req.InstanceID = rawGroupVersions[8], group, gen, member, instance
	rt := kmsg.NewOffsetCommitRequestTopic()
	rt.Topic = rawTopic
	for p, o := range offsets {
		rp := kmsg.NewOffsetCommitRequestTopicPartition()
		rp.Partition, rp.Offset, rp.LeaderEpoch = p, o, -1
		rt.Partitions = append(rt.Partitions, rp)
	}
	req.Topics = append(req.Topics, rt)
	resp := g.rc.roundTrip(req).(*kmsg.OffsetCommitResponse)
	got := map[int32]int16{}
	for _, rt := range resp.Topics {
		for _, p := range rt.Partitions {
			if rt.Topic == rawTopic {
				got[p.Partition] = p.ErrorCode
			}
		}
	}
	for p := range offsets {
		if code, ok := got[p]; !ok || code != want {
			g.t.Fatalf("OffsetCommit(%s, generation %d, member %q) partition %d: error %d (answered %v), want %d (%v)",
				group, gen, member, p, code, ok, want, kerr.ErrorForCode(want))
		}
	}
}

// fetch is OffsetFetch of rawTopic's parts: the group-level error, and
// per partition the offset and error.
func (g *rawGroups) fetch(group string, parts ...int32) (int16, map[int32]int64, map[int32]int16) {
	g.t.Helper()
	req := kmsg.NewPtrOffsetFetchRequest()
	req.Version, req.Group = rawGroupVersions[9], group
	rt := kmsg.NewOffsetFetchRequestTopic()
	rt.Topic, rt.Partitions = rawTopic, parts
	req.Topics = append(req.Topics, rt)
	resp := g.rc.roundTrip(req).(*kmsg.OffsetFetchResponse)
	offs, errs := map[int32]int64{}, map[int32]int16{}
	for _, rt := range resp.Topics {
		for _, p := range rt.Partitions {
			if rt.Topic == rawTopic {
				offs[p.Partition], errs[p.Partition] = p.Offset, p.ErrorCode
			}
		}
	}
	return resp.ErrorCode, offs, errs
}

// expectFetch asserts OffsetFetch of the partitions in want gives want.
func (g *rawGroups) expectFetch(group string, want map[int32]int64) {
	g.t.Helper()
	var parts []int32
	for p := range want {
		parts = append(parts, p)
	}
	top, offs, errs := g.fetch(group, parts...)
	for p, w := range want {
		if top != 0 || errs[p] != 0 || offs[p] != w {
			g.t.Fatalf("OffsetFetch(%s): error %d, offsets %s, partition errors %v; want %s", group, top, fmtOffsets(offs), errs, fmtOffsets(want))
		}
	}
}

// leave is LeaveGroup (v3: by member) of one member: the top-level error
// and the member's.
func (g *rawGroups) leave(group, member string, instance *string) (int16, map[string]int16) {
	g.t.Helper()
	req := kmsg.NewPtrLeaveGroupRequest()
	req.Version, req.Group = rawGroupVersions[13], group
	lm := kmsg.NewLeaveGroupRequestMember()
	lm.MemberID, lm.InstanceID = member, instance
	req.Members = append(req.Members, lm)
	resp := g.rc.roundTrip(req).(*kmsg.LeaveGroupResponse)
	per := map[string]int16{}
	for _, m := range resp.Members {
		per[m.MemberID] = m.ErrorCode
	}
	if _, ok := per[member]; !ok && resp.ErrorCode == 0 {
		g.t.Fatalf("LeaveGroup(%s): no answer for member %q (members %+v)", group, member, resp.Members)
	}
	return resp.ErrorCode, per
}

func (g *rawGroups) list() map[string]kmsg.ListGroupsResponseGroup {
	g.t.Helper()
	req := kmsg.NewPtrListGroupsRequest()
	req.Version = rawGroupVersions[16]
	resp := g.rc.roundTrip(req).(*kmsg.ListGroupsResponse)
	if resp.ErrorCode != 0 {
		g.t.Fatalf("ListGroups: error %d", resp.ErrorCode)
	}
	out := map[string]kmsg.ListGroupsResponseGroup{}
	for _, lg := range resp.Groups {
		out[lg.Group] = lg
	}
	return out
}

func (g *rawGroups) describe(groups ...string) map[string]kmsg.DescribeGroupsResponseGroup {
	g.t.Helper()
	req := kmsg.NewPtrDescribeGroupsRequest()
	req.Version, req.Groups = rawGroupVersions[15], groups
	resp := g.rc.roundTrip(req).(*kmsg.DescribeGroupsResponse)
	out := map[string]kmsg.DescribeGroupsResponseGroup{}
	for _, d := range resp.Groups {
		out[d.Group] = d
	}
	for _, name := range groups {
		if _, ok := out[name]; !ok {
			g.t.Fatalf("DescribeGroups: no answer for %s", name)
		}
	}
	return out
}

func (g *rawGroups) deleteGroups(groups ...string) map[string]int16 {
	g.t.Helper()
	req := kmsg.NewPtrDeleteGroupsRequest()
	req.Version, req.Groups = rawGroupVersions[42], groups
	resp := g.rc.roundTrip(req).(*kmsg.DeleteGroupsResponse)
	out := map[string]int16{}
	for _, d := range resp.Groups {
		out[d.Group] = d.ErrorCode
	}
	for _, name := range groups {
		if _, ok := out[name]; !ok {
			g.t.Fatalf("DeleteGroups: no answer for %s", name)
		}
	}
	return out
}

// offsetDelete is OffsetDelete of rawTopic's parts: the group-level error
// and the per-partition ones.
func (g *rawGroups) offsetDelete(group string, parts ...int32) (int16, map[int32]int16) {
	g.t.Helper()
	req := kmsg.NewPtrOffsetDeleteRequest()
	req.Version, req.Group = rawGroupVersions[47], group
	rt := kmsg.NewOffsetDeleteRequestTopic()
	rt.Topic = rawTopic
	for _, p := range parts {
		rp := kmsg.NewOffsetDeleteRequestTopicPartition()
		rp.Partition = p
		rt.Partitions = append(rt.Partitions, rp)
	}
	req.Topics = append(req.Topics, rt)
	resp := g.rc.roundTrip(req).(*kmsg.OffsetDeleteResponse)
	per := map[int32]int16{}
	for _, rt := range resp.Topics {
		for _, p := range rt.Partitions {
			per[p.Partition] = p.ErrorCode
		}
	}
	return resp.ErrorCode, per
}

func joinHostPort(host string, port int32) string {
	return net.JoinHostPort(host, strconv.Itoa(int(port)))
}
