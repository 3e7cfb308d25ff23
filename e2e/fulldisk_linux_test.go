package e2e

import (
	"crypto/rand"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/tributary-io/tributary/internal/testdisk"
	"github.com/tributary-io/tributary/node"
)

// TestFullDiskDeleteTopicFreesSpace fills the real disk under a broker
// (a 24 MiB tmpfs holding its data dir, objects and meta.db alike) with
// produced records to the last byte. Then a produce is refused with a
// retriable KAFKA_STORAGE_ERROR saying "no space left on device";
// DeleteRecords and DeleteTopics still succeed; housekeeping deletes the
// topic's objects so space comes back; produce works again; and every
// acknowledged record of the surviving topic reads back, in order, once.
//
// Regression: DeleteTopics answered KAFKA_STORAGE_ERROR on a full disk
// ("write meta.db: no space left on device": bbolt's commit of the delete
// needed new pages), so space could not be freed through the Kafka API.
func TestFullDiskDeleteTopicFreesSpace(t *testing.T) {
	dir := testdisk.Mount(t, 24<<20)
	cfg := testConfig(t, dir)
	cfg.Housekeeping.Interval = 50 * time.Millisecond
	cfg.Housekeeping.DeadObjectGrace = 0
	cfg.Housekeeping.SegmentMinAge = time.Hour
	n := startNode(t, cfg, node.Hooks{})
	addr := n.KafkaAddr()
	ctx := ctxTimeout(t, 120*time.Second)
	adm := newAdmin(t, addr)
	for _, topic := range []string{"full-big", "full-kept", "full-trim"} {
		if r, err := adm.CreateTopic(ctx, 1, 1, nil, topic); err != nil || r.Err != nil {
			t.Fatalf("create %s: %v %v", topic, err, r.Err)
		}
	}
	cl := newClient(t, addr, kgo.RecordRetries(2), kgo.MetadataMinAge(50*time.Millisecond),
		kgo.RetryBackoffFn(func(int) time.Duration { return 10 * time.Millisecond }))
	for i := range 50 {
		produceValue(t, cl, "full-kept", numbered(i))
	}
	for i := range 20 {
		produceValue(t, cl, "full-trim", numbered(i))
	}

	// Fill: 4 KiB incompressible records until one fails, then the last
	// bytes with a file, so the disk is full to the byte.
	val := make([]byte, 4096)
	filled := false
	for i := 0; i < 20000 && !filled; i++ {
		rand.Read(val)
		filled = cl.ProduceSync(ctx, &kgo.Record{Topic: "full-big", Value: val}).FirstErr() != nil
	}
	if !filled {
		t.Fatal("20000 records of 4 KiB never filled a 24 MiB disk")
	}
	testdisk.Fill(t, dir, "filler")
	if free := testdisk.Free(t, dir); free != 0 {
		t.Fatalf("disk not full: %d bytes free", free)
	}
	t.Logf("disk full:\n%s", du(dir))

	rc := dialRaw(t, addr)
	r := produceResults(rc.roundTrip(produceReq(9, "full-kept", 10000, map[int32][]byte{0: testBatch(numbered(9999))})))[0]
	if r.code != kerr.KafkaStorageError.Code || !strings.Contains(r.msg, "no space left on device") {
		t.Fatalf("produce on a full disk: %v %q, want KAFKA_STORAGE_ERROR saying no space left on device", kerr.ErrorForCode(r.code), r.msg)
	}

	var offs kadm.Offsets
	offs.AddOffset("full-trim", 0, -1, -1)
	dr, err := adm.DeleteRecords(ctx, offs)
	if err != nil || dr.Error() != nil {
		t.Fatalf("DeleteRecords on a full disk: %v %v", err, dr.Error())
	}
	if got, _ := dr.Lookup("full-trim", 0); got.LowWatermark != 20 {
		t.Fatalf("DeleteRecords on a full disk: low watermark %d, want 20", got.LowWatermark)
	}
	del, err := adm.DeleteTopics(ctx, "full-big")
	if err != nil || del["full-big"].Err != nil {
		t.Fatalf("DeleteTopics on a full disk: %v %v (%s)", err, del["full-big"].Err, del["full-big"].ErrMessage)
	}

	// Housekeeping deletes the topic's objects: megabytes come back.
	for testdisk.Free(t, dir) < 4<<20 {
		if ctx.Err() != nil {
			t.Fatalf("space never freed after DeleteTopics: %d bytes free\n%s", testdisk.Free(t, dir), du(dir))
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("after DeleteTopics: %d bytes free", testdisk.Free(t, dir))

	for i := 50; i < 60; i++ {
		produceValue(t, cl, "full-kept", numbered(i))
	}
	got, hwm := readAll(t, addr, "full-kept")
	seen := checkLog(t, got, hwm)
	if len(seen) != 60 {
		t.Fatalf("full-kept holds %d records, want the 60 acknowledged", len(seen))
	}
	for i := range 60 {
		if _, ok := seen[i]; !ok {
			t.Fatalf("acknowledged record %d missing", i)
		}
	}
}

func produceValue(t *testing.T, cl *kgo.Client, topic, value string) {
	t.Helper()
	if err := cl.ProduceSync(t.Context(), &kgo.Record{Topic: topic, Value: []byte(value)}).FirstErr(); err != nil {
		t.Fatalf("produce %s to %s: %v", value, topic, err)
	}
}

// du describes the disk for failure messages.
func du(dir string) string {
	out, _ := exec.Command("du", "-a", "-d", "2", "--apparent-size", "-k", dir).CombinedOutput()
	df, _ := exec.Command("df", "-k", dir).CombinedOutput()
	return string(df) + string(out)
}
