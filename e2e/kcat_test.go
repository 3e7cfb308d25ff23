package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/tributary-io/tributary/node"
)

// kcat (librdkafka) against an in-process broker: produce keyed lines,
// consume them back in kcat's own format, and compare exactly with what
// franz-go reads; with the idempotent producer; with every codec; and
// the metadata listing.

const (
	kcatPartitions = 3
	kcatLines      = 300
)

// kcatPath finds kcat. Without it the tests skip, unless CI is set: CI
// must run them, so there a missing kcat fails.
func kcatPath(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("kcat")
	if err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("kcat not found with CI=%s: install it (Debian: apt-get install kcat): %v", os.Getenv("CI"), err)
	}
	t.Skipf("kcat not installed (Debian: apt-get install kcat); skipped outside CI: %v", err)
	return ""
}

// runKcat runs kcat with args and stdin; a non-zero exit fails t.
func runKcat(t *testing.T, kcat, stdin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, kcat, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("kcat %s: %v (context: %v)\nstderr:\n%s", strings.Join(args, " "), err, ctx.Err(), stderr.String())
	}
	return stdout.String()
}

func TestKcat(t *testing.T) {
	kcat := kcatPath(t)
	n := startNode(t, testConfig(t, t.TempDir()), node.Hooks{})
	addr := n.KafkaAddr()
	compresses := librdkafkaCompresses(t, kcat, addr)
	cases := []struct {
		name  string
		extra []string
		codec int8 // the codec the stored batches must carry (attributes & 7)
		idem  bool
	}{
		{"plain", nil, 0, false},
		{"idempotent", []string{"-X", "enable.idempotence=true"}, 0, true},
		{"gzip", []string{"-z", "gzip"}, 1, false},
		{"snappy", []string{"-z", "snappy"}, 2, false},
		{"lz4", []string{"-z", "lz4"}, 3, false},
		{"zstd", []string{"-z", "zstd", "-X", "enable.idempotence=true"}, 4, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			topic := kcatTopic(t, addr, "kcat-"+c.name)
			in := kcatInput()
			args := append([]string{"-P", "-b", addr, "-t", topic, "-K:"}, c.extra...)
			runKcat(t, kcat, in, args...)
			kcatConsumeCompare(t, kcat, addr, topic, in)
			codec := c.codec
			if !compresses(codec) {
				t.Logf("librdkafka sends codec %d uncompressed to this broker (see librdkafkaCompresses)", codec)
				codec = 0
			}
			checkBatches(t, addr, topic, codec, c.idem)
		})
	}
	// librdkafka's consumer decompresses every codec whatever it thinks of
	// the broker, so franz-go writes the batches and kcat reads them.
	codecs := []kgo.CompressionCodec{kgo.NoCompression(), kgo.GzipCompression(), kgo.SnappyCompression(), kgo.Lz4Compression(), kgo.ZstdCompression()}
	for codec, name := range []string{"none", "gzip", "snappy", "lz4", "zstd"} {
		cc := codecs[codec]
		t.Run("consume-"+name, func(t *testing.T) {
			topic := kcatTopic(t, addr, "kcat-consume-"+name)
			in := kcatInput()
			var recs []*kgo.Record
			for _, l := range strings.Split(strings.TrimSuffix(in, "\n"), "\n") {
				k, v, _ := strings.Cut(l, ":")
				recs = append(recs, &kgo.Record{Topic: topic, Key: []byte(k), Value: []byte(v)})
			}
			cl := newClient(t, addr, kgo.ProducerBatchCompression(cc))
			if err := cl.ProduceSync(ctxTimeout(t, 30*time.Second), recs...).FirstErr(); err != nil {
				t.Fatalf("franz-go produce: %v", err)
			}
			checkBatches(t, addr, topic, int8(codec), true)
			kcatConsumeCompare(t, kcat, addr, topic, in)
		})
	}
	t.Run("metadata", func(t *testing.T) { testKcatMetadata(t, kcat, addr) })
}

func kcatTopic(t *testing.T, addr, topic string) string {
	t.Helper()
	ctx := ctxTimeout(t, 30*time.Second)
	if _, err := newAdmin(t, addr).CreateTopic(ctx, kcatPartitions, 1, nil, topic); err != nil {
		t.Fatalf("create topic: %v", err)
	}
	return topic
}

// kcatInput is kcatLines "key:value" lines, keys repeating so that several
// land on each partition.
func kcatInput() string {
	var in strings.Builder
	for i := range kcatLines {
		fmt.Fprintf(&in, "key-%03d:value-%03d %s\n", i%40, i, strings.Repeat("x", i%17))
	}
	return in.String()
}

