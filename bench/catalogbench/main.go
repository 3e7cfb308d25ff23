// Command catalogbench measures the built-in Iceberg REST catalog's
// commit path: latency (p50, p99) and commits per second with 1, 8 and
// 32 concurrent writers, all on one table and spread over 32 tables, on
// the embedded metadata store (bbolt, fsync on) and on Postgres (a
// throwaway server of internal/testpg, fsync on).
//
// A commit is POST /v1/namespaces/bench/tables/{t} with no requirement
// and one update, set-properties of the writer's own key (so the
// metadata keeps its size): the server reads the current metadata, writes
// the next metadata file to the warehouse (a local directory) and swaps
// the table's pointer in the store; a swap that loses a race is re-applied
// on the new metadata (commits that require nothing of each other all
// land), and 409 after the retry timeout counts as a failure. Each case
// runs for --duration; clients talk HTTP over loopback, in process.
//
//	go run ./bench/catalogbench
//	go run ./bench/catalogbench --duration 5s --stores bolt --writers 1,8
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tributary-io/tributary/catalog"
	"github.com/tributary-io/tributary/internal/metastore"
	"github.com/tributary-io/tributary/internal/metastore/boltstore"
	"github.com/tributary-io/tributary/internal/metastore/postgres"
	"github.com/tributary-io/tributary/internal/objstore"
	"github.com/tributary-io/tributary/internal/testpg"
)

type options struct {
	duration time.Duration
	writers  []int
	stores   []string
	tables   int
}

func main() {
	var o options
	var writers, stores string
	flag.DurationVar(&o.duration, "duration", 3*time.Second, "how long each case commits")
	flag.StringVar(&writers, "writers", "1,8,32", "concurrent writers per case")
	flag.StringVar(&stores, "stores", "bolt,postgres", "metadata stores to measure")
	flag.IntVar(&o.tables, "tables", 32, "tables of the spread cases")
	flag.Parse()
	for _, w := range strings.Split(writers, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(w))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "catalogbench: --writers %q: want positive numbers\n", writers)
			os.Exit(2)
		}
		o.writers = append(o.writers, n)
	}
	o.stores = strings.Split(stores, ",")
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "catalogbench:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	root, err := os.MkdirTemp("", "catalogbench-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(root) }()     // best effort: a leftover temporary directory harms nothing
	if err := os.Chmod(root, 0o755); err != nil { // the postgres user must reach its directory
		return err
	}
	fmt.Printf("catalogbench: set-properties commits, %s per case, %d cores\n", o.duration, runtime.NumCPU())
	fmt.Printf("%-9s %-10s %7s %9s %9s %9s %8s\n", "store", "tables", "writers", "p50", "p99", "commits/s", "failed")
	for _, name := range o.stores {
		kv, closeKV, err := openStore(strings.TrimSpace(name), filepath.Join(root, name))
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		err = measureStore(o, name, kv, filepath.Join(root, name+"-warehouse"))
		closeKV()
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

// openStore opens the named metadata store in dir.
func openStore(name, dir string) (metastore.KV, func(), error) {
	switch name {
	case "bolt":
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, nil, err
		}
		st, err := boltstore.Open(filepath.Join(dir, "meta.db"), boltstore.Options{})
		if err != nil {
			return nil, nil, err
		}
		return st, func() { _ = st.Close() }, nil // the run is over
	case "postgres":
		pg, err := testpg.Launch(dir)
		if err != nil {
			return nil, nil, err
		}
		st, err := postgres.Open(context.Background(), pg.DSN("postgres"), postgres.Options{})
		if err != nil {
			_ = pg.Close() // failing anyway
			return nil, nil, err
		}
		return st, func() { _ = st.Close(); _ = pg.Close() }, nil // the run is over
	}
	return nil, nil, fmt.Errorf("unknown store %q (bolt or postgres)", name)
}

// measureStore serves a catalog on kv and runs every case against it.
func measureStore(o options, name string, kv metastore.KV, warehouse string) error {
	objects, err := objstore.NewLocal(warehouse)
	if err != nil {
		return err
	}
	srv := catalog.New(kv, objects, catalog.Options{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	c := &client{base: ts.URL, hc: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 128}, Timeout: time.Minute}}
	if err := c.setup(o.tables); err != nil {
		return err
	}
	for _, spread := range []bool{false, true} {
		for _, w := range o.writers {
			r := c.measure(o.duration, w, spread, o.tables)
			layout := "1"
			if spread {
				layout = strconv.Itoa(o.tables)
			}
			fmt.Printf("%-9s %-10s %7d %9s %9s %9.0f %8d\n", name, layout, w,
				r.quantile(0.50).Round(10*time.Microsecond), r.quantile(0.99).Round(10*time.Microsecond), r.rate(), r.failed)
		}
	}
	return nil
}

// client makes the catalog requests.
type client struct {
	base string
	hc   *http.Client
}

// setup creates namespace bench and tables t0 … t<n-1>.
func (c *client) setup(n int) error {
	if err := c.post("/v1/namespaces", `{"namespace":["bench"]}`); err != nil {
		return err
	}
	for i := range n {
		body := fmt.Sprintf(`{"name":"t%d","schema":{"type":"struct","schema-id":0,"fields":[{"id":1,"name":"id","required":true,"type":"long"}]}}`, i)
		if err := c.post("/v1/namespaces/bench/tables", body); err != nil {
			return err
		}
	}
	return nil
}

func (c *client) post(path, body string) error {
	rsp, err := c.hc.Post(c.base+path, "application/json", strings.NewReader(body))
	if err != nil {
		return err
	}
	defer func() { _ = rsp.Body.Close() }() // read to the end below: nothing to report
	b, _ := io.ReadAll(rsp.Body)            // for the message only
	if rsp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST %s: %d %s", path, rsp.StatusCode, b)
	}
	return nil
}

// result is one case's latencies of the commits that landed.
type result struct {
	lat     []time.Duration
	failed  int
	elapsed time.Duration
}

func (r *result) quantile(q float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	return r.lat[min(len(r.lat)-1, int(q*float64(len(r.lat))))]
}

func (r *result) rate() float64 { return float64(len(r.lat)) / r.elapsed.Seconds() }

// measure runs writers goroutines committing for d, on table t0, or writer
// i on table t<i mod tables> when spread.
func (c *client) measure(d time.Duration, writers int, spread bool, tables int) *result {
	var mu sync.Mutex
	r := &result{}
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for w := range writers {
		tbl := "t0"
		if spread {
			tbl = fmt.Sprintf("t%d", w%tables)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			failed := 0
			for n := 0; time.Now().Before(deadline); n++ {
				body := fmt.Sprintf(`{"requirements":[],"updates":[{"action":"set-properties","updates":{"bench.w%d":"%d"}}]}`, w, n)
				t0 := time.Now()
				if err := c.post("/v1/namespaces/bench/tables/"+tbl, body); err != nil {
					failed++
					continue
				}
				lat = append(lat, time.Since(t0))
			}
			mu.Lock()
			r.lat = append(r.lat, lat...)
			r.failed += failed
			mu.Unlock()
		}()
	}
	wg.Wait()
	r.elapsed = time.Since(start)
	slices.Sort(r.lat)
	return r
}
