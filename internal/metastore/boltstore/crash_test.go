package boltstore_test

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/tributary-io/tributary/internal/metastore"
)

// The crash test re-executes this test binary as a child that appends in a
// loop, printing each acknowledged batch, and kills it with SIGKILL at a
// random point. This checks process crashes (the page cache survives);
// machine crashes rely on bbolt's fsync, which the kernel does not let a
// test interrupt.
const (
	crashEnvPath  = "TRIBUTARY_BOLTSTORE_CRASH_PATH"
	crashEnvRound = "TRIBUTARY_BOLTSTORE_CRASH_ROUND"
	crashPID      = 42 // the child's idempotent producer
	crashParts    = 3
)

// TestCrashChild is the child process of TestCrashDuringAppends; run alone
// it skips. Sequences of producer crashPID equal offsets (it is the only
// writer), so the child resumes them from HighWater.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashEnvPath)
	if path == "" {
		t.Skip("helper process of TestCrashDuringAppends")
	}
	s := openStore(t, path)
	topic, err := s.Topic(t.Context(), "t")
	if err != nil {
		t.Fatal(err)
	}
	round := os.Getenv(crashEnvRound)
	for i := 0; ; i++ {
		var batches []metastore.AppendBatch
		for p := range int32(crashParts) {
			pk := metastore.PartitionKey{Topic: topic.ID, Partition: p}
			st, err := s.Partition(t.Context(), pk)
			if err != nil {
				t.Fatal(err)
			}
			batches = append(batches, metastore.AppendBatch{
				Partition: pk, Pos: int64(p) * 10, Size: 10, NumRecords: 1 + int32(i+int(p))%3,
				ProducerID: crashPID, BaseSequence: int32(st.HighWater),
			})
		}
		key := fmt.Sprintf("r%s/%06d", round, i)
		res, err := s.Append(t.Context(), metastore.ObjectRef{Key: key, Size: 30}, batches)
		if err != nil {
			t.Fatal(err)
		}
		for j, r := range res {
			if r.Err != nil || r.Duplicate {
				t.Fatalf("append %s batch %d: %+v", key, j, r)
			}
			fmt.Printf("ack %s %d %d %d\n", key, j, r.BaseOffset, batches[j].NumRecords)
		}
	}
}

// ack is one batch the child saw acknowledged.
type ack struct {
	key       string
	partition int32
	base      int64
	n         int32
}

func TestCrashDuringAppends(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("needs SIGKILL")
	}
	path := filepath.Join(t.TempDir(), "meta.db")
	s := openStore(t, path)
	topic, err := s.CreateTopic(t.Context(), metastore.TopicSpec{Name: "t", Partitions: crashParts})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()

	var acks []ack
	from := make([]int64, crashParts) // HighWater before the round
	for round := range 4 {
		roundAcks := runCrashChild(t, path, round, 20+rand.IntN(200))
		acks = append(acks, roundAcks...)
		from = checkAfterCrash(t, path, topic.ID, acks, roundAcks, from)
	}
}

// runCrashChild runs the child until it has acknowledged killAfter
// batches, kills it, and returns every acknowledgement it printed.
func runCrashChild(t *testing.T, path string, round, killAfter int) []ack {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnvPath+"="+path, crashEnvRound+"="+strconv.Itoa(round))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var acks []ack
	killed := false
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		a, ok := parseAck(t, sc.Text())
		if !ok {
			continue
		}
		acks = append(acks, a)
		if len(acks) >= killAfter && !killed {
			cmd.Process.Kill() // SIGKILL; lines already in the pipe still count
			killed = true
		}
	}
	err = cmd.Wait()
	if !killed {
		t.Fatalf("child exited after %d acks: %v", len(acks), err)
	}
	t.Logf("round %d: child killed after %d acknowledged batches", round, len(acks))
	return acks
}

func parseAck(t *testing.T, line string) (ack, bool) {
	f := strings.Fields(line)
	if len(f) != 5 || f[0] != "ack" {
		return ack{}, false
	}
	p, err1 := strconv.ParseInt(f[2], 10, 32)
	base, err2 := strconv.ParseInt(f[3], 10, 64)
	n, err3 := strconv.ParseInt(f[4], 10, 32)
	if err1 != nil || err2 != nil || err3 != nil {
		t.Fatalf("bad ack line %q", line)
	}
	return ack{f[1], int32(p), base, int32(n)}, true
}

