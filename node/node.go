// Package node assembles one running Tributary broker from a config: the
// stores, the write and read paths, the Kafka listener, the admin server
// and the background jobs. cmd/tributary and the end-to-end tests start
// brokers through it, so both run exactly the same wiring.
//
// Stores: the metadata store is Postgres when metadata.postgres is set,
// else the embedded bbolt file under data_dir; the object store is S3 when
// data.s3 is set, else a directory under data_dir. Several nodes on one
// Postgres and one bucket form a cluster.
//
// Start order: stores, Kafka listener bound, cluster membership (with the
// bound address), read and write paths, Kafka serving, background jobs,
// admin, registry, catalog, Iceberg ingest (ready from then on). Close runs it backwards: stop accepting and
// drain the Kafka connections (every started request is answered), flush
// and stop the write path, stop background jobs, leave the cluster, close
// the stores.
package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tributary-io/tributary/broker"
	"github.com/tributary-io/tributary/broker/enforce"
	"github.com/tributary-io/tributary/broker/group"
	"github.com/tributary-io/tributary/broker/membership"
	"github.com/tributary-io/tributary/catalog"
	"github.com/tributary-io/tributary/config"
	"github.com/tributary-io/tributary/ingest"
	"github.com/tributary-io/tributary/internal/admin"
	"github.com/tributary-io/tributary/internal/httpauth"
	"github.com/tributary-io/tributary/internal/jwtauth"
	"github.com/tributary-io/tributary/internal/membudget"
	"github.com/tributary-io/tributary/internal/metastore"
	"github.com/tributary-io/tributary/internal/metastore/boltstore"
	"github.com/tributary-io/tributary/internal/metastore/postgres"
	"github.com/tributary-io/tributary/internal/metrics"
	"github.com/tributary-io/tributary/internal/objstore"
	"github.com/tributary-io/tributary/internal/objstore/s3store"
	"github.com/tributary-io/tributary/internal/statuspage"
	"github.com/tributary-io/tributary/log/housekeeping"
	"github.com/tributary-io/tributary/log/intake"
	"github.com/tributary-io/tributary/log/read"
	"github.com/tributary-io/tributary/maintenance"
	"github.com/tributary-io/tributary/registry"
	"github.com/tributary-io/tributary/schema/registryclient"
	"github.com/tributary-io/tributary/topicconfig"
)

// openTimeout bounds connecting to the stores at start.
const openTimeout = 30 * time.Second

// Node is one running broker.
type Node struct {
	cfg     config.Config
	log     *slog.Logger
	Metrics *metrics.Metrics
	Meta    metastore.Store
	Objects objstore.Store
	writer  *intake.Writer
	reader  *read.Reader
	kafka   *broker.Server
	members *membership.Membership
	bgCtx   context.Context
	bgStop  context.CancelFunc // stops membership heartbeats and remote polling
	bgDone  sync.WaitGroup
	house   *housekeeping.Housekeeper
	admin   *admin.Server
	reg     *registry.Server // nil: an external registry, or the default port was taken
	regSrv  *registry.Server // the built-in registry, bound or not; nil: an external one
	schemas *registryclient.Client
	enf     *enforce.Enforcer
	cat     *catalog.Server // nil: the default port was taken
	catSrv  *catalog.Server // the built-in catalog, bound or not
	ingest  *ingest.Manager
	maint   *maintenance.Runner
	noHTTP  bool // Hooks.NoHTTPListeners
	ready   atomic.Bool
	closers []func() error
	mem     membudget.Plan
	// guard secures the registry, catalog and admin (nil: open); issuer
	// signs the catalog's tokens under http_auth (nil without).
	guard  *httpauth.Guard
	issuer *jwtauth.Issuer
}

