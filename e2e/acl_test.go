package e2e

import (
	"errors"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/tributary-io/tributary/config"
	"github.com/tributary-io/tributary/internal/testpg"
	"github.com/tributary-io/tributary/node"
)

// plainRaw is a raw connection authenticated with PLAIN.
func plainRaw(t *testing.T, addr, user, pass string) *rawConn {
	t.Helper()
	raw := dialRaw(t, addr)
	h := kmsg.NewPtrSASLHandshakeRequest()
	h.Version, h.Mechanism = 1, "PLAIN"
	if r := raw.roundTrip(h).(*kmsg.SASLHandshakeResponse); r.ErrorCode != 0 {
		t.Fatalf("handshake: %d", r.ErrorCode)
	}
	a := kmsg.NewPtrSASLAuthenticateRequest()
	a.Version, a.SASLAuthBytes = 2, []byte("\x00"+user+"\x00"+pass)
	if r := raw.roundTrip(a).(*kmsg.SASLAuthenticateResponse); r.ErrorCode != 0 {
		t.Fatalf("authenticate %s: %d", user, r.ErrorCode)
	}
	return raw
}

// fetchCode fetches partition 0 of topic (Fetch v11, by name) and returns
// the partition's error code.
func fetchCode(t *testing.T, raw *rawConn, topic string) int16 {
	t.Helper()
	req := kmsg.NewPtrFetchRequest()
	req.Version, req.MaxWaitMillis, req.MaxBytes, req.ReplicaID = 11, 0, 1<<20, -1
	rt := kmsg.NewFetchRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewFetchRequestTopicPartition()
	rp.PartitionMaxBytes = 1 << 20
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp := raw.roundTrip(req).(*kmsg.FetchResponse)
	if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 || resp.Topics[0].Topic != topic {
		t.Fatalf("fetch %s: %+v", topic, resp.Topics)
	}
	return resp.Topics[0].Partitions[0].ErrorCode
}

// metadataTopics lists the topics a Metadata request for all topics shows.
func metadataTopics(t *testing.T, raw *rawConn) []string {
	t.Helper()
	req := kmsg.NewPtrMetadataRequest()
	req.Version = 12
	resp := raw.roundTrip(req).(*kmsg.MetadataResponse)
	var out []string
	for _, tp := range resp.Topics {
		out = append(out, *tp.Topic)
	}
	sort.Strings(out)
	return out
}

func createACLs(t *testing.T, adm *kadm.Client, b *kadm.ACLBuilder) {
	t.Helper()
	res, err := adm.CreateACLs(ctxTimeout(t, 10*time.Second), b)
	if err != nil {
		t.Fatalf("create acls: %v", err)
	}
	for _, r := range res {
		if r.Err != nil {
			t.Fatalf("create acl %+v: %v", r, r.Err)
		}
	}
}