// checkAfterCrash reopens the store and checks that it is consistent and
// holds every acknowledged batch: each partition's index is dense from 0
// to HighWater and holds each ack where it was acknowledged; past from,
// the HighWater before the round, it holds the round's acks and at most
// one Append more (the one in flight); the producer state agrees. It
// returns the HighWaters after its own check appends.
func checkAfterCrash(t *testing.T, path string, id metastore.TopicID, acks, roundAcks []ack, from []int64) []int64 {
	t.Helper()
	s := openStore(t, path)
	defer s.Close()
	ctx := t.Context()
	for p := range int32(crashParts) {
		pk := metastore.PartitionKey{Topic: id, Partition: p}
		entries, st, err := s.ReadIndex(ctx, pk, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		byBase := checkDenseEntries(t, pk, entries, st)
		for _, a := range acks {
			e, ok := byBase[a.base]
			if a.partition == p && (!ok || e.ObjectKey != a.key || e.LastOffset != a.base+int64(a.n)-1) {
				t.Fatalf("%v: acknowledged %+v, index has %+v", pk, a, e)
			}
		}
		roundEntries, roundN := 0, 0
		for _, e := range entries {
			if e.BaseOffset >= from[p] {
				roundEntries++
			}
		}
		for _, a := range roundAcks {
			if a.partition == p {
				roundN++
			}
		}
		if extra := roundEntries - roundN; extra != 0 && extra != 1 {
			t.Fatalf("%v: %d new entries for %d acknowledged batches", pk, roundEntries, roundN)
		}
		checkProducerAfterCrash(t, s, pk, entries[len(entries)-1], st.HighWater)
		from[p] = st.HighWater + 1
	}
	known, err := s.KnownObjects(ctx, []string{acks[len(acks)-1].key})
	if err != nil || !known[acks[len(acks)-1].key] {
		t.Fatalf("last acknowledged object unknown: %v, %v", known, err)
	}
	return from
}

func checkDenseEntries(t *testing.T, pk metastore.PartitionKey, entries []metastore.IndexEntry, st metastore.PartitionState) map[int64]metastore.IndexEntry {
	t.Helper()
	byBase := map[int64]metastore.IndexEntry{}
	next, bytes := int64(0), int64(0)
	for _, e := range entries {
		if e.BaseOffset != next {
			t.Fatalf("%v: entry at %d, expected %d", pk, e.BaseOffset, next)
		}
		byBase[e.BaseOffset] = e
		next, bytes = e.LastOffset+1, bytes+e.Size
	}
	if next != st.HighWater || bytes != st.Bytes || st.LogStart != 0 {
		t.Fatalf("%v: entries end at %d with %d bytes; state %+v", pk, next, bytes, st)
	}
	return byBase
}

// checkProducerAfterCrash checks that the producer state committed with
// the index: a retry of the last entry is a duplicate, and the sequence
// after it is accepted. (The write is left in the store; the child
// resumes sequences from HighWater.)
func checkProducerAfterCrash(t *testing.T, s metastore.Store, pk metastore.PartitionKey, last metastore.IndexEntry, hw int64) {
	t.Helper()
	retry := metastore.AppendBatch{
		Partition: pk, Size: 1, NumRecords: int32(last.LastOffset - last.BaseOffset + 1),
		ProducerID: crashPID, BaseSequence: int32(last.BaseOffset),
	}
	next := metastore.AppendBatch{Partition: pk, Size: 1, NumRecords: 1, ProducerID: crashPID, BaseSequence: int32(hw)}
	key := fmt.Sprintf("check/%v/%d", pk, hw)
	res, err := s.Append(t.Context(), metastore.ObjectRef{Key: key, Size: 1}, []metastore.AppendBatch{retry, next})
	if err != nil {
		t.Fatal(err)
	}
	if !res[0].Duplicate || res[0].BaseOffset != last.BaseOffset {
		t.Fatalf("%v: retry of last entry: %+v", pk, res[0])
	}
	if res[1].Err != nil || res[1].BaseOffset != hw {
		t.Fatalf("%v: next sequence: %+v", pk, res[1])
	}
}
