package e2e

import (
	"encoding/binary"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kbin"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/tributary-io/tributary/config"
	"github.com/tributary-io/tributary/node"
)

// Bad input on a raw connection: what Kafka closes the connection for is
// closed, what it answers with an error code is answered, and the broker
// goes on serving everyone else (a handler panic or a stuck reader would
// show in the liveness check after each case).

const badTopic = "bad"

// badNode starts a broker with a 1 MiB request limit and a two-partition
// topic.
func badNode(t *testing.T) *node.Node {
	t.Helper()
	cfg := testConfig(t, t.TempDir())
	cfg.Kafka.MaxRequestBytes = config.MiB
	n := startNode(t, cfg, node.Hooks{})
	ctx := ctxTimeout(t, 20*time.Second)
	if resp, err := newAdmin(t, n.KafkaAddr()).CreateTopic(ctx, 2, 1, nil, badTopic); err != nil || resp.Err != nil {
		t.Fatalf("create topic: %v %v", err, resp.Err)
	}
	return n
}

// expectServing asserts the broker still answers: a new raw connection
// gets ApiVersions, admin reports ready, and franz-go produces a record.
func expectServing(t *testing.T, n *node.Node) {
	t.Helper()
	req := kmsg.NewPtrApiVersionsRequest()
	req.Version = 3
	if resp := dialRaw(t, n.KafkaAddr()).roundTrip(req).(*kmsg.ApiVersionsResponse); resp.ErrorCode != 0 || len(resp.ApiKeys) == 0 {
		t.Fatalf("ApiVersions after bad input: error %d, %d keys", resp.ErrorCode, len(resp.ApiKeys))
	}
	resp, err := http.Get("http://" + n.AdminAddr() + "/-/status")
	if err != nil {
		t.Fatalf("admin status: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("admin status %d after bad input", resp.StatusCode)
	}
	cl := newClient(t, n.KafkaAddr())
	if err := cl.ProduceSync(ctxTimeout(t, 20*time.Second), &kgo.Record{Topic: badTopic, Value: []byte("alive")}).FirstErr(); err != nil {
		t.Fatalf("produce after bad input: %v", err)
	}
}

// TestBadInputClosesConnection: frames Kafka refuses to parse close the
// connection without an answer.
func TestBadInputClosesConnection(t *testing.T) {
	n := badNode(t)
	produce := produceReq(9, badTopic, 5000, map[int32][]byte{0: testBatch("v")})
	body := produce.AppendTo(header(0, 9, 1, true))
	cases := []struct {
		name string
		wire []byte
	}{
		{"size over max request bytes", kbin.AppendInt32(nil, int32(config.MiB)+1)}, // no body: refused on the size alone
		{"size 0", kbin.AppendInt32(nil, 0)},
		{"size 7", append(kbin.AppendInt32(nil, 7), 0, 18, 0, 3, 0, 0, 0)},
		{"size negative", kbin.AppendInt32(nil, -1)},
		{"unknown api key", frame(header(999, 0, 1, false))},
		{"negative api key", frame(header(-1, 0, 1, false))},
		{"produce version above served", frame(produceReq(9, badTopic, 5000, nil).AppendTo(header(0, 99, 1, true)))},
		{"header cut in client id", frame(header(18, 3, 1, true)[:10])},
		{"produce body truncated", frame(body[:len(body)/2])},
		// null transactional ID, acks -1, timeout 5000, then 999 topics that never come
		{"produce topic count past the body", frame(append(header(0, 9, 1, true), 0, 0xff, 0xff, 0, 0, 0x13, 0x88, 0xe8, 0x07))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rc := dialRaw(t, n.KafkaAddr())
			rc.write(c.wire)
			rc.expectClosed(c.name)
			expectServing(t, n)
		})
	}
}

