package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/tributary-io/tributary/node"
)

// TestGroupOffsetsExpire: with groups.offsets_retention at 1s, the offsets
// of a group nobody is in are removed by housekeeping; those of a group
// with a live member are kept however old.
func TestGroupOffsetsExpire(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	cfg.Groups.OffsetsRetention = time.Second
	cfg.Housekeeping.Interval = 200 * time.Millisecond
	cfg.Groups.InitialRebalanceDelay = 0
	nd := startNode(t, cfg, node.Hooks{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	cl, err := kgo.NewClient(kgo.SeedBrokers(nd.KafkaAddr()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	if _, err := adm.CreateTopic(ctx, 1, 1, nil, "expiry"); err != nil {
		t.Fatal(err)
	}
	// A live member in group "kept", committing once.
	member, err := kgo.NewClient(kgo.SeedBrokers(nd.KafkaAddr()), kgo.ConsumerGroup("kept"), kgo.ConsumeTopics("expiry"),
		kgo.DisableAutoCommit(), kgo.SessionTimeout(10*time.Second), kgo.HeartbeatInterval(200*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer member.Close()
	waitUntil(t, 30*time.Second, func() bool {
		d, err := adm.DescribeGroups(ctx, "kept")
		return err == nil && d["kept"].State == "Stable"
	})
	offs := kadm.Offsets{}
	offs.Add(kadm.Offset{Topic: "expiry", Partition: 0, At: 0})
	// "gone" has no members: a simple (admin) commit.
	if r, err := adm.CommitOffsets(ctx, "gone", offs); err != nil || r.Error() != nil {
		t.Fatalf("commit for the empty group: %v %v", err, r.Error())
	}
	var commitErr error
	member.CommitOffsetsSync(ctx, map[string]map[int32]kgo.EpochOffset{"expiry": {0: {Epoch: -1, Offset: 0}}},
		func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, _ *kmsg.OffsetCommitResponse, err error) {
			commitErr = err
		})
	if commitErr != nil {
		t.Fatalf("member commit: %v", commitErr)
	}
	fetch := func(group string) int {
		r, err := adm.FetchOffsets(ctx, group)
		if err != nil {
			t.Fatalf("fetch offsets of %s: %v", group, err)
		}
		n := 0
		r.Each(func(o kadm.OffsetResponse) {
			if o.Err == nil && o.At >= 0 {
				n++
			}
		})
		return n
	}
	if fetch("gone") != 1 || fetch("kept") != 1 {
		t.Fatalf("offsets not stored: gone %d kept %d", fetch("gone"), fetch("kept"))
	}
	waitUntil(t, 30*time.Second, func() bool { return fetch("gone") == 0 })
	// Well past the retention, the live group's offset is still there.
	time.Sleep(1500 * time.Millisecond)
	if n := fetch("kept"); n != 1 {
		t.Fatalf("the offsets of a group with a live member expired (%d left)", n)
	}
}

// waitUntil polls cond every 50ms until it holds, failing after d.
func waitUntil(t *testing.T, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %s", d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