// memoryPlan sizes the fetch cache, the queued request bytes and the
// intake buffer from available_memory_bytes (or the detected budget);
// a key set to a size of its own keeps it.
func memoryPlan(c config.Config) membudget.Plan {
	budget := int64(c.AvailableMemoryBytes)
	if budget == 0 {
		budget = membudget.Detect()
	}
	p := membudget.NewPlan(budget, int64(c.Intake.MaxBytes))
	if c.Fetch.CacheBytes > 0 {
		p.FetchCache = int64(c.Fetch.CacheBytes)
	}
	if c.Kafka.QueuedMaxRequestBytes > 0 {
		p.QueuedRequests = int64(c.Kafka.QueuedMaxRequestBytes)
	}
	if c.Intake.MaxBufferedBytes > 0 {
		p.IntakeBuffer = int64(c.Intake.MaxBufferedBytes)
	}
	return p
}

// Memory is the node's memory plan: its budget and what each holder of
// memory got from it. The Go runtime's limit is the process's to set
// (cmd/tributary serve does), since tests run many nodes in one process.
func (n *Node) Memory() membudget.Plan { return n.mem }

// Hooks let tests wrap the stores (fault injection) before the node uses
// them. Nil fields leave the store as opened.
type Hooks struct {
	WrapObjects func(objstore.Store) objstore.Store
	WrapMeta    func(metastore.Store) metastore.Store
	// NoHTTPListeners binds neither the registry's nor the catalog's
	// listener, as when another broker on this host holds their default
	// ports: enforcement and ingest still reach both in process.
	NoHTTPListeners bool
}

// Start validates cfg, opens the stores and starts serving.
func Start(cfg config.Config, log *slog.Logger, hooks Hooks) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	n := &Node{cfg: cfg, log: log, Metrics: metrics.New(), noHTTP: hooks.NoHTTPListeners, mem: memoryPlan(cfg)}
	if err := n.openStores(hooks); err != nil {
		if cerr := n.closeAll(); cerr != nil {
			log.Warn("close stores after a failed start", "err", cerr)
		}
		return nil, err
	}
	if err := n.startServers(); err != nil {
		if cerr := n.Close(context.Background()); cerr != nil {
			log.Warn("close after a failed start", "err", cerr)
		}
		return nil, err
	}
	n.ready.Store(true)
	log.Info("tributary ready", "node_id", n.members.Self().NodeID, "kafka", n.kafka.Addr().String(), "admin", n.admin.Addr(),
		"schema_registry", n.RegistryAddr(), "iceberg_catalog", n.CatalogAddr(),
		"metadata", n.describeMeta(), "objects", n.describeObjects(),
		"memory_budget", n.mem.Budget, "fetch_cache", n.mem.FetchCache, "queued_request_bytes", n.mem.QueuedRequests,
		"intake_buffer", n.mem.IntakeBuffer, "intake_linger", cfg.Intake.LingerFor(cfg.Data))
	return n, nil
}

func (n *Node) openStores(hooks Hooks) error {
	if err := os.MkdirAll(n.cfg.DataDir, 0o755); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), openTimeout)
	defer cancel()
	base, err := n.openObjects(ctx)
	if err != nil {
		return fmt.Errorf("open object store: %w", err)
	}
	obj, err := wrapCrashHook(base) // test-only, off unless its env var is set
	if err != nil {
		return err
	}
	if hooks.WrapObjects != nil {
		obj = hooks.WrapObjects(obj)
	}
	n.Objects = metrics.ObjectStore(n.Metrics, obj)
	n.closers = append(n.closers, n.Objects.Close)
	meta, err := n.openMeta(ctx)
	if err != nil {
		return fmt.Errorf("open metadata store: %w", err)
	}
	if hooks.WrapMeta != nil {
		meta = hooks.WrapMeta(meta)
	}
	n.Meta = metrics.MetaStore(n.Metrics, meta)
	n.closers = append(n.closers, n.Meta.Close)
	return nil
}

// openObjects opens S3 when data.s3 is configured, else the local directory.
func (n *Node) openObjects(ctx context.Context) (objstore.Store, error) {
	return n.openObjectsAt(ctx, n.cfg.ObjectDir(), "")
}

// openObjectsAt opens the local directory dir, or with data.s3 the bucket
// under data.s3's prefix followed by sub.
func (n *Node) openObjectsAt(ctx context.Context, dir, sub string) (objstore.Store, error) {
	c := n.cfg.Data.S3
	if c == nil {
		return objstore.NewLocal(dir)
	}
	return n.openS3(ctx, c.Prefix+sub)
}

