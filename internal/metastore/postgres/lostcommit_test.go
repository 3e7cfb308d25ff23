package postgres_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tributary-io/tributary/internal/metastore"
	"github.com/tributary-io/tributary/internal/testpg"
)

// commitCutter is a TCP proxy in front of Postgres that, when armed, lets
// the next COMMIT through to the server and then cuts the client's
// connection before the reply: the commit happens, and the client cannot
// know it did. settled receives once the server has answered that COMMIT.
type commitCutter struct {
	l       net.Listener
	target  string
	armed   atomic.Bool
	cut     atomic.Int32
	settled chan struct{}
	wg      sync.WaitGroup
}

func newCommitCutter(t *testing.T, target string) *commitCutter {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &commitCutter{l: l, target: target, settled: make(chan struct{}, 1)}
	c.wg.Go(c.accept)
	t.Cleanup(func() { l.Close(); c.wg.Wait() })
	return c
}

func (c *commitCutter) accept() {
	for {
		client, err := c.l.Accept()
		if err != nil {
			return
		}
		server, err := net.Dial("tcp", c.target)
		if err != nil {
			client.Close()
			continue
		}
		replied := make(chan struct{}) // the server's side is done
		c.wg.Go(func() { io.Copy(client, server); client.Close(); close(replied) })
		c.wg.Go(func() { c.forward(client, server, replied) })
	}
}

// forward copies frontend messages from client to server, watching for
// a simple-protocol COMMIT ('Q' "commit", as pgx sends it).
func (c *commitCutter) forward(client, server net.Conn, replied <-chan struct{}) {
	defer server.Close()
	defer client.Close()
	var startup [4]byte // the startup message has no type byte
	if _, err := io.ReadFull(client, startup[:]); err != nil {
		return
	}
	body := make([]byte, binary.BigEndian.Uint32(startup[:])-4)
	if _, err := io.ReadFull(client, body); err != nil {
		return
	}
	server.Write(append(startup[:], body...))
	for {
		var hdr [5]byte
		if _, err := io.ReadFull(client, hdr[:]); err != nil {
			return
		}
		msg := make([]byte, binary.BigEndian.Uint32(hdr[1:])-4)
		if _, err := io.ReadFull(client, msg); err != nil {
			return
		}
		if _, err := server.Write(append(hdr[:], msg...)); err != nil {
			return
		}
		if hdr[0] == 'Q' && bytes.EqualFold(bytes.TrimRight(msg, "\x00"), []byte("commit")) && c.armed.CompareAndSwap(true, false) {
			c.cut.Add(1)
			client.Close() // the reply never arrives
			select {       // the server answers into the closed connection
			case <-replied:
			case <-time.After(10 * time.Second):
			}
			c.settled <- struct{}{}
			return
		}
	}
}

// TestLostCommitReplyIsAnError loses the reply to an Append's COMMIT: the
// Append must fail (retriable) and must not have been run again inside
// the store (it committed: a plain batch would be written twice); an
// idempotent batch's retry is recognized as a duplicate by the producer
// state that committed with it.
func TestLostCommitReplyIsAnError(t *testing.T) {
	dsn := testpg.DSN(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cutter := newCommitCutter(t, u.Host)
	u.Host = cutter.l.Addr().String()
	s := open(t, u.String())
	topic, err := s.CreateTopic(t.Context(), metastore.TopicSpec{Name: "t", Partitions: 1})
	if err != nil {
		t.Fatal(err)
	}
	pk := metastore.PartitionKey{Topic: topic.ID}
	highWater := func(want int64) {
		t.Helper()
		if st, err := s.Partition(t.Context(), pk); err != nil || st.HighWater != want {
			t.Fatalf("partition %+v, %v; want HighWater %d", st, err, want)
		}
	}
	lost := func(b metastore.AppendBatch) {
		t.Helper()
		cuts := cutter.cut.Load()
		cutter.armed.Store(true)
		_, err := s.Append(t.Context(), metastore.ObjectRef{Key: fmt.Sprint("lost", cuts), Size: 10}, []metastore.AppendBatch{b})
		if cutter.cut.Load() != cuts+1 {
			t.Fatal("the proxy cut no commit")
		}
		if !errors.Is(err, metastore.ErrUnavailable) || errors.Is(err, metastore.ErrNotApplied) {
			t.Fatalf("Append whose commit reply was lost: %v, want ErrUnavailable without ErrNotApplied (it committed)", err)
		}
		t.Logf("Append whose commit reply was lost: %v", err)
		<-cutter.settled // the Append may return before the server committed
	}

	lost(metastore.AppendBatch{Partition: pk, Size: 10, NumRecords: 3, ProducerID: metastore.NoProducerID})
	highWater(3) // committed, once

	lost(metastore.AppendBatch{Partition: pk, Size: 10, NumRecords: 1, ProducerID: 1})
	highWater(4)
	res, err := appendOne(t.Context(), s, pk, "retry", 0)
	if err != nil || !res.Duplicate || res.BaseOffset != 3 {
		t.Fatalf("retry of the batch: %+v, %v; want a duplicate of offset 3", res, err)
	}
}