// TestACLsEnforced: with kafka.authorization on (super user admin,
// allow_everyone_if_no_acl_found false), ACLs created through CreateAcls
// decide Fetch, Produce, Metadata and group access as in Kafka: a topic
// without READ is TOPIC_AUTHORIZATION_FAILED on Fetch and missing from
// Metadata; a prefixed ALLOW covers its topics; a DENY overrides an ALLOW;
// a group without READ is GROUP_AUTHORIZATION_FAILED; only the super user
// may manage ACLs; deleting the DENY lets the read through at once.
func TestACLsEnforced(t *testing.T) {
	n := startNode(t, saslConfig(t, true), node.Hooks{})
	addr := n.KafkaAddr()
	admin := authClient(t, addr, plainOpt("admin", adminPassword))
	adm := kadm.NewClient(admin)
	ctx := ctxTimeout(t, 60*time.Second)
	topics := []string{"secret", "orders-eu", "orders-us", "public"}
	if _, err := adm.CreateTopics(ctx, 1, 1, nil, topics...); err != nil {
		t.Fatal(err)
	}
	for _, tp := range topics {
		if err := admin.ProduceSync(ctx, &kgo.Record{Topic: tp, Value: []byte("v-" + tp)}).FirstErr(); err != nil {
			t.Fatalf("admin produce to %s: %v", tp, err)
		}
	}
	addScramUser(t, adm, "alice", alicePassword, kadm.ScramSha512)

	createACLs(t, adm, kadm.NewACLs().Topics("orders-").ResourcePatternType(kadm.ACLPatternPrefixed).
		Allow("User:plainbob", "User:alice").Operations(kadm.OpRead))
	createACLs(t, adm, kadm.NewACLs().Topics("orders-us").ResourcePatternType(kadm.ACLPatternLiteral).
		Deny("User:plainbob").Operations(kadm.OpRead))
	createACLs(t, adm, kadm.NewACLs().Topics("public").ResourcePatternType(kadm.ACLPatternLiteral).
		Allow("User:plainbob").Operations(kadm.OpDescribe))
	createACLs(t, adm, kadm.NewACLs().Groups("alice-group").ResourcePatternType(kadm.ACLPatternLiteral).
		Allow("User:alice").Operations(kadm.OpRead))

	bob := plainRaw(t, addr, "plainbob", "bob-secret-pw")
	for topic, want := range map[string]int16{
		"secret":    kerr.TopicAuthorizationFailed.Code, // no ACL names it for bob
		"orders-eu": 0,                                  // prefixed ALLOW
		"orders-us": kerr.TopicAuthorizationFailed.Code, // DENY overrides the prefixed ALLOW
		"public":    kerr.TopicAuthorizationFailed.Code, // DESCRIBE only
	} {
		if got := fetchCode(t, bob, topic); got != want {
			t.Errorf("bob fetches %s: error %d, want %d", topic, got, want)
		}
	}
	// DESCRIBE is implied by the READ ALLOWs (a DENY of READ does not deny
	// DESCRIBE), so orders-us stays listed; secret is hidden.
	if got, want := metadataTopics(t, bob), []string{"orders-eu", "orders-us", "public"}; !slices.Equal(got, want) {
		t.Errorf("bob's Metadata lists %v, want %v", got, want)
	}
	if got := metadataTopics(t, plainRaw(t, addr, "admin", adminPassword)); !slices.Contains(got, "secret") {
		t.Errorf("the super user's Metadata misses secret: %v", got)
	}
	named := kmsg.NewPtrMetadataRequest()
	named.Version = 12
	named.Topics = []kmsg.MetadataRequestTopic{{Topic: kmsg.StringPtr("secret")}}
	if r := bob.roundTrip(named).(*kmsg.MetadataResponse); len(r.Topics) != 1 || r.Topics[0].ErrorCode != kerr.TopicAuthorizationFailed.Code {
		t.Errorf("bob's Metadata for secret by name: %+v", r.Topics)
	}
	pr := produceReq(9, "public", 5000, map[int32][]byte{0: testBatch("x")})
	if got := produceResults(bob.roundTrip(pr)); got[0].code != kerr.TopicAuthorizationFailed.Code {
		t.Errorf("bob produces to public: %+v, want TOPIC_AUTHORIZATION_FAILED", got)
	}
	cr := kmsg.NewPtrCreateACLsRequest()
	cr.Version = 3
	c := kmsg.NewCreateACLsRequestCreation()
	c.ResourceType, c.ResourceName, c.ResourcePatternType = kmsg.ACLResourceTypeTopic, "secret", kmsg.ACLResourcePatternTypeLiteral
	c.Principal, c.Host, c.Operation, c.PermissionType = "User:plainbob", "*", kmsg.ACLOperationAll, kmsg.ACLPermissionTypeAllow
	cr.Creations = append(cr.Creations, c)
	if r := bob.roundTrip(cr).(*kmsg.CreateACLsResponse); len(r.Results) != 1 || r.Results[0].ErrorCode != kerr.ClusterAuthorizationFailed.Code {
		t.Errorf("bob creates an ACL: %+v, want CLUSTER_AUTHORIZATION_FAILED", r.Results)
	}

	// alice (SCRAM) consumes orders-eu in her group; another group is refused.
	consume := func(group string) error {
		cl := authClient(t, addr, scramOpt(kadm.ScramSha512, "alice", alicePassword),
			kgo.ConsumeTopics("orders-eu"), kgo.ConsumerGroup(group), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
		cctx := ctxTimeout(t, 20*time.Second)
		for {
			fs := cl.PollFetches(cctx)
			if err := fs.Err0(); err != nil && !errors.Is(err, cctx.Err()) {
				return err
			}
			if fs.NumRecords() > 0 {
				return nil
			}
			if cctx.Err() != nil {
				return cctx.Err()
			}
		}
	}
	if err := consume("alice-group"); err != nil {
		t.Errorf("alice consumes in alice-group: %v", err)
	}
	if err := consume("other-group"); !errors.Is(err, kerr.GroupAuthorizationFailed) {
		t.Errorf("alice consumes in other-group: %v, want GROUP_AUTHORIZATION_FAILED", err)
	}

	described, err := adm.DescribeACLs(ctx, kadm.NewACLs().AnyResource().ResourcePatternType(kadm.ACLPatternAny).
		Allow().Deny().Operations(kadm.OpAny).AllowHosts().DenyHosts())
	if err != nil || len(described) != 1 || described[0].Err != nil || len(described[0].Described) != 5 {
		t.Fatalf("describe all acls: %+v, %v", described, err)
	}
	deleted, err := adm.DeleteACLs(ctx, kadm.NewACLs().Topics("orders-us").ResourcePatternType(kadm.ACLPatternLiteral).
		Deny("User:plainbob").Operations(kadm.OpRead).DenyHosts())
	if err != nil || len(deleted) != 1 || len(deleted[0].Deleted) != 1 {
		t.Fatalf("delete the deny: %+v, %v", deleted, err)
	}
	if got := fetchCode(t, bob, "orders-us"); got != 0 {
		t.Errorf("bob fetches orders-us after the deny is deleted: %d", got)
	}
}

// TestACLAPIsWithoutAuthorization: with no kafka.authorization, the ACL
// APIs answer CLUSTER_AUTHORIZATION_FAILED (as Bufstream) and every
// request is allowed.
func TestACLAPIsWithoutAuthorization(t *testing.T) {
	n := startNode(t, saslConfig(t, false), node.Hooks{})
	raw := plainRaw(t, n.KafkaAddr(), "plainbob", "bob-secret-pw")
	d := kmsg.NewPtrDescribeACLsRequest()
	d.Version, d.ResourceType, d.ResourcePatternType = 3, kmsg.ACLResourceTypeAny, kmsg.ACLResourcePatternTypeAny
	d.Operation, d.PermissionType = kmsg.ACLOperationAny, kmsg.ACLPermissionTypeAny
	if r := raw.roundTrip(d).(*kmsg.DescribeACLsResponse); r.ErrorCode != kerr.ClusterAuthorizationFailed.Code {
		t.Errorf("DescribeAcls without authorization: %d", r.ErrorCode)
	}
	pr := produceReq(9, "anyone", 5000, map[int32][]byte{0: testBatch("x")})
	md := kmsg.NewPtrMetadataRequest()
	md.Version, md.AllowAutoTopicCreation = 12, true
	md.Topics = []kmsg.MetadataRequestTopic{{Topic: kmsg.StringPtr("anyone")}}
	raw.roundTrip(md)
	if got := produceResults(raw.roundTrip(pr)); got[0].code != 0 {
		t.Errorf("produce without authorization: %+v", got)
	}
}

// TestACLsSharedAcrossBrokers: two brokers on one Postgres metadata store.
// ACLs and a SCRAM user created through the first are enforced by the
// second within the authorizer's refresh (1s), and a DENY added on the
// second takes effect on the first as well.
func TestACLsSharedAcrossBrokers(t *testing.T) {
	pg := testpg.New(t)
	dsn := pg.CreateDatabase(t)
	var nodes []*node.Node
	for range 2 {
		cfg := saslConfig(t, true)
		cfg.Metadata.Postgres = config.NewPostgres(config.InlineSource(dsn))
		nodes = append(nodes, startNode(t, cfg, node.Hooks{}))
	}
	a, b := nodes[0].KafkaAddr(), nodes[1].KafkaAddr()
	admA := kadm.NewClient(authClient(t, a, plainOpt("admin", adminPassword)))
	ctx := ctxTimeout(t, 60*time.Second)
	if _, err := admA.CreateTopics(ctx, 1, 1, nil, "shared"); err != nil {
		t.Fatal(err)
	}
	addScramUser(t, admA, "alice", alicePassword, kadm.ScramSha256)
	bobB := plainRaw(t, b, "plainbob", "bob-secret-pw")
	if got := fetchCode(t, bobB, "shared"); got != kerr.TopicAuthorizationFailed.Code {
		t.Fatalf("bob on broker 2 before any ACL: %d", got)
	}
	createACLs(t, admA, kadm.NewACLs().Topics("shared").ResourcePatternType(kadm.ACLPatternLiteral).
		Allow("User:plainbob", "User:alice").Operations(kadm.OpRead))
	waitCode := func(raw *rawConn, want int16, what string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			got := fetchCode(t, raw, "shared")
			if got == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: fetch error %d after 5s, want %d", what, got, want)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	waitCode(bobB, 0, "broker 2 after an ALLOW created on broker 1")
	// alice's SCRAM credential, created through broker 1, works on broker 2.
	if err := authClient(t, b, scramOpt(kadm.ScramSha256, "alice", alicePassword)).Ping(ctx); err != nil {
		t.Fatalf("alice on broker 2: %v", err)
	}
	admB := kadm.NewClient(authClient(t, b, plainOpt("admin", adminPassword)))
	createACLs(t, admB, kadm.NewACLs().Topics("shared").ResourcePatternType(kadm.ACLPatternLiteral).
		Deny("User:plainbob").Operations(kadm.OpRead))
	waitCode(bobB, kerr.TopicAuthorizationFailed.Code, "broker 2 right after its own DENY")
	waitCode(plainRaw(t, a, "plainbob", "bob-secret-pw"), kerr.TopicAuthorizationFailed.Code, "broker 1 after a DENY created on broker 2")
}

// TestACLErrorCodesPerAPI: a principal without ACLs gets each API's own
// authorization error, as Kafka answers them.
func TestACLErrorCodesPerAPI(t *testing.T) {
	n := startNode(t, saslConfig(t, true), node.Hooks{})
	addr := n.KafkaAddr()
	adm := kadm.NewClient(authClient(t, addr, plainOpt("admin", adminPassword)))
	if _, err := adm.CreateTopics(ctxTimeout(t, 10*time.Second), 1, 1, nil, "guarded"); err != nil {
		t.Fatal(err)
	}
	bob := plainRaw(t, addr, "plainbob", "bob-secret-pw")
	topicDenied, groupDenied, clusterDenied := kerr.TopicAuthorizationFailed.Code, kerr.GroupAuthorizationFailed.Code, kerr.ClusterAuthorizationFailed.Code

	ct := kmsg.NewPtrCreateTopicsRequest()
	ct.Version = 7
	ctt := kmsg.NewCreateTopicsRequestTopic()
	ctt.Topic, ctt.NumPartitions, ctt.ReplicationFactor = "bobs-topic", 1, 1
	ct.Topics = append(ct.Topics, ctt)
	if r := bob.roundTrip(ct).(*kmsg.CreateTopicsResponse); len(r.Topics) != 1 || r.Topics[0].ErrorCode != topicDenied {
		t.Errorf("CreateTopics: %+v", r.Topics)
	}
	dt := kmsg.NewPtrDeleteTopicsRequest()
	dt.Version = 5
	dt.TopicNames = []string{"guarded"}
	if r := bob.roundTrip(dt).(*kmsg.DeleteTopicsResponse); len(r.Topics) != 1 || r.Topics[0].ErrorCode != topicDenied {
		t.Errorf("DeleteTopics: %+v", r.Topics)
	}
	dc := kmsg.NewPtrDescribeConfigsRequest()
	dc.Version = 4
	for _, res := range []struct {
		rt   kmsg.ConfigResourceType
		name string
	}{{kmsg.ConfigResourceTypeTopic, "guarded"}, {kmsg.ConfigResourceTypeBroker, "0"}} {
		r := kmsg.NewDescribeConfigsRequestResource()
		r.ResourceType, r.ResourceName = res.rt, res.name
		dc.Resources = append(dc.Resources, r)
	}
	got := map[kmsg.ConfigResourceType]int16{}
	for _, r := range bob.roundTrip(dc).(*kmsg.DescribeConfigsResponse).Resources {
		got[r.ResourceType] = r.ErrorCode
	}
	if got[kmsg.ConfigResourceTypeTopic] != topicDenied || got[kmsg.ConfigResourceTypeBroker] != clusterDenied {
		t.Errorf("DescribeConfigs: %v", got)
	}
	fc := kmsg.NewPtrFindCoordinatorRequest()
	fc.Version, fc.CoordinatorKeys = 4, []string{"bobs-group"}
	if r := bob.roundTrip(fc).(*kmsg.FindCoordinatorResponse); len(r.Coordinators) != 1 || r.Coordinators[0].ErrorCode != groupDenied {
		t.Errorf("FindCoordinator: %+v", r.Coordinators)
	}
	jg := kmsg.NewPtrJoinGroupRequest()
	jg.Version, jg.Group, jg.ProtocolType, jg.SessionTimeoutMillis, jg.RebalanceTimeoutMillis = 9, "bobs-group", "consumer", 30000, 30000
	jg.Protocols = []kmsg.JoinGroupRequestProtocol{{Name: "range", Metadata: []byte{}}}
	if r := bob.roundTrip(jg).(*kmsg.JoinGroupResponse); r.ErrorCode != groupDenied {
		t.Errorf("JoinGroup: %d", r.ErrorCode)
	}
	oc := kmsg.NewPtrOffsetCommitRequest()
	oc.Version, oc.Group, oc.Generation = 8, "bobs-group", -1
	oct := kmsg.NewOffsetCommitRequestTopic()
	oct.Topic = "guarded"
	oct.Partitions = []kmsg.OffsetCommitRequestTopicPartition{{Partition: 0, Offset: 1, LeaderEpoch: -1}}
	oc.Topics = append(oc.Topics, oct)
	if r := bob.roundTrip(oc).(*kmsg.OffsetCommitResponse); len(r.Topics) != 1 || r.Topics[0].Partitions[0].ErrorCode != groupDenied {
		t.Errorf("OffsetCommit: %+v", r.Topics)
	}
	lo := kmsg.NewPtrListOffsetsRequest()
	lo.Version, lo.ReplicaID = 7, -1
	lot := kmsg.NewListOffsetsRequestTopic()
	lot.Topic = "guarded"
	lot.Partitions = []kmsg.ListOffsetsRequestTopicPartition{{Partition: 0, CurrentLeaderEpoch: -1, Timestamp: -1}}
	lo.Topics = append(lo.Topics, lot)
	if r := bob.roundTrip(lo).(*kmsg.ListOffsetsResponse); len(r.Topics) != 1 || r.Topics[0].Partitions[0].ErrorCode != topicDenied {
		t.Errorf("ListOffsets: %+v", r.Topics)
	}
	// Auto-creation through Metadata needs CREATE: refused, not created.
	md := kmsg.NewPtrMetadataRequest()
	md.Version, md.AllowAutoTopicCreation = 12, true
	md.Topics = []kmsg.MetadataRequestTopic{{Topic: kmsg.StringPtr("bobs-auto")}}
	if r := bob.roundTrip(md).(*kmsg.MetadataResponse); len(r.Topics) != 1 || r.Topics[0].ErrorCode != topicDenied {
		t.Errorf("Metadata auto-create: %+v", r.Topics)
	}
	// All topics (naming them would let the admin client auto-create them).
	l, err := adm.ListTopics(ctxTimeout(t, 10*time.Second))
	if err != nil || !l.Has("guarded") || l.Has("bobs-auto") || l.Has("bobs-topic") {
		t.Errorf("topics after bob's refused creations: %v, %v", l.Names(), err)
	}
	al := kmsg.NewPtrAlterUserSCRAMCredentialsRequest()
	u := kmsg.NewAlterUserSCRAMCredentialsRequestUpsertion()
	u.Name, u.Mechanism, u.Iterations, u.Salt, u.SaltedPassword = "bob2", 1, 4096, []byte("s"), make([]byte, 32)
	al.Upsertions = append(al.Upsertions, u)
	if r := bob.roundTrip(al).(*kmsg.AlterUserSCRAMCredentialsResponse); len(r.Results) != 1 || r.Results[0].ErrorCode != clusterDenied {
		t.Errorf("AlterUserScramCredentials: %+v", r.Results)
	}
}