// openS3 opens data.s3's bucket under prefix (from the bucket's root).
func (n *Node) openS3(ctx context.Context, prefix string) (objstore.Store, error) {
	opts, err := s3Options(n.cfg.Data.S3, "")
	opts.Prefix = prefix
	if err != nil {
		return nil, err
	}
	st, err := s3store.New(ctx, opts)
	if err != nil {
		return nil, err
	}
	if err := st.Check(ctx); err != nil {
		_ = st.Close() // the failed check is the error to report
		return nil, err
	}
	return st, nil
}

// s3Options are the log's store options for data.s3, under its prefix
// followed by sub.
func s3Options(c *config.S3, sub string) (s3store.Options, error) {
	opts := s3store.Options{Bucket: c.Bucket, Prefix: c.Prefix + sub, Region: c.Region, Endpoint: c.Endpoint,
		ForcePathStyle: c.ForcePathStyle, Timeout: c.Timeout}
	var err error
	if opts.AccessKeyID, err = resolve(c.AccessKeyID, "data.s3.access_key_id"); err != nil {
		return s3store.Options{}, err
	}
	if opts.SecretAccessKey, err = resolve(c.SecretAccessKey, "data.s3.secret_access_key"); err != nil {
		return s3store.Options{}, err
	}
	return opts, nil
}

// openMeta opens Postgres when metadata.postgres is configured, else the
// embedded store.
func (n *Node) openMeta(ctx context.Context) (metastore.Store, error) {
	c := n.cfg.Metadata.Postgres
	if c == nil {
		return boltstore.Open(filepath.Join(n.cfg.DataDir, "meta.db"), boltstore.Options{})
	}
	dsn, err := resolve(c.DSN, "metadata.postgres.dsn")
	if err != nil {
		return nil, err
	}
	return postgres.Open(ctx, dsn, postgres.Options{MaxConns: c.MaxConnections})
}

// resolve reads a secret; a zero source is the empty string.
func resolve(ds config.DataSource, key string) (string, error) {
	if ds.IsZero() {
		return "", nil
	}
	b, err := ds.Resolve()
	if err != nil {
		return "", fmt.Errorf("%s: %w", key, err)
	}
	return string(b), nil
}

// catalogNames are the names of the config's Iceberg catalogs, which
// topics may name in bufstream.archive.iceberg.catalog.
func catalogNames(cats []config.IcebergCatalog) []string {
	names := make([]string, len(cats))
	for i, c := range cats {
		names[i] = c.Name
	}
	return names
}

// clustered reports whether other brokers may share the stores.
func (n *Node) clustered() bool { return n.cfg.Metadata.Postgres != nil }

