package broker

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync/atomic"
	"time"

	"github.com/tributary-io/tributary/broker/group"
	"github.com/twmb/franz-go/pkg/kbin"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// maxInFlight bounds the requests one connection may have started but not
// yet answered; the reader stops reading while the writer catches up.
const maxInFlight = 64

// conn is one client connection. Its reader goroutine (serve) decodes and
// starts requests; its writer goroutine (writeLoop) writes the replies in
// order. See the package doc for the model.
type conn struct {
	s        *Server
	nc       net.Conn
	clientID string
	replies  chan queued
	done     chan struct{} // closed when writeLoop returns
	// pending counts requests read and not yet answered: a connection
	// with a reply outstanding is not idle.
	pending atomic.Int32
	// lastReply is when the last reply was written (UnixNano): idleness
	// counts from the later of the last request and the last reply.
	lastReply atomic.Int64
	// armedAt is when the reader last pushed its read deadline forward
	// (armIdle); only the reader touches it.
	armedAt time.Time
	auth    connAuth // SASL state (security.go)
}

// client identifies the connection to the group coordinator, with the
// host as Kafka reports it ("/127.0.0.1").
func (c *conn) client() group.Client {
	host := c.nc.RemoteAddr().String()
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return group.Client{ID: c.clientID, Host: "/" + host}
}

// queued is a started request awaiting its reply.
type queued struct {
	corr    int32
	key     int16
	version int16
	flex    bool
	start   time.Time
	reply   reply
	// held is the frame's share of the queued-bytes budget, released
	// once the reply is written.
	held int64
}

// errCloseConn asks the reader to close the connection without a reply, as
// Kafka does for undecodable requests.
var errCloseConn = errors.New("close connection")

func newConn(s *Server, nc net.Conn) *conn {
	return &conn{s: s, nc: nc, replies: make(chan queued, maxInFlight), done: make(chan struct{})}
}

// serve runs the reader loop until the client goes away, the connection is
// poisoned by a bad request, or the server drains. It returns after every
// started request has been answered.
func (c *conn) serve() {
	go c.writeLoop()
	br := bufio.NewReaderSize(c.nc, 64<<10)
	for {
		q, err := c.readRequest(br)
		if err != nil {
			c.logClose(err)
			break
		}
		c.pending.Add(1)
		select {
		case c.replies <- q:
		case <-c.done:
			c.finished(q)
		}
		if c.auth.closeAfterReply {
			break // a failed SASL authentication: answered, then closed
		}
	}
	close(c.replies)
	<-c.done
	_ = c.nc.Close() // the connection is finished either way
}

func (c *conn) logClose(err error) {
	if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || errors.Is(err, errDraining) || c.s.draining() {
		return
	}
	if errors.Is(err, errIdle) {
		c.s.m.ConnectionsIdleClosed.Inc()
		c.s.log.Debug("closing idle kafka connection", "remote", c.nc.RemoteAddr().String(), "client_id", c.clientID)
		return
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return
	}
	c.s.log.Info("closing kafka connection", "remote", c.nc.RemoteAddr().String(), "client_id", c.clientID, "reason", err.Error())
}

// readRequest reads one frame, decodes it and starts its handler. The
// returned request holds its frame's share of the queued-bytes budget; on
// error nothing is held.
func (c *conn) readRequest(br *bufio.Reader) (q queued, err error) {
	body, held, err := c.readFrame(br)
	if err != nil {
		return queued{}, err
	}
	defer func() {
		if err != nil {
			c.s.budget.release(held)
		}
	}()
	start := time.Now()
	pr, err := parseRequest(body)
	if err != nil {
		return queued{}, err
	}
	if pr.clientID != nil {
		c.clientID = *pr.clientID
	}
	q = queued{corr: pr.corr, key: pr.key, version: pr.version, start: start, held: held}
	if pr.req == nil { // KIP-511: ApiVersions above our range, answered at v0
		q.version = 0
		q.reply = now(unsupportedApiVersions())
		return q, nil
	}
	q.flex = pr.req.IsFlexible()
	if err := c.gate(pr.key); err != nil {
		return queued{}, err
	}
	q.reply, err = c.s.dispatch(apis[pr.key], c, pr.req)
	if err != nil {
		return queued{}, fmt.Errorf("%s: %w", kmsg.NameForKey(pr.key), err)
	}
	return q, nil
}

