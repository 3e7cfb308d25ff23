package broker

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/tributary-io/tributary/broker/enforce"
	"github.com/tributary-io/tributary/broker/group"
	"github.com/tributary-io/tributary/broker/membership"
	"github.com/tributary-io/tributary/internal/metastore"
	"github.com/tributary-io/tributary/internal/metrics"
	"github.com/tributary-io/tributary/log/intake"
	"github.com/tributary-io/tributary/log/read"
	"github.com/tributary-io/tributary/topicconfig"
)

// Options configure the Kafka listener; cmd/tributary fills them from config.
type Options struct {
	// ListenAddr is the host:port to bind (default 127.0.0.1:9092).
	ListenAddr string
	// AdvertiseAddr is the host:port put in Metadata; empty means the bound
	// address.
	AdvertiseAddr string
	// NodeID is this broker's Kafka node ID.
	NodeID int32
	// ClusterID is reported in Metadata and DescribeCluster.
	ClusterID string
	// AutoCreateTopics creates unknown topics named in Metadata requests.
	AutoCreateTopics bool
	// DefaultPartitions is the partition count of auto-created topics and of
	// CreateTopics requests that leave it to the broker (-1).
	DefaultPartitions int32
	// MaxRequestBytes closes connections that send a larger frame
	// (Kafka's socket.request.max.bytes).
	MaxRequestBytes int32
	// MaxMessageBytes is the default max.message.bytes of topics.
	MaxMessageBytes int32
	// RequestTimeout caps the store work of one request (config's
	// kafka.request_timeout); requests with a timeout of their own get
	// the smaller. Default 30s.
	RequestTimeout time.Duration
	// IdleTimeout closes connections that send nothing for this long
	// while no reply is outstanding (kafka.idle_timeout). Default 10m.
	IdleTimeout time.Duration
	// MaxConnections caps open connections; more are closed at accept
	// (kafka.max_connections). Default 10000.
	MaxConnections int
	// QueuedMaxRequestBytes bounds the bytes of requests read and not yet
	// answered, across connections (kafka.queued_max_request_bytes).
	// Default 100 MiB.
	QueuedMaxRequestBytes int64
	// TLS, when set, serves the listener over TLS only (security.go).
	TLS *tls.Config
	// Auth configures SASL and ACLs (security.go); the zero value
	// authenticates no one and allows everything.
	Auth AuthOptions
	// Groups configures the consumer-group coordinator (timeouts, offset
	// retention); Serve fills in its Owner and Topics.
	Groups group.Options
	// TopicConfig is what validating a topic's configs needs to know of
	// the node (its Iceberg catalogs' names).
	TopicConfig topicconfig.Options
}

// Deps are the parts a broker serves from, given to Serve once they exist
// (the write path and the membership need the bound address first).
type Deps struct {
	Meta    metastore.Store
	Writer  *intake.Writer
	Reader  *read.Reader
	Metrics *metrics.Metrics
	// Members, when set, is the cluster membership: Metadata then lists
	// the live brokers and spreads partition leadership over them, and the
	// node ID is the one membership registered. Nil serves this broker
	// alone, as Options.NodeID.
	Members *membership.Membership
	// Enforcer, when set, checks produced and fetched records against
	// their schemas (data_enforcement, bufstream.validate.mode). Nil
	// enforces nothing.
	Enforcer *enforce.Enforcer
}

// Server is one Kafka broker: the listener, its connections, and the
// handlers' shared state.
type Server struct {
	opts    Options
	log     *slog.Logger
	meta    metastore.Store
	writer  *intake.Writer
	reader  *read.Reader
	m       *metrics.Metrics
	members *membership.Membership
	topics  *topicCache
	// groupConfigs are the groups' dynamic configs (groupconfig.go).
	groupConfigs *groupConfigs
	groups       *group.Coordinator
	enforce      *enforce.Enforcer
	sec          security // SASL and ACLs (security.go)

	ln      net.Listener
	adv     hostPort
	closing atomic.Bool
	// drain is closed by Shutdown: it wakes long-polling fetches and
	// readers waiting for request budget.
	drain     chan struct{}
	drainOnce sync.Once
	budget    *byteBudget
	connsMu   sync.Mutex
	conns     map[*conn]struct{}
	connsWG   sync.WaitGroup
	accept    acceptHealth
}