func (n *Node) startServers() error {
	c := n.cfg
	l := c.Kafka.Listeners[0]
	authOpts, err := kafkaAuth(n.backgroundCtx(), l, c.Kafka.Authorization, n.log)
	if err != nil {
		return err
	}
	tlsCfg, err := kafkaTLS(l, n.log)
	if err != nil {
		return err
	}
	if c.HTTPAuth.Required {
		ctx, cancel := context.WithTimeout(context.Background(), openTimeout)
		n.issuer, err = n.newIssuer(ctx)
		cancel()
		if err != nil {
			return err
		}
		if authOpts.OAuthBearer != nil {
			// The catalog's tokens are good for OAUTHBEARER too.
			authOpts.OAuthBearer = jwtauth.Chain(authOpts.OAuthBearer, n.issuer)
		}
	}
	n.guard = n.httpGuard(authOpts, n.issuer)
	n.kafka = broker.New(broker.Options{
		ListenAddr: l.ListenAddress, AdvertiseAddr: l.AdvertiseAddress,
		NodeID: c.Kafka.BrokerID, ClusterID: c.Name,
		AutoCreateTopics: c.Kafka.AutoCreateTopics, DefaultPartitions: c.Kafka.DefaultPartitions,
		MaxRequestBytes: int32(c.Kafka.MaxRequestBytes),
		TopicConfig:     topicconfig.Options{Catalogs: catalogNames(c.Iceberg)},
		RequestTimeout:  c.Kafka.RequestTimeout, IdleTimeout: c.Kafka.IdleTimeout,
		MaxConnections: c.Kafka.MaxConnections, QueuedMaxRequestBytes: n.mem.QueuedRequests,
		Groups: group.Options{
			MinSessionTimeout: c.Groups.MinSessionTimeout, MaxSessionTimeout: c.Groups.MaxSessionTimeout,
			InitialRebalanceDelay: c.Groups.InitialRebalanceDelay, OffsetsRetention: c.Groups.OffsetsRetention,
			ConsumerSessionTimeout: c.Kafka.GroupConsumerSessionTimeout, ConsumerHeartbeatInterval: c.Groups.ConsumerHeartbeatInterval,
		},
		Auth: authOpts,
		TLS:  tlsCfg,
	}, n.log)
	if err := n.kafka.Listen(); err != nil {
		return err
	}
	if err := n.joinCluster(); err != nil {
		return err
	}
	nodeID := n.members.Self().NodeID
	n.reader = read.NewReader(read.Config{CacheBytes: n.mem.FetchCache}, n.Meta, n.Objects)
	n.writer = intake.NewWriter(intake.Config{
		Linger: c.Intake.LingerFor(c.Data), MaxBytes: int(c.Intake.MaxBytes),
		MaxBufferedBytes: n.mem.IntakeBuffer, FlushTimeout: c.Intake.FlushTimeout, NodeID: nodeID,
	}, n.Objects, n.Meta, intake.Hooks{
		OnCommit:   n.reader.OnCommit,
		OnFlushed:  n.reader.OnFlushed,
		OnBuffered: func(b int64) { n.Metrics.IntakeBufferBytes.Set(float64(b)) },
	}, n.log)
	enfCfg := enforce.FromConfig(c, n.Metrics.Registry)
	enf, err := enforce.New(enfCfg, n.log.With("component", "enforce"))
	if err != nil {
		return err
	}
	n.enf = enf
	if n.schemas, err = n.registryClient(enfCfg.ClientConfig()); err != nil {
		return err
	}
	n.enf.SetDefaultRegistry(n.schemas)
	n.kafka.Serve(broker.Deps{Meta: n.Meta, Writer: n.writer, Reader: n.reader, Metrics: n.Metrics, Members: n.members, Enforcer: n.enf})
	if n.clustered() {
		n.background(func(ctx context.Context) { n.reader.PollRemote(ctx, remotePoll) })
	}
	lease := n.lease("housekeeping", 3*c.Housekeeping.Interval)
	house, err := housekeeping.New(housekeeping.Options{
		Config: c.Housekeeping, Logger: n.log, Registerer: n.Metrics.Registry, Lease: lease,
	}, n.Meta, n.Objects)
	if err != nil {
		return err
	}
	n.house = house
	n.house.Start()
	// Offsets of groups empty for longer than groups.offsets_retention
	// expire, checked as often as housekeeping runs and under its lease.
	n.background(func(ctx context.Context) {
		t := time.NewTicker(c.Housekeeping.Interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if lease != nil && !lease(ctx) {
				continue
			}
			if gone, err := n.kafka.Groups().ExpireOffsets(ctx); err != nil && ctx.Err() == nil {
				n.log.Warn("expire group offsets", "err", err)
			} else if len(gone) > 0 {
				n.log.Info("expired the offsets of empty groups", "groups", gone)
			}
		}
	})
	n.admin = admin.New(c.Admin.ListenAddress, n.Metrics.Registry, n.readyErr)
	adminTLS, err := n.httpTLS("admin", c.Admin.TLS)
	if err != nil {
		return err
	}
	n.admin.Secure(n.guard, adminTLS)
	n.warnOpenHTTP("admin server", "admin", c.Admin.ListenAddress)
	n.admin.Handle("GET /{$}", statuspage.Handler(n.statusSnapshot))
	if err := n.admin.Start(); err != nil {
		return err
	}
	if err := n.startRegistry(); err != nil {
		return err
	}
	if err := n.startCatalog(); err != nil {
		return err
	}
	return n.startIngest()
}

