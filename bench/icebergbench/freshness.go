package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	icerest "github.com/apache/iceberg-go/catalog/rest"
	icetable "github.com/apache/iceberg-go/table"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/tributary-io/tributary/iceberg"
	"github.com/tributary-io/tributary/topicconfig"
)

// freshRun is one freshness measurement: a topic committing every
// interval (0: no commit.freq.ms, ingest's default), fed at rate records
// per second until its table has taken commits data commits.
type freshRun struct {
	name     string
	topic    string
	interval time.Duration
	commits  int
	rate     int
}

// ack is when a record was acknowledged, and where it landed.
type ack struct {
	part int32
	off  int64
	at   time.Time
}

// change is a poll that found the table's offsets moved: from then on a
// scan sees every record below them.
type change struct {
	at      time.Time
	offsets map[int32]int64
}

// freshness produces at a steady rate and polls the table until each
// record is visible, then prints p50/p99 of acknowledgement → visible.
// "Visible" is a REST LoadTable whose current snapshot carries offsets
// past the record (ingest's tributary.offsets summary): a scan of that
// snapshot returns the row, which a final scan checks.
func freshness(ctx context.Context, o options, kafkaAddr, catalogAddr string, schemaID int, value func(i int) []byte, r freshRun) error {
	table := "bench." + r.topic
	ident := icetable.Identifier{"bench", r.topic}
	cl, err := kgo.NewClient(kgo.SeedBrokers(kafkaAddr), kgo.DefaultProduceTopic(r.topic),
		kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerLinger(0))
	if err != nil {
		return err
	}
	defer cl.Close()
	configs := map[string]*string{topicconfig.ArchiveKind: ptr("ICEBERG"), topicconfig.ArchiveTable: &table}
	interval := topicconfig.DefaultCommitInterval
	if r.interval > 0 {
		interval = r.interval
		configs[topicconfig.CommitFreqMs] = ptr(strconv.FormatInt(r.interval.Milliseconds(), 10))
	}
	const partitions = 3
	if _, err := kadm.NewClient(cl).CreateTopic(ctx, partitions, 1, configs, r.topic); err != nil {
		return fmt.Errorf("create topic %s: %w", r.topic, err)
	}
	cat, err := icerest.NewCatalog(ctx, "bench", "http://"+catalogAddr)
	if err != nil {
		return err
	}
	if err := waitTable(ctx, cat, ident, 30*time.Second); err != nil {
		return err
	}

	fmt.Printf("\nfreshness, %s: commit interval %v, %d records/s over %d partitions until %d data commits (~%v) …\n",
		r.name, interval, r.rate, partitions, r.commits, time.Duration(r.commits)*interval)
	pollCtx, stopPoll := context.WithCancel(ctx)
	defer stopPoll()
	changes := make(chan []change, 1)
	go func() { changes <- pollOffsets(pollCtx, cat, ident, o.poll) }()

	started := time.Now()
	var mu sync.Mutex
	var acks []ack
	var failed error
	tick := time.NewTicker(time.Second / time.Duration(r.rate))
	deadline := time.Now().Add(time.Duration(r.commits+2)*interval + time.Minute)
	commits := func() int { return countCommits(cat, ident, ctx) }
	for i := 0; ; i++ {
		<-tick.C
		if i%r.rate == 0 && (commits() >= r.commits || time.Now().After(deadline)) {
			break
		}
		rec := &kgo.Record{Partition: int32(i % partitions), Value: value(i)}
		cl.Produce(ctx, rec, func(rec *kgo.Record, err error) {
			at := time.Now()
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed = errors.Join(failed, err)
				return
			}
			acks = append(acks, ack{rec.Partition, rec.Offset, at})
		})
	}
	tick.Stop()
	produced := time.Since(started)
	if err := cl.Flush(ctx); err != nil {
		return err
	}
	time.Sleep(2 * o.poll)
	stopPoll()
	seen := <-changes
	mu.Lock()
	defer mu.Unlock()
	if failed != nil {
		return fmt.Errorf("produce: %w", failed)
	}
	lat, pending := latencies(acks, seen)
	if len(lat) == 0 {
		return fmt.Errorf("%s: no record became visible", r.name)
	}
	rows, err := scanCheck(ctx, cat, ident)
	if err != nil {
		return err
	}
	want := int64(0)
	for _, off := range seen[len(seen)-1].offsets {
		want += off
	}
	if rows != want {
		return fmt.Errorf("%s: a scan returns %d rows, the snapshot's offsets say %d", r.name, rows, want)
	}
	slices.Sort(lat)
	pct := func(p int) time.Duration { return lat[min(len(lat)-1, len(lat)*p/100)] }
	fmt.Printf("  %d records in %v (%.0f/s), %d visible in %d data commits (%d acknowledged after the last, not counted); a scan returns exactly those %d rows\n",
		len(acks), produced.Round(time.Second), float64(len(acks))/produced.Seconds(), len(lat), len(seen), pending, rows)
	fmt.Printf("  acknowledgement → visible in a scan: p50 %v  p99 %v  max %v  (polling every %v)\n",
		pct(50).Round(time.Millisecond), pct(99).Round(time.Millisecond), lat[len(lat)-1].Round(time.Millisecond), o.poll)
	return nil
}