type hostPort struct {
	host string
	port int32
}

// New builds a broker; Listen binds it and Serve starts serving.
func New(opts Options, log *slog.Logger) *Server {
	if opts.MaxRequestBytes <= 0 {
		opts.MaxRequestBytes = 100 << 20
	}
	if opts.DefaultPartitions <= 0 {
		opts.DefaultPartitions = 1
	}
	if opts.MaxMessageBytes <= 0 {
		opts.MaxMessageBytes = 1048588
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = defaultRequestTimeout
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = defaultIdleTimeout
	}
	if opts.MaxConnections <= 0 {
		opts.MaxConnections = defaultMaxConnections
	}
	if opts.QueuedMaxRequestBytes <= 0 {
		opts.QueuedMaxRequestBytes = defaultQueuedMaxRequestBytes
	}
	return &Server{opts: opts, log: log, conns: map[*conn]struct{}{}, drain: make(chan struct{})}
}

// Listen binds the listener without serving yet, so the bound address is
// known (to register it in the cluster) before the first client arrives.
func (s *Server) Listen() error {
	ln, err := net.Listen("tcp", s.opts.ListenAddr)
	if err != nil {
		return fmt.Errorf("listen kafka on %s: %w", s.opts.ListenAddr, err)
	}
	ln = s.wrapTLS(ln)
	s.ln = ln
	adv := s.opts.AdvertiseAddr
	if adv == "" {
		adv = ln.Addr().String()
	}
	if s.adv, err = parseHostPort(adv); err != nil {
		_ = ln.Close() // never served: the address error is the one to report
		return fmt.Errorf("advertise address %q: %w", adv, err)
	}
	return nil
}

// Advertised is the host and port clients are told to use.
func (s *Server) Advertised() (string, int32) { return s.adv.host, s.adv.port }

// Serve accepts connections in the background, after Listen.
func (s *Server) Serve(d Deps) {
	s.meta, s.writer, s.reader, s.m, s.members = d.Meta, d.Writer, d.Reader, d.Metrics, d.Members
	s.enforce = d.Enforcer
	s.budget = newByteBudget(s.opts.QueuedMaxRequestBytes, d.Metrics)
	s.initSecurity(d.Meta)
	s.topics = newTopicCache(d.Meta)
	gopts := s.opts.Groups
	s.groupConfigs = newGroupConfigs(d.Meta)
	gopts.Owner, gopts.Topics, gopts.Configs = s.groupOwner, groupTopics{s.topics}, s.groupConfigs
	s.groups = group.New(d.Meta, gopts, s.log.With("component", "groups"))
	if err := s.m.Registry.Register(groupCollector{s}); err != nil {
		s.log.Warn("group metrics not exported", "err", err)
	}
	s.m.KafkaListenerAccepting.Set(1)
	go s.acceptLoop()
}

func parseHostPort(addr string) (hostPort, error) {
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		return hostPort{}, err
	}
	port, err := strconv.ParseInt(p, 10, 32)
	if err != nil || port <= 0 {
		return hostPort{}, fmt.Errorf("bad port %q", p)
	}
	if h == "" || h == "0.0.0.0" || h == "::" {
		h = "127.0.0.1"
	}
	return hostPort{host: h, port: int32(port)}, nil
}

// Addr is the bound Kafka address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// acceptLoop accepts until the listener is closed. A failed accept (out of
// file descriptors, most often) never ends it: it is counted, logged
// (rate-limited), marks the listener unhealthy (ListenerErr), and is
// retried after a backoff of 5ms doubling to 1s, as net/http's Serve does;
// the next accepted connection marks it healthy again.
func (s *Server) acceptLoop() {
	var delay time.Duration
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			if s.closing.Load() || errors.Is(err, net.ErrClosed) {
				return
			}
			delay = acceptBackoff(delay)
			s.accept.failed(s, err)
			time.Sleep(delay)
			continue
		}
		delay = 0
		s.accept.succeeded(s)
		s.startConn(nc)
	}
}