// parsed is one decoded request frame.
type parsed struct {
	key, version int16
	corr         int32
	clientID     *string
	// req is the decoded request; nil for an ApiVersions request at a
	// version above the served range (answered at v0, KIP-511).
	req kmsg.Request
}

// parseRequest decodes a frame body (header and request) with kmsg. Any
// error means Kafka would close the connection: an undecodable header, an
// unknown API key, a version outside the served range (except
// ApiVersions), or a body that does not decode.
func parseRequest(body []byte) (parsed, error) {
	r := kbin.Reader{Src: body}
	p := parsed{key: r.Int16(), version: r.Int16(), corr: r.Int32()}
	p.clientID = r.NullableString()
	if err := r.Complete(); err != nil {
		return p, fmt.Errorf("request header: %v: %w", err, errCloseConn)
	}
	a, ok := apis[p.key]
	if !ok {
		return p, fmt.Errorf("unknown api key %d: %w", p.key, errCloseConn)
	}
	if p.version < a.min || p.version > a.max {
		if p.key == 18 && p.version > a.max {
			return p, nil
		}
		return p, fmt.Errorf("%s version %d outside [%d, %d]: %w", kmsg.NameForKey(p.key), p.version, a.min, a.max, errCloseConn)
	}
	req := kmsg.RequestForKey(p.key)
	req.SetVersion(p.version)
	if req.IsFlexible() {
		skipTags(&r)
	}
	if err := r.Complete(); err != nil {
		return p, fmt.Errorf("%s v%d header tags: %w", kmsg.NameForKey(p.key), p.version, errCloseConn)
	}
	if err := req.ReadFrom(r.Src); err != nil {
		return p, fmt.Errorf("decode %s v%d: %v: %w", kmsg.NameForKey(p.key), p.version, err, errCloseConn)
	}
	p.req = req
	return p, nil
}

// skipTags skips a tag section like kmsg.SkipTags, but stops as soon as
// the reader runs out: kmsg's loop runs for the full claimed count even on
// a spent reader, so a 5-byte count costs seconds of CPU.
func skipTags(r *kbin.Reader) {
	for n := r.Uvarint(); n > 0 && r.Ok(); n-- {
		_, size := r.Uvarint(), r.Uvarint()
		r.Span(int(size))
	}
}

// readFrame reads one size-prefixed request; a size over the limit or below
// the smallest header closes the connection, as Kafka does. It waits for
// the frame's size in the queued-bytes budget before reading the body, and
// grows the body's buffer as bytes arrive (readBody). It returns the body
// and the budget it holds. A connection that sends nothing for
// IdleTimeout while no reply is outstanding is closed (errIdle).
func (c *conn) readFrame(br *bufio.Reader) ([]byte, int64, error) {
	var sz [4]byte
	if err := c.readSize(br, sz[:]); err != nil {
		return nil, 0, err
	}
	n := int32(binary.BigEndian.Uint32(sz[:]))
	if limit := c.frameLimit(); n < 8 || n > limit {
		return nil, 0, fmt.Errorf("request size %d outside [8, %d]: %w", n, limit, errCloseConn)
	}
	held, err := c.s.budget.acquire(int64(n), c.s.drain, c.done)
	if err != nil {
		return nil, 0, err
	}
	body, err := readBody(br, int(n), frameChunk, c.armIdle)
	if err != nil {
		c.s.budget.release(held)
		return nil, 0, err
	}
	return body, held, nil
}

// readSize reads a frame's size prefix, waiting at most IdleTimeout at a
// time; the wait starts over while a reply is outstanding (the client is
// then waiting for the broker, not idle) or was written less than
// IdleTimeout ago.
func (c *conn) readSize(br *bufio.Reader, sz []byte) error {
	got := 0
	for {
		if err := c.armIdle(); err != nil {
			return err
		}
		n, err := io.ReadFull(br, sz[got:])
		got += n
		if err == nil {
			return nil
		}
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() || c.s.draining() {
			return err
		}
		if err := c.sessionEnded(); err != nil {
			return err
		}
		if c.pending.Load() == 0 && time.Since(time.Unix(0, c.lastReply.Load())) >= c.s.opts.IdleTimeout {
			return fmt.Errorf("no request for %v: %w", c.s.opts.IdleTimeout, errIdle)
		}
	}
}