func ptr(s string) *string { return &s }

// waitTable waits until ingest's pipeline has created the table.
func waitTable(ctx context.Context, cat *icerest.Catalog, ident icetable.Identifier, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		if _, err := cat.LoadTable(ctx, ident); err == nil {
			return nil
		} else if time.Now().After(deadline) {
			return fmt.Errorf("table %v not created after %v: %w", ident, d, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// pollOffsets loads the table every d until ctx ends and returns each
// poll that found new offsets, stamped when its answer arrived.
func pollOffsets(ctx context.Context, cat *icerest.Catalog, ident icetable.Identifier, d time.Duration) []change {
	var out []change
	var last string
	for ctx.Err() == nil {
		tbl, err := cat.LoadTable(ctx, ident)
		at := time.Now()
		if err == nil {
			if v := offsetsProp(tbl); v != "" && v != last {
				var m map[int32]int64
				if json.Unmarshal([]byte(v), &m) == nil {
					out = append(out, change{at: at, offsets: m})
					last = v
				}
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(d):
		}
	}
	return out
}

// offsetsProp is the current snapshot's tributary.offsets, "" if none.
func offsetsProp(tbl *icetable.Table) string {
	if s := tbl.CurrentSnapshot(); s != nil && s.Summary != nil {
		return s.Summary.Properties[iceberg.PropOffsets]
	}
	return ""
}

// countCommits is how many snapshots of the table carry offsets.
func countCommits(cat *icerest.Catalog, ident icetable.Identifier, ctx context.Context) int {
	tbl, err := cat.LoadTable(ctx, ident)
	if err != nil {
		return 0
	}
	n := 0
	for _, s := range tbl.Metadata().Snapshots() {
		if s.Summary != nil && s.Summary.Properties[iceberg.PropOffsets] != "" {
			n++
		}
	}
	return n
}

// latencies is, for each acknowledged record that a poll saw visible,
// the time from its acknowledgement to that poll; pending counts those
// no poll saw.
func latencies(acks []ack, seen []change) (lat []time.Duration, pending int) {
	for _, a := range acks {
		i := sort.Search(len(seen), func(i int) bool { return seen[i].offsets[a.part] > a.off })
		if i == len(seen) {
			pending++
			continue
		}
		lat = append(lat, max(0, seen[i].at.Sub(a.at)))
	}
	return lat, pending
}

// scanCheck scans the table's kafka column and returns its row count,
// failing on a (partition, offset) seen twice.
func scanCheck(ctx context.Context, cat *icerest.Catalog, ident icetable.Identifier) (int64, error) {
	tbl, err := cat.LoadTable(ctx, ident)
	if err != nil {
		return 0, err
	}
	out, err := tbl.Scan(icetable.WithSelectedFields("kafka.partition", "kafka.offset")).ToArrowTable(ctx)
	if err != nil {
		return 0, fmt.Errorf("scan %v: %w", ident, err)
	}
	defer out.Release()
	seen := map[[2]int64]bool{}
	for _, chunk := range out.Column(0).Data().Chunks() {
		st := chunk.(*array.Struct)
		parts, offs := st.Field(0).(*array.Int32), st.Field(1).(*array.Int64)
		for i := range st.Len() {
			k := [2]int64{int64(parts.Value(i)), offs.Value(i)}
			if seen[k] {
				return 0, fmt.Errorf("scan %v: row %d/%d twice", ident, k[0], k[1])
			}
			seen[k] = true
		}
	}
	return out.NumRows(), nil
}