// startConn serves one accepted connection on its own goroutines, unless
// the broker is draining or MaxConnections are open (the connection is
// then closed at once and counted; the client retries or goes to another
// broker).
func (s *Server) startConn(nc net.Conn) {
	c := newConn(s, nc)
	s.connsMu.Lock()
	if s.closing.Load() {
		s.connsMu.Unlock()
		_ = nc.Close() // refused while shutting down: nothing was read
		return
	}
	if len(s.conns) >= s.opts.MaxConnections {
		s.connsMu.Unlock()
		_ = nc.Close() // refused over the cap: nothing was read
		s.m.ConnectionsRefused.Inc()
		s.log.Debug("kafka connection refused: max_connections open", "remote", nc.RemoteAddr().String(), "max_connections", s.opts.MaxConnections)
		return
	}
	s.conns[c] = struct{}{}
	s.connsWG.Add(1)
	s.connsMu.Unlock()
	s.m.OpenConnections.Inc()
	go func() {
		defer s.connsWG.Done()
		c.serve()
		s.connsMu.Lock()
		delete(s.conns, c)
		s.connsMu.Unlock()
		s.m.OpenConnections.Dec()
	}()
}

func (s *Server) draining() bool { return s.closing.Load() }

// Shutdown drains: it stops accepting, stops reading new requests, and waits
// (up to ctx) until every started request is answered. The caller closes the
// produce writer afterwards, so buffered produces are flushed, not dropped.
func (s *Server) Shutdown(ctx context.Context) error {
	s.closing.Store(true)
	s.drainOnce.Do(func() { close(s.drain) }) // wake long polls: answer them now
	if s.ln != nil {
		_ = s.ln.Close() // stops accepting; the accept loop sees the close
	}
	s.connsMu.Lock()
	for c := range s.conns {
		c.stopReading()
	}
	s.connsMu.Unlock()
	if s.groups != nil {
		// Answer waiting JoinGroups and SyncGroups now, so the drain does
		// not wait out a rebalance; members move to the next coordinator.
		s.groups.Close()
	}
	done := make(chan struct{})
	go func() { s.connsWG.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		s.connsMu.Lock()
		for c := range s.conns {
			_ = c.nc.Close() // the drain's deadline passed: cut what is left
		}
		s.connsMu.Unlock()
		return fmt.Errorf("drain kafka connections: %w", ctx.Err())
	}
}

// requestContext bounds the store work of one request by RequestTimeout,
// so a stalled metadata store cannot hold a connection's reader forever:
// the request then fails with its API's retriable error.
func (s *Server) requestContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), s.opts.RequestTimeout)
}

// requestContextWithin is requestContext for a request carrying its own
// timeout in milliseconds (CreateTopics, DeleteTopics, CreatePartitions):
// the smaller of the two bounds it; a timeout of zero or less leaves
// RequestTimeout.
func (s *Server) requestContextWithin(ms int32) (context.Context, context.CancelFunc) {
	d := s.opts.RequestTimeout
	if own := time.Duration(ms) * time.Millisecond; own > 0 {
		d = min(d, own)
	}
	return context.WithTimeout(context.Background(), d)
}

// Groups is the consumer-group coordinator, for housekeeping's offset
// expiry.
func (s *Server) Groups() *group.Coordinator { return s.groups }

// dispatch starts one request's handler, recovering a panic into a closed
// connection (logged with its stack and counted in tributary_panics_total)
// so one bad request never takes the broker down.
func (s *Server) dispatch(a api, c *conn, req kmsg.Request) (r reply, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = recovered(s.log, s.m, "kafka_handler", p, "api", kmsg.NameForKey(a.key),
				"remote", c.nc.RemoteAddr().String(), "client_id", c.clientID)
		}
	}()
	return a.handle(s, c, req)
}

// observe records a finished request in the metrics.
func (s *Server) observe(q queued, resp kmsg.Response) {
	s.m.KafkaRequest(q.key, time.Since(q.start))
	if resp != nil {
		forEachErrorCode(resp, func(code int16) { s.m.KafkaError(q.key, code) })
	}
}