// kcatConsumeCompare consumes topic with kcat and asserts its lines are
// exactly what franz-go reads, and exactly the produced input in order.
func kcatConsumeCompare(t *testing.T, kcat, addr, topic, in string) {
	t.Helper()
	out := runKcat(t, kcat, "", "-C", "-b", addr, "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%p %o %k %s\n")
	got := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	want := kcatExpect(t, addr, topic)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("kcat consumed %d lines, franz-go %d; first difference:\n%s", len(got), len(want), firstDiff(got, want))
	}
	checkKcatOrder(t, got, in)
}

// librdkafkaCompresses reports whether this kcat's librdkafka will really
// compress with a codec against the broker at addr: it silently sends
// batches uncompressed when it thinks the broker too old for the codec.
//   - librdkafka before 2.11.1 asks for gzip, snappy and lz4 whether the
//     broker serves Produce in [0, 0] (rd_kafka_msgset_writer_select_
//     MsgVersion); Tributary, like Kafka 4 (KIP-896), serves Produce from v3.
//   - lz4 also needs the LZ4 feature, which librdkafka infers from
//     FindCoordinator v0 being advertised (rdkafka_feature.c).
//   - zstd needs Produce v7 and Fetch v10.
func librdkafkaCompresses(t *testing.T, kcat, addr string) func(codec int8) bool {
	t.Helper()
	m := regexp.MustCompile(`librdkafka (\d+)\.(\d+)\.(\d+)`).FindStringSubmatch(runKcat(t, kcat, "", "-V"))
	if m == nil {
		t.Fatalf("kcat -V names no librdkafka version")
	}
	var v [3]int
	for i := range v {
		v[i], _ = strconv.Atoi(m[i+1])
	}
	fixed := v[0] > 2 || v[0] == 2 && (v[1] > 11 || v[1] == 11 && v[2] >= 1)
	req := kmsg.NewPtrApiVersionsRequest()
	req.Version = 3
	resp := dialRaw(t, addr).roundTrip(req).(*kmsg.ApiVersionsResponse)
	served := map[int16]kmsg.ApiVersionsResponseApiKey{}
	for _, k := range resp.ApiKeys {
		served[k.ApiKey] = k
	}
	produce0 := served[0].MinVersion == 0
	_, findCoordinator := served[10]
	t.Logf("librdkafka %s.%s.%s; broker Produce v%d-%d, FindCoordinator served %v", m[1], m[2], m[3], served[0].MinVersion, served[0].MaxVersion, findCoordinator)
	return func(codec int8) bool {
		switch codec {
		case 1, 2:
			return fixed || produce0
		case 3:
			return (fixed || produce0) && findCoordinator
		}
		return true
	}
}