// armIdle pushes the read deadline IdleTimeout ahead (at most every
// eighth of it, so a body read in many pieces does not reset a timer per
// piece), unless the broker drains: Shutdown sets closing before
// stopReading sets the deadline to now, so a reader that sees closing
// unset here had its deadline set before stopReading's and is still
// stopped.
func (c *conn) armIdle() error {
	if now := time.Now(); now.Sub(c.armedAt) >= c.s.opts.IdleTimeout/8 {
		c.armedAt = now
		// A failed SetReadDeadline means the connection is closed, which
		// the next read reports.
		_ = c.nc.SetReadDeadline(c.sessionDeadline(now.Add(c.s.opts.IdleTimeout)))
	}
	if c.s.draining() {
		return errDraining
	}
	return nil
}

// finished releases what a request held once its reply is written (or
// abandoned).
func (c *conn) finished(q queued) {
	c.s.budget.release(q.held)
	c.lastReply.Store(time.Now().UnixNano())
	c.pending.Add(-1)
}

// writeLoop writes replies in request order. A write error stops writing;
// the remaining replies are still drawn so their work is not abandoned
// midway (a produce already in the intake buffer still completes).
func (c *conn) writeLoop() {
	defer close(c.done)
	bw := bufio.NewWriterSize(c.nc, 64<<10)
	var werr error
	var buf []byte
	for q := range c.replies {
		if q.reply.wait && bw.Buffered() > 0 && werr == nil {
			werr = bw.Flush()
		}
		var resp kmsg.Response
		var perr error
		resp, buf, perr = c.render(q, buf[:0], werr == nil)
		if perr != nil && werr == nil {
			werr = perr // the reply panicked: close the connection
		}
		if resp != nil && werr == nil {
			_, werr = bw.Write(buf)
		}
		c.finished(q)
		if werr == nil && len(c.replies) == 0 && bw.Buffered() > 0 {
			werr = bw.Flush()
		}
		if werr != nil {
			_ = c.nc.Close() // unblock the reader; the write error is the one that counts
		}
	}
	if werr == nil {
		_ = bw.Flush() // the last replies of a closing connection: best effort
	}
}

// render runs a reply's function and, when frame is set, frames its
// response into buf. A panic there (a deferred produce ack, a fetch read or
// its enforcement filter, a group completion) is recovered, logged with its
// stack, counted, and returned as an error that closes the connection:
// one bad reply never takes the broker down.
func (c *conn) render(q queued, buf []byte, frame bool) (resp kmsg.Response, out []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			resp, out = nil, buf
			err = recovered(c.s.log, c.s.m, "kafka_reply", p, "api", kmsg.NameForKey(q.key),
				"remote", c.nc.RemoteAddr().String()) // clientID is the reader's
		}
	}()
	resp = q.reply.fn()
	c.s.observe(q, resp)
	if resp != nil && frame {
		buf = appendResponse(buf, q, resp)
	}
	if q.reply.release != nil {
		q.reply.release() // the response is in buf now, or not sent
	}
	return resp, buf, nil
}

// appendResponse frames resp: size, correlation ID, the response header's
// tag section (flexible versions, except ApiVersions whose response header
// is always v0, KIP-511), then the body.
func appendResponse(dst []byte, q queued, resp kmsg.Response) []byte {
	dst = append(dst, 0, 0, 0, 0)
	dst = kbin.AppendInt32(dst, q.corr)
	if q.flex && q.key != 18 {
		dst = append(dst, 0)
	}
	resp.SetVersion(q.version)
	dst = resp.AppendTo(dst)
	binary.BigEndian.PutUint32(dst, uint32(len(dst)-4))
	return dst
}

// stopReading makes the reader's next read fail, for draining: requests
// already started are still answered.
func (c *conn) stopReading() { _ = c.nc.SetReadDeadline(time.Now()) } // closed already: stopped too
