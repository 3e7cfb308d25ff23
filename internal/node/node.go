// Package node assembles one running Tributary broker from a config: the
// stores, the write and read paths, the Kafka listener, the admin server
// and the background jobs. cmd/tributary and the end-to-end tests start
// brokers through it, so both run exactly the same wiring.
//
// Start order: stores, read path, write path, Kafka listener, admin (ready
// from then on). Close runs it backwards: stop accepting and drain the
// Kafka connections (every started request is answered), flush and stop
// the write path, stop background jobs, close the stores.
package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/tributary-io/tributary/broker"
	"github.com/tributary-io/tributary/broker/fetch"
	"github.com/tributary-io/tributary/broker/housekeeping"
	"github.com/tributary-io/tributary/broker/produce"
	"github.com/tributary-io/tributary/config"
	"github.com/tributary-io/tributary/internal/admin"
	"github.com/tributary-io/tributary/internal/metastore"
	"github.com/tributary-io/tributary/internal/metastore/boltstore"
	"github.com/tributary-io/tributary/internal/metrics"
	"github.com/tributary-io/tributary/internal/objstore"
)

// Node is one running broker.
type Node struct {
	cfg     config.Config
	log     *slog.Logger
	Metrics *metrics.Metrics
	Meta    metastore.Store
	Objects objstore.Store
	writer  *produce.Writer
	reader  *fetch.Reader
	kafka   *broker.Server
	house   *housekeeping.Housekeeper
	admin   *admin.Server
	ready   atomic.Bool
	closers []func() error
}

// Hooks let tests wrap the stores (fault injection) before the node uses
// them. Nil fields leave the store as opened.
type Hooks struct {
	WrapObjects func(objstore.Store) objstore.Store
	WrapMeta    func(metastore.Store) metastore.Store
}

// Start validates cfg, opens the stores and starts serving.
func Start(cfg config.Config, log *slog.Logger, hooks Hooks) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	n := &Node{cfg: cfg, log: log, Metrics: metrics.New()}
	if err := n.openStores(hooks); err != nil {
		n.closeAll()
		return nil, err
	}
	if err := n.startServers(); err != nil {
		n.Close(context.Background())
		return nil, err
	}
	n.ready.Store(true)
	log.Info("tributary ready", "kafka", n.kafka.Addr().String(), "admin", n.admin.Addr(), "data_dir", cfg.DataDir)
	return n, nil
}

func (n *Node) openStores(hooks Hooks) error {
	if err := os.MkdirAll(n.cfg.DataDir, 0o755); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	local, err := objstore.NewLocal(n.cfg.ObjectDir())
	if err != nil {
		return fmt.Errorf("open object store: %w", err)
	}
	obj, err := wrapCrashHook(local) // test-only, off unless its env var is set
	if err != nil {
		return err
	}
	if hooks.WrapObjects != nil {
		obj = hooks.WrapObjects(obj)
	}
	n.Objects = metrics.ObjectStore(n.Metrics, obj)
	n.closers = append(n.closers, n.Objects.Close)
	bolt, err := boltstore.Open(filepath.Join(n.cfg.DataDir, "meta.db"), boltstore.Options{})
	if err != nil {
		return fmt.Errorf("open metadata store: %w", err)
	}
	var meta metastore.Store = bolt
	if hooks.WrapMeta != nil {
		meta = hooks.WrapMeta(meta)
	}
	n.Meta = metrics.MetaStore(n.Metrics, meta)
	n.closers = append(n.closers, n.Meta.Close)
	return nil
}

func (n *Node) startServers() error {
	c := n.cfg
	n.reader = fetch.NewReader(fetch.Config{CacheBytes: int64(c.Fetch.CacheBytes)}, n.Meta, n.Objects)
	n.writer = produce.NewWriter(produce.Config{
		Linger: c.Intake.Linger, MaxBytes: int(c.Intake.MaxBytes),
		MaxBufferedBytes: int64(c.Intake.MaxBufferedBytes), NodeID: c.Kafka.BrokerID,
	}, n.Objects, n.Meta, produce.Hooks{
		OnCommit:   n.reader.OnCommit,
		OnFlushed:  n.reader.OnFlushed,
		OnBuffered: func(b int64) { n.Metrics.IntakeBufferBytes.Set(float64(b)) },
	}, n.log)
	l := c.Kafka.Listeners[0]
	n.kafka = broker.New(broker.Options{
		ListenAddr: l.ListenAddress, AdvertiseAddr: l.AdvertiseAddress,
		NodeID: c.Kafka.BrokerID, ClusterID: c.Name,
		AutoCreateTopics: c.Kafka.AutoCreateTopics, DefaultPartitions: c.Kafka.DefaultPartitions,
		MaxRequestBytes: int32(c.Kafka.MaxRequestBytes),
	}, n.log, n.Meta, n.writer, n.reader, n.Metrics)
	if err := n.kafka.Start(); err != nil {
		return err
	}
	house, err := housekeeping.New(housekeeping.Options{
		Config: c.Housekeeping, Logger: n.log, Registerer: n.Metrics.Registry,
	}, n.Meta, n.Objects)
	if err != nil {
		return err
	}
	n.house = house
	n.house.Start()
	n.admin = admin.New(c.Admin.ListenAddress, n.Metrics.Registry, n.readyErr)
	return n.admin.Start()
}

func (n *Node) readyErr() error {
	if !n.ready.Load() {
		return errors.New("starting or stopping")
	}
	return nil
}

// KafkaAddr is the bound Kafka address.
func (n *Node) KafkaAddr() string { return n.kafka.Addr().String() }

// AdminAddr is the bound admin address.
func (n *Node) AdminAddr() string { return n.admin.Addr() }

// Close drains and stops the node; see the package doc for the order. The
// write path is always flushed, even when draining runs out of time.
func (n *Node) Close(ctx context.Context) error {
	n.ready.Store(false)
	var errs []error
	if n.kafka != nil {
		errs = append(errs, n.kafka.Shutdown(ctx))
	}
	if n.writer != nil {
		errs = append(errs, n.writer.Close())
	}
	if n.house != nil {
		n.house.Stop()
	}
	if n.admin != nil {
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		errs = append(errs, n.admin.Shutdown(sctx))
		cancel()
	}
	errs = append(errs, n.closeAll())
	return errors.Join(errs...)
}

func (n *Node) closeAll() error {
	var errs []error
	for i := len(n.closers) - 1; i >= 0; i-- {
		errs = append(errs, n.closers[i]())
	}
	n.closers = nil
	return errors.Join(errs...)
}