// kcatExpect reads topic with franz-go and formats it as kcat's
// "%p %o %k %s" lines, sorted.
func kcatExpect(t *testing.T, addr, topic string) []string {
	t.Helper()
	ctx := ctxTimeout(t, 30*time.Second)
	cons := newClient(t, addr, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	defer cons.Close()
	var lines []string
	for len(lines) < kcatLines {
		fs := cons.PollFetches(ctx)
		for _, e := range fs.Errors() {
			t.Fatalf("franz-go fetch %s[%d]: %v", e.Topic, e.Partition, e.Err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			lines = append(lines, fmt.Sprintf("%d %d %s %s", r.Partition, r.Offset, r.Key, r.Value))
		})
	}
	slices.Sort(lines)
	return lines
}

// checkKcatOrder asserts kcat's lines hold exactly the input lines, each
// key on one partition, offsets dense from 0 per partition and in input
// order along each partition.
func checkKcatOrder(t *testing.T, got []string, input string) {
	t.Helper()
	type rec struct {
		off      int64
		key, val string
	}
	byPart := map[int32][]rec{}
	keyPart := map[string]int32{}
	for _, l := range got {
		var p int32
		var r rec
		f := strings.SplitN(l, " ", 3)
		if len(f) != 3 {
			t.Fatalf("kcat line %q", l)
		}
		fmt.Sscan(f[0], &p)
		fmt.Sscan(f[1], &r.off)
		r.key, r.val, _ = strings.Cut(f[2], " ")
		if q, ok := keyPart[r.key]; ok && q != p {
			t.Fatalf("key %s on partitions %d and %d", r.key, q, p)
		}
		keyPart[r.key] = p
		byPart[p] = append(byPart[p], r)
	}
	order := map[string]int{} // "key value" -> input line number
	for i, l := range strings.Split(strings.TrimSuffix(input, "\n"), "\n") {
		k, v, _ := strings.Cut(l, ":")
		order[k+" "+v] = i
	}
	n := 0
	for p, rs := range byPart {
		slices.SortFunc(rs, func(a, b rec) int { return int(a.off - b.off) })
		for i, r := range rs {
			line, ok := order[r.key+" "+r.val]
			if r.off != int64(i) || !ok || (i > 0 && line <= order[rs[i-1].key+" "+rs[i-1].val]) {
				t.Fatalf("partition %d position %d: offset %d key %q value %q (known %v): not dense or not in produce order", p, i, r.off, r.key, r.val, ok)
			}
			n++
		}
	}
	if n != len(order) {
		t.Fatalf("%d records read, %d lines produced", n, len(order))
	}
}

// checkBatches fetches topic's stored batches raw and asserts each carries
// codec and, for the idempotent producer, a producer ID and sequences.
func checkBatches(t *testing.T, addr, topic string, codec int8, idem bool) {
	t.Helper()
	rc := dialRaw(t, addr)
	batches := 0
	for p := range int32(kcatPartitions) {
		raw, _ := rc.fetchRaw(topic, p)
		for _, b := range splitBatches(t, raw) {
			batches++
			if got := int8(b.Attributes & 7); got != codec {
				t.Fatalf("partition %d offset %d: batch codec %d, want %d", p, b.FirstOffset, got, codec)
			}
			if idem != (b.ProducerID >= 0 && b.FirstSequence >= 0) {
				t.Fatalf("partition %d offset %d: producer id %d sequence %d, idempotent %v", p, b.FirstOffset, b.ProducerID, b.FirstSequence, idem)
			}
		}
	}
	if batches == 0 {
		t.Fatalf("no stored batches")
	}
}

// kcatMetadata is the part of `kcat -L -J` the test checks.
type kcatMetadata struct {
	Brokers []struct {
		ID   int32  `json:"id"`
		Name string `json:"name"`
	} `json:"brokers"`
	Topics []struct {
		Topic      string `json:"topic"`
		Error      string `json:"error"`
		Partitions []struct {
			Partition int32  `json:"partition"`
			Leader    int32  `json:"leader"`
			Error     string `json:"error"`
			Replicas  []struct {
				ID int32 `json:"id"`
			} `json:"replicas"`
		} `json:"partitions"`
	} `json:"topics"`
}

func testKcatMetadata(t *testing.T, kcat, addr string) {
	ctx := ctxTimeout(t, 30*time.Second)
	adm := newAdmin(t, addr)
	if _, err := adm.CreateTopic(ctx, 5, 1, nil, "kcat-meta"); err != nil {
		t.Fatalf("create topic: %v", err)
	}
	if _, err := adm.CreateTopic(ctx, 1, 1, nil, "kcat-meta-1"); err != nil {
		t.Fatalf("create topic: %v", err)
	}
	var md kcatMetadata
	out := runKcat(t, kcat, "", "-L", "-J", "-b", addr)
	if err := json.Unmarshal([]byte(out), &md); err != nil {
		t.Fatalf("kcat -L -J output is not JSON: %v\n%s", err, out)
	}
	if len(md.Brokers) != 1 || md.Brokers[0].ID != 0 || md.Brokers[0].Name != addr {
		t.Fatalf("brokers %+v, want one, id 0 at %s", md.Brokers, addr)
	}
	parts := map[string]int{}
	for _, tp := range md.Topics {
		if tp.Error != "" {
			t.Fatalf("topic %s: error %s", tp.Topic, tp.Error)
		}
		for i, p := range tp.Partitions {
			if p.Partition != int32(i) || p.Leader != 0 || p.Error != "" || len(p.Replicas) != 1 || p.Replicas[0].ID != 0 {
				t.Fatalf("topic %s partition %d: %+v", tp.Topic, i, p)
			}
		}
		parts[tp.Topic] = len(tp.Partitions)
	}
	if parts["kcat-meta"] != 5 || parts["kcat-meta-1"] != 1 {
		t.Fatalf("topics listed with partition counts %v, want kcat-meta:5 and kcat-meta-1:1", parts)
	}
	// One topic asked for by name.
	out = runKcat(t, kcat, "", "-L", "-J", "-b", addr, "-t", "kcat-meta")
	md = kcatMetadata{}
	if err := json.Unmarshal([]byte(out), &md); err != nil {
		t.Fatalf("kcat -L -J -t output is not JSON: %v\n%s", err, out)
	}
	if len(md.Topics) != 1 || md.Topics[0].Topic != "kcat-meta" || len(md.Topics[0].Partitions) != 5 {
		t.Fatalf("kcat -L -t kcat-meta listed %+v", md.Topics)
	}
}

// firstDiff shows where two sorted line lists part.
func firstDiff(got, want []string) string {
	for i := range max(len(got), len(want)) {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			return fmt.Sprintf("line %d: kcat %q, franz-go %q", i, g, w)
		}
	}
	return "none"
}