// startIngest copies the topics that ask for it into Iceberg tables
// (package ingest), and shows them on the admin server's /-/tables.
func (n *Node) startIngest() error {
	var localCred string
	if clients, err := n.catalogClients(); err != nil {
		return err
	} else if len(clients) > 0 {
		localCred = clients[0][0] + ":" + clients[0][1]
	}
	// The built-in catalog in process, bound or not (another broker on
	// this host may serve its port): it lives in the shared stores.
	cats := &ingest.Catalogs{LocalHandler: httpauth.AsNode(n.catSrv.Handler()), LocalCredential: localCred, External: n.cfg.Iceberg}
	m, err := ingest.New(ingest.Options{
		Meta: n.Meta, Reader: n.reader, Holder: n.members.Self().Instance,
		Catalogs: cats,
		Registry: n.schemas, Logger: n.log.With("component", "ingest"),
		Panics: n.Metrics.Panics.WithLabelValues("ingest_pipeline"),
	})
	if err != nil {
		return err
	}
	m.Start()
	n.ingest = m
	if err := n.Metrics.Registry.Register(m.Collector()); err != nil {
		return fmt.Errorf("register ingest metrics: %w", err)
	}
	if err := n.startMaintenance(m, cats); err != nil {
		return err
	}
	n.admin.Handle("GET /-/tables", tablesHandler(m, n.maint))
	return nil
}

// startMaintenance runs table maintenance (package maintenance) on the
// tables ingest writes, unless iceberg_maintenance.disabled, and exports
// its per-table figures on /metrics.
func (n *Node) startMaintenance(m *ingest.Manager, cats *ingest.Catalogs) error {
	mc := n.cfg.IcebergMaintenance
	if mc.Disabled {
		return nil
	}
	r, err := maintenance.NewRunner(maintenance.RunnerOptions{
		Leases: n.Meta, Holder: n.members.Self().Instance, Catalog: cats.Catalog,
		Tables:   func() []maintenance.TableRef { return n.ingestTables(m) },
		Interval: mc.Interval, CheckInterval: mc.CheckInterval, SmallFiles: mc.SmallFileThreshold,
		Run: maintenance.Options{TargetFileSize: int64(mc.TargetFileSize), ExpireOlderThan: mc.ExpireOlderThan,
			ThinAfter: mc.ThinAfter, ThinInterval: mc.ThinInterval,
			RemoveOrphans: mc.OrphanOlderThan > 0, OrphanOlderThan: mc.OrphanOlderThan},
		Logger: n.log.With("component", "maintenance"),
	})
	if err != nil {
		return err
	}
	if err := n.Metrics.Registry.Register(r); err != nil {
		return fmt.Errorf("register maintenance metrics: %w", err)
	}
	r.Start()
	n.maint = r
	return nil
}

// ingestTables lists the tables ingest writes, each once, with their
// topic's retention (topicconfig.ArchiveRetentionMs).
func (n *Node) ingestTables(m *ingest.Manager) []maintenance.TableRef {
	seen := map[maintenance.TableRef]bool{}
	var out []maintenance.TableRef
	for _, st := range m.Status() {
		ref := maintenance.TableRef{Catalog: st.Catalog, Table: st.Table}
		if st.Table == "" || seen[ref] {
			continue
		}
		seen[ref] = true
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		tp, err := n.Meta.Topic(ctx, st.Topic)
		cancel()
		if err == nil {
			ref.Retention = topicconfig.Parse(tp.Configs).Archive.Retention
		}
		out = append(out, ref)
	}
	return out
}