// TestBadInputApiVersionsUnsupported: ApiVersions at a version the broker
// does not know is answered at v0 with UNSUPPORTED_VERSION and the served
// keys (KIP-511), and the connection stays usable.
func TestBadInputApiVersionsUnsupported(t *testing.T) {
	n := badNode(t)
	rc := dialRaw(t, n.KafkaAddr())
	req := kmsg.NewPtrApiVersionsRequest()
	req.Version = 99
	req.ClientSoftwareName, req.ClientSoftwareVersion = "e2e", "0"
	b, corr := rc.encode(req) // a v99 request has a flexible header
	rc.write(b)
	old := rc.readResponse(corr, kmsg.NewPtrApiVersionsResponse(), 0, false).(*kmsg.ApiVersionsResponse)
	if old.ErrorCode != kerr.UnsupportedVersion.Code {
		t.Fatalf("ApiVersions v99: error %d, want UNSUPPORTED_VERSION", old.ErrorCode)
	}
	req.Version = 3
	cur := rc.roundTrip(req).(*kmsg.ApiVersionsResponse)
	if cur.ErrorCode != 0 {
		t.Fatalf("ApiVersions v3 on the same connection: error %d", cur.ErrorCode)
	}
	keys := func(r *kmsg.ApiVersionsResponse) []kmsg.ApiVersionsResponseApiKey {
		ks := slices.Clone(r.ApiKeys)
		for i := range ks {
			ks[i].UnknownTags = kmsg.Tags{}
		}
		return ks
	}
	if !slices.EqualFunc(keys(old), keys(cur), func(a, b kmsg.ApiVersionsResponseApiKey) bool {
		return a.ApiKey == b.ApiKey && a.MinVersion == b.MinVersion && a.MaxVersion == b.MaxVersion
	}) {
		t.Fatalf("v0 error answer lists %v, v3 answer %v", old.ApiKeys, cur.ApiKeys)
	}
	served := map[int16]kmsg.ApiVersionsResponseApiKey{}
	for _, k := range cur.ApiKeys {
		served[k.ApiKey] = k
	}
	for _, key := range []int16{0, 1, 2, 3, 18} {
		if _, ok := served[key]; !ok {
			t.Fatalf("ApiVersions does not list key %d (%s)", key, kmsg.NameForKey(key))
		}
	}
	if k := served[18]; k.MinVersion != 0 || k.MaxVersion < 3 {
		t.Fatalf("ApiVersions served at v%d-%d", k.MinVersion, k.MaxVersion)
	}
}

// TestBadInputProduce: bad record sets are answered per partition, and a
// good partition in the same request still commits.
func TestBadInputProduce(t *testing.T) {
	n := badNode(t)
	addr := n.KafkaAddr()
	for _, version := range []int16{3, 7, 9, 12} {
		rc := dialRaw(t, addr)
		base0, _ := hwms(t, rc)
		resp := rc.roundTrip(produceReq(version, badTopic, 5000, map[int32][]byte{
			0: []byte("this is not a record batch at all, just bytes"),
			1: testBatch("good-1", "good-2"),
		}))
		res := produceResults(resp)
		if r := res[0]; r.code != kerr.CorruptMessage.Code {
			t.Fatalf("v%d garbage records: %v (%q), want CORRUPT_MESSAGE", version, kerr.ErrorForCode(r.code), r.msg)
		}
		if r := res[1]; r.code != 0 || r.baseOffset != base0[1] {
			t.Fatalf("v%d good partition beside a bad one: %v at offset %d, want success at %d", version, kerr.ErrorForCode(r.code), r.baseOffset, base0[1])
		}
		for _, c := range badRecordSets() {
			r := produceResults(rc.roundTrip(produceReq(version, badTopic, 5000, map[int32][]byte{0: c.recs})))[0]
			if !slices.Contains(c.codes, r.code) {
				t.Fatalf("v%d %s: %v (%q), want %v", version, c.name, kerr.ErrorForCode(r.code), r.msg, kerr.ErrorForCode(c.codes[0]))
			}
		}
		resp = rc.roundTrip(produceReq(version, badTopic, 5000, map[int32][]byte{99: testBatch("nowhere"), 1: testBatch("good-3")}))
		res = produceResults(resp)
		if r := res[99]; r.code != kerr.UnknownTopicOrPartition.Code {
			t.Fatalf("v%d partition 99: %v, want UNKNOWN_TOPIC_OR_PARTITION", version, kerr.ErrorForCode(r.code))
		}
		if r := res[1]; r.code != 0 {
			t.Fatalf("v%d good partition beside partition 99: %v", version, kerr.ErrorForCode(r.code))
		}
		after, raw := hwms(t, rc)
		if after[0] != base0[0] || after[1] != base0[1]+3 {
			t.Fatalf("v%d: high watermarks %v after, %v before; want partition 0 unchanged, partition 1 +3", version, after, base0)
		}
		var vals []string
		for _, b := range splitBatches(t, raw[1]) {
			if b.FirstOffset >= base0[1] {
				vals = append(vals, recordValues(t, b)...)
			}
		}
		if !slices.Equal(vals, []string{"good-1", "good-2", "good-3"}) {
			t.Fatalf("v%d partition 1 holds %q after the bad produces", version, vals)
		}
	}
	// Unknown topic: Produce does not create topics.
	rc := dialRaw(t, addr)
	resp := rc.roundTrip(produceReq(9, "no-such-topic", 5000, map[int32][]byte{0: testBatch("x")}))
	if len(resp.(*kmsg.ProduceResponse).Topics) != 1 {
		t.Fatalf("produce to an unknown topic: %d topics answered", len(resp.(*kmsg.ProduceResponse).Topics))
	}
	if r := produceResults(resp)[0]; r.code != kerr.UnknownTopicOrPartition.Code {
		t.Fatalf("produce to an unknown topic: %v, want UNKNOWN_TOPIC_OR_PARTITION", kerr.ErrorForCode(r.code))
	}
	expectServing(t, n)
}

