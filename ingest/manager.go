package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tributary-io/tributary/internal/metastore"
	"github.com/tributary-io/tributary/log/read"
	"github.com/tributary-io/tributary/schema/registryclient"
	"github.com/tributary-io/tributary/topicconfig"
)

// Options configure a Manager. Zero fields take the documented default.
type Options struct {
	Meta     metastore.Store // required
	Reader   *read.Reader    // required
	Catalogs *Catalogs       // required
	// Registry is the Confluent-compatible schema registry records'
	// schema ids refer to (the built-in one in process, or an external
	// one over HTTP); the node shares it with enforcement. Required.
	Registry *registryclient.Client
	// Holder names this broker in table leases (its instance id).
	Holder string // required
	Logger *slog.Logger

	// PollInterval is how often topics and their configs are read. 2s.
	PollInterval time.Duration
	// LeaseTTL is how long a table lease lives without renewal. 15s.
	LeaseTTL time.Duration
	// DefaultCommitInterval: topics without commit.freq.ms. 60s.
	DefaultCommitInterval time.Duration
	// MaxPipelineBytes is the buffer of one pipeline. 64 MiB.
	MaxPipelineBytes int64
	// MaxTotalBytes bounds the buffers of all pipelines together. 256 MiB.
	MaxTotalBytes int64
	// ReadBytes is the size of one log read. 1 MiB.
	ReadBytes int
	// Mem allocates Arrow buffers. memory.DefaultAllocator.
	Mem memory.Allocator
	// CommitAttempts and CommitBackoff tune iceberg.Options. 6, 200ms.
	CommitAttempts int
	CommitBackoff  time.Duration
	// Panics, when set, counts pipelines that panicked (and were
	// restarted); the node passes tributary_panics_total{where="ingest_pipeline"}.
	Panics interface{ Inc() }
}

func (o Options) withDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.PollInterval, 2*time.Second)
	def(&o.LeaseTTL, 15*time.Second)
	def(&o.DefaultCommitInterval, topicconfig.DefaultCommitInterval)
	if o.MaxPipelineBytes <= 0 {
		o.MaxPipelineBytes = 64 << 20
	}
	if o.MaxTotalBytes <= 0 {
		o.MaxTotalBytes = 256 << 20
	}
	if o.ReadBytes <= 0 {
		o.ReadBytes = 1 << 20
	}
	if o.Mem == nil {
		o.Mem = memory.DefaultAllocator
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return o
}

// Manager runs one pipeline per Iceberg topic. See the package doc.
type Manager struct {
	opts    Options
	schemas *schemas
	used    atomic.Int64 // bytes buffered by all pipelines

	mu      sync.Mutex
	running map[string]*running // by topic name
	stop    context.CancelFunc
	done    chan struct{}
}

type running struct {
	key    string // what the pipeline was started for; a change restarts it
	p      *pipeline
	cancel context.CancelFunc
	done   chan struct{}
}

// New checks opts and builds a Manager; Start runs it.
func New(opts Options) (*Manager, error) {
	opts = opts.withDefaults()
	if opts.Meta == nil || opts.Reader == nil || opts.Catalogs == nil || opts.Holder == "" {
		return nil, errors.New("ingest: Meta, Reader, Catalogs and Holder are required")
	}
	if opts.Registry == nil {
		return nil, errors.New("ingest: Registry is required")
	}
	return &Manager{opts: opts, schemas: newSchemas(opts.Registry), running: map[string]*running{}}, nil
}

// Start begins watching topics.
func (m *Manager) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	m.stop, m.done = cancel, make(chan struct{})
	go func() {
		defer close(m.done)
		m.loop(ctx)
	}()
}

// Stop stops every pipeline (uncommitted rows are dropped; the next
// start resumes from the tables) and waits for them.
func (m *Manager) Stop() {
	if m.stop == nil {
		return
	}
	m.stop()
	<-m.done
	m.mu.Lock()
	rs := slices.Collect(maps.Values(m.running))
	m.running = map[string]*running{}
	m.mu.Unlock()
	for _, r := range rs {
		r.cancel()
		<-r.done
	}
}

func (m *Manager) loop(ctx context.Context) {
	t := time.NewTicker(m.opts.PollInterval)
	defer t.Stop()
	for {
		if err := m.sync(ctx); err != nil && ctx.Err() == nil {
			m.opts.Logger.Warn("iceberg ingest: list topics", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// sync starts, restarts and stops pipelines to match the topics.
func (m *Manager) sync(ctx context.Context) error {
	topics, err := m.opts.Meta.Topics(ctx)
	if err != nil {
		return err
	}
	want := map[string]bool{}
	for _, tp := range topics {
		tc, ok, err := archiveOf(tp.Configs, m.opts.DefaultCommitInterval)
		if !ok {
			continue
		}
		want[tp.Name] = true
		key := fmt.Sprintf("%x/%d/%+v/%v", tp.ID, tp.Partitions, tc, err)
		m.mu.Lock()
		r := m.running[tp.Name]
		m.mu.Unlock()
		if r != nil && r.key == key {
			continue
		}
		if r != nil {
			m.stopOne(tp.Name)
		}
		m.startOne(tp, tc, err, key)
	}
	m.mu.Lock()
	var gone []string
	for name := range m.running {
		if !want[name] {
			gone = append(gone, name)
		}
	}
	m.mu.Unlock()
	for _, name := range gone {
		m.stopOne(name)
	}
	return nil
}

func (m *Manager) startOne(tp metastore.Topic, tc topicconfig.Archive, cfgErr error, key string) {
	ctx, cancel := context.WithCancel(context.Background())
	p := newPipeline(m, tp, tc)
	r := &running{key: key, p: p, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		if cfgErr != nil {
			p.setErr(cfgErr)
			<-ctx.Done()
			return
		}
		p.run(ctx)
	}()
	m.mu.Lock()
	m.running[tp.Name] = r
	m.mu.Unlock()
	attrs := []any{"topic", tp.Name, "catalog", tc.Catalog, "table", tc.Table, "interval", tc.CommitInterval}
	if cfgErr != nil {
		attrs = append(attrs, "config_err", cfgErr)
	}
	m.opts.Logger.Info("iceberg ingest: pipeline started", attrs...)
}

func (m *Manager) stopOne(name string) {
	m.mu.Lock()
	r := m.running[name]
	delete(m.running, name)
	m.mu.Unlock()
	if r == nil {
		return
	}
	r.cancel()
	<-r.done
	m.opts.Logger.Info("iceberg ingest: pipeline stopped", "topic", name)
}

// Status reports every Iceberg topic this broker knows, sorted by topic.
func (m *Manager) Status() []TableStatus {
	m.mu.Lock()
	ps := make([]*pipeline, 0, len(m.running))
	for _, r := range m.running {
		ps = append(ps, r.p)
	}
	m.mu.Unlock()
	out := make([]TableStatus, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.snapshot())
	}
	slices.SortFunc(out, func(a, b TableStatus) int {
		switch {
		case a.Topic < b.Topic:
			return -1
		case a.Topic > b.Topic:
			return 1
		}
		return 0
	})
	return out
}