// tablesHandler serves /-/tables: ingest's status of every Iceberg topic
// with its table's maintenance status (when maintenance runs).
func tablesHandler(m *ingest.Manager, r *maintenance.Runner) http.Handler {
	type table struct {
		ingest.TableStatus
		Maintenance *maintenance.TableStatus `json:"maintenance,omitempty"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		maint := map[maintenance.TableRef]maintenance.TableStatus{}
		if r != nil {
			for _, s := range r.Status() {
				maint[maintenance.TableRef{Catalog: s.Catalog, Table: s.Table}] = s
			}
		}
		var out []table
		for _, st := range m.Status() {
			t := table{TableStatus: st}
			if s, ok := maint[maintenance.TableRef{Catalog: st.Catalog, Table: st.Table}]; ok {
				t.Maintenance = &s
			}
			out = append(out, t)
		}
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(struct { // the status line is sent: a failed write is the client's
			Tables []table `json:"tables"`
		}{out})
	})
}

// warehouseSub is where the built-in catalog's tables live: beside the
// log's objects (under data_dir, or under data.s3's prefix), in a tree
// housekeeping never sweeps.
const warehouseSub = "warehouse/"

// catalogClients resolves catalog.clients into (id, secret) pairs.
func (n *Node) catalogClients() ([][2]string, error) {
	var out [][2]string
	for i, c := range n.cfg.Catalog.Clients {
		sec, err := resolve(c.ClientSecret, fmt.Sprintf("catalog.clients[%d].client_secret", i))
		if err != nil {
			return nil, err
		}
		out = append(out, [2]string{c.ClientID, sec})
	}
	return out, nil
}

// startCatalog serves the built-in Iceberg REST catalog, its warehouse in
// the node's object store.
func (n *Node) startCatalog() error {
	ctx, cancel := context.WithTimeout(context.Background(), openTimeout)
	defer cancel()
	wh, err := n.openObjectsAt(ctx, filepath.Join(n.cfg.DataDir, "warehouse"), warehouseSub)
	if err != nil {
		return fmt.Errorf("open the catalog's warehouse: %w", err)
	}
	n.closers = append(n.closers, wh.Close)
	opts := catalog.Options{Registerer: n.Metrics.Registry}
	if opts.TLS, err = n.httpTLS("catalog", n.cfg.Catalog.TLS); err != nil {
		return err
	}
	if n.guard != nil {
		opts.Auth.Guard, opts.Auth.Issuer = n.guard, n.issuer
		if opts.Auth.SigningKey, err = n.tokenKey(ctx); err != nil {
			return err
		}
	}
	n.warnOpenHTTP("iceberg catalog", "catalog", n.cfg.Catalog.ListenAddress)
	clients, err := n.catalogClients()
	if err != nil {
		return err
	}
	if len(clients) > 0 {
		opts.Auth.Clients = map[string]string{}
		for _, c := range clients {
			opts.Auth.Clients[c[0]] = c[1]
		}
	}
	if c := n.cfg.Data.S3; c != nil {
		opts.Warehouse = "s3://" + c.Bucket + "/" + c.Prefix + warehouseSub
		// s3.region is PyIceberg's and iceberg-go's key, client.region
		// Iceberg Java's (S3FileIO: Spark, Trino, the RCK)
		// s3.path-style-access is always said: with an endpoint, iceberg-go
		// (and iceberg/s3io, ingest's) would default to path style where the
		// log may use virtual hosts (TestTableFilesUseTheLogsS3Options).
		opts.TableConfig = map[string]string{"s3.region": c.Region, "client.region": c.Region,
			"s3.path-style-access": strconv.FormatBool(c.ForcePathStyle)}
		if c.Endpoint != "" {
			opts.TableConfig["s3.endpoint"] = c.Endpoint
		}
		if c.ForcePathStyle {
			opts.TableConfig["s3.path-style-access"] = "true"
		}
		// Readers need the keys too: vended, and in every table's config
		// unless catalog.vended_credentials_only.
		opts.Credentials = map[string]string{}
		if id, err := resolve(c.AccessKeyID, "data.s3.access_key_id"); err == nil && id != "" {
			opts.Credentials["s3.access-key-id"] = id
		}
		if sec, err := resolve(c.SecretAccessKey, "data.s3.secret_access_key"); err == nil && sec != "" {
			opts.Credentials["s3.secret-access-key"] = sec
		}
		opts.VendedCredentialsOnly = n.cfg.Catalog.VendedCredentialsOnly
		if st := n.cfg.Catalog.STS; st != nil {
			// short-lived keys per table, from STS called with data.s3's
			opts.STS = &catalog.STSOptions{RoleARN: st.RoleARN, Endpoint: st.Endpoint, Region: c.Region, Duration: st.Duration,
				AccessKeyID: opts.Credentials["s3.access-key-id"], SecretAccessKey: opts.Credentials["s3.secret-access-key"]}
		}
		// the bucket from its root, for tables at allowed locations
		// outside the warehouse
		if opts.Outside, err = n.openS3(ctx, ""); err != nil {
			return fmt.Errorf("open the catalog's bucket: %w", err)
		}
		n.closers = append(n.closers, opts.Outside.Close)
	}
	opts.AllowedLocations = n.cfg.Catalog.AllowedLocations
	cat := catalog.New(n.Meta, wh, opts, n.log.With("component", "catalog"))
	n.catSrv = cat
	if n.noHTTP {
		return nil
	}
	ok, err := listenBestEffort(n.log, "iceberg catalog", n.cfg.Catalog.ListenAddress, config.DefaultCatalogAddr, cat.Listen)
	if err != nil || !ok {
		return err
	}
	n.cat = cat
	go func() {
		// Serve blocks until Shutdown.
		if err := cat.Serve(); err != nil {
			n.log.Error("iceberg catalog stopped serving", "err", err)
		}
	}()
	return nil
}

// registryClient is the registry client enforcement (topic validation
// modes) and ingest share: the external schema_registry over HTTP, else
// the built-in registry in process (registry.Server.Lookup), which reads
// the shared metadata store whether or not this node binds its port.
func (n *Node) registryClient(cfg registryclient.Config) (*registryclient.Client, error) {
	if ext := n.cfg.SchemaRegistry; ext != nil && ext.Confluent != nil {
		src, err := registryclient.NewHTTP(ext.Confluent, cfg.Timeout)
		if err != nil {
			return nil, fmt.Errorf("schema_registry: %w", err)
		}
		return registryclient.New("schema_registry", src, cfg), nil
	}
	// Guard and TLS only apply to its HTTP listener; Lookup (in process)
	// needs neither.
	regTLS, err := n.httpTLS("registry", n.cfg.Registry.TLS)
	if err != nil {
		return nil, err
	}
	n.regSrv = registry.New(n.Meta, registry.Options{Guard: n.guard, TLS: regTLS, Registerer: n.Metrics.Registry}, n.log.With("component", "registry"))
	return registryclient.New("built-in", n.regSrv.Lookup(), cfg), nil
}

// startRegistry serves the built-in schema registry unless the config
// names an external one (schema_registry).
func (n *Node) startRegistry() error {
	if n.regSrv == nil {
		n.log.Info("built-in schema registry off: schema_registry names an external one", "url", n.cfg.SchemaRegistry.Confluent.URL)
		return nil
	}
	reg := n.regSrv
	if n.noHTTP {
		return nil
	}
	n.warnOpenHTTP("schema registry", "registry", n.cfg.Registry.ListenAddress)
	ok, err := listenBestEffort(n.log, "schema registry", n.cfg.Registry.ListenAddress, config.DefaultRegistryAddr, reg.Listen)
	if err != nil || !ok {
		return err
	}
	if err := reg.Serve(); err != nil {
		return err
	}
	n.reg = reg
	return nil
}

// listenBestEffort binds an HTTP server of the node: the configured
// address must bind; the default one may be taken by another broker on the
// same host serving the same shared data, and then this node serves none.
func listenBestEffort(log *slog.Logger, what, configured, def string, listen func(string) error) (bool, error) {
	if configured != "" {
		return true, listen(configured)
	}
	if err := listen(def); err != nil {
		log.Warn(what+" not served: its default address is taken (another broker on this host serves the same data); set its listen address to serve it here", "addr", def, "err", err)
		return false, nil
	}
	return true, nil
}

// remotePoll is how often a clustered node checks the partitions its
// long-polling fetches wait on for data written through other brokers.
const remotePoll = 50 * time.Millisecond

// joinCluster registers this node (claiming kafka.broker_id, or the lowest
// free ID) and keeps the registration alive in the background.
func (n *Node) joinCluster() error {
	host, port := n.kafka.Advertised()
	ctx, cancel := context.WithTimeout(context.Background(), openTimeout)
	defer cancel()
	m, err := membership.Join(ctx, n.Meta, membership.Config{
		WantNodeID: n.cfg.Kafka.BrokerID, Host: host, Port: port,
		HeartbeatInterval: n.cfg.Membership.HeartbeatInterval, SessionTimeout: n.cfg.Membership.SessionTimeout,
	}, n.log)
	if err != nil {
		return err
	}
	n.members = m
	n.background(m.Run)
	if n.clustered() {
		n.background(m.Probe)
	}
	return nil
}

// backgroundCtx is the context of the node's background work, cancelled
// by Close.
func (n *Node) backgroundCtx() context.Context {
	if n.bgStop == nil {
		n.bgCtx, n.bgStop = context.WithCancel(context.Background())
	}
	return n.bgCtx
}

// background runs fn until Close.
func (n *Node) background(fn func(context.Context)) {
	n.backgroundCtx()
	n.bgDone.Add(1)
	go func() {
		defer n.bgDone.Done()
		fn(n.bgCtx)
	}()
}

// lease returns a housekeeping gate: on a clustered node it takes or renews
// the named lease for ttl, so the job runs on one broker at a time; alone,
// the node always runs it.
func (n *Node) lease(name string, ttl time.Duration) func(context.Context) bool {
	if !n.clustered() {
		return nil
	}
	holder := n.members.Self().Instance
	return func(ctx context.Context) bool {
		held, err := n.Meta.AcquireLease(ctx, name, holder, ttl)
		if err != nil {
			n.log.Warn("acquire lease", "lease", name, "err", err)
		}
		return held
	}
}

func (n *Node) readyErr() error {
	if !n.ready.Load() {
		return errors.New("starting or stopping")
	}
	return n.kafka.ListenerErr()
}

func (n *Node) describeMeta() string {
	if n.clustered() {
		return "postgres"
	}
	return filepath.Join(n.cfg.DataDir, "meta.db")
}

func (n *Node) describeObjects() string {
	if s3 := n.cfg.Data.S3; s3 != nil {
		return "s3://" + s3.Bucket + "/" + s3.Prefix
	}
	return n.cfg.ObjectDir()
}

// NodeID is the node ID this node registered.
func (n *Node) NodeID() int32 { return n.members.Self().NodeID }

// KafkaAddr is the bound Kafka address.
func (n *Node) KafkaAddr() string { return n.kafka.Addr().String() }

// RegistryAddr is the built-in schema registry's bound address, "" when
// this node serves none.
func (n *Node) RegistryAddr() string {
	if n.reg == nil {
		return ""
	}
	return n.reg.Addr()
}

// CatalogAddr is the built-in Iceberg catalog's bound address, "" when
// this node serves none.
func (n *Node) CatalogAddr() string {
	if n.cat == nil {
		return ""
	}
	return n.cat.Addr().String()
}

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
	if n.maint != nil {
		n.maint.Stop()
	}
	if n.ingest != nil {
		n.ingest.Stop()
	}
	if n.bgStop != nil {
		n.bgStop()
		n.bgDone.Wait()
	}
	if n.members != nil {
		errs = append(errs, within(stopTimeout, n.members.Leave))
	}
	if n.admin != nil {
		errs = append(errs, within(stopTimeout, n.admin.Shutdown))
	}
	if n.reg != nil {
		errs = append(errs, within(stopTimeout, n.reg.Shutdown))
	}
	if n.cat != nil {
		errs = append(errs, within(stopTimeout, n.cat.Shutdown))
	}
	errs = append(errs, n.closeAll())
	return errors.Join(errs...)
}

// stopTimeout bounds each of Close's last steps (leaving the cluster,
// stopping the HTTP servers).
const stopTimeout = 2 * time.Second

// within runs f with a context that ends after d.
func within(d time.Duration, f func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return f(ctx)
}

func (n *Node) closeAll() error {
	var errs []error
	for i := len(n.closers) - 1; i >= 0; i-- {
		errs = append(errs, n.closers[i]())
	}
	n.closers = nil
	return errors.Join(errs...)
}