// badRecordSets are record sets Kafka refuses (ProduceRequest.validateRecords,
// LogValidator), with the codes it answers.
func badRecordSets() []struct {
	name  string
	recs  []byte
	codes []int16
} {
	corrupt, invalid := []int16{kerr.CorruptMessage.Code}, []int16{kerr.InvalidRecord.Code}
	flipped := testBatch("flipped")
	flipped[18] ^= 0x40 // a CRC byte
	altered := testBatch("altered")
	altered[len(altered)-1] ^= 0x01 // a payload byte the CRC covers
	huge := testBatch("huge")
	binary.BigEndian.PutUint32(huge[8:], 0x7ffffff0) // batch length
	magic1 := testBatch("magic1")
	magic1[16] = 1
	return []struct {
		name  string
		recs  []byte
		codes []int16
	}{
		{"flipped CRC byte", flipped, corrupt},
		{"altered payload", altered, corrupt},
		{"batch length past the records", huge, corrupt},
		{"trailing bytes after the batch", append(testBatch("a"), 1, 2, 3), corrupt},
		{"no batch", []byte{}, invalid},
		{"two batches", append(testBatch("a"), testBatch("b")...), invalid},
		// Kafka answers INVALID_RECORD; Tributary UNSUPPORTED_FOR_MESSAGE_FORMAT
		// (reported); either way the batch is refused.
		{"magic 1", magic1, []int16{kerr.InvalidRecord.Code, kerr.UnsupportedForMessageFormat.Code}},
	}
}

// hwms fetches both partitions of badTopic: high watermarks and records.
func hwms(t *testing.T, rc *rawConn) (map[int32]int64, map[int32][]byte) {
	t.Helper()
	hw, raw := map[int32]int64{}, map[int32][]byte{}
	for p := range int32(2) {
		raw[p], hw[p] = rc.fetchRaw(badTopic, p)
	}
	return hw, raw
}

// recordValues decodes an uncompressed batch's record values.
func recordValues(t *testing.T, b kmsg.RecordBatch) []string {
	t.Helper()
	var out []string
	src := b.Records
	for range b.NumRecords {
		var r kmsg.Record
		n, ln := kbin.Varint(src)
		if ln == 0 || int(n)+ln > len(src) {
			t.Fatalf("record length %d at %d of %d bytes", n, ln, len(src))
		}
		if err := r.ReadFrom(src[:ln+int(n)]); err != nil {
			t.Fatalf("decode record: %v", err)
		}
		out = append(out, string(r.Value))
		src = src[ln+int(n):]
	}
	return out
}
