package membership

import (
	"context"
	"net"
	"strconv"
	"testing"

	"github.com/tributary-io/tributary/internal/metastore"
)

// listenPort opens a listener on 127.0.0.1:0 for a fake peer.
func listenPort(t *testing.T) (net.Listener, int32) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() }) // closing twice is harmless here
	_, p, _ := net.SplitHostPort(l.Addr().String())
	port, _ := strconv.Atoi(p)
	return l, int32(port)
}

func hasNode(bs []metastore.BrokerInfo, id int32) bool {
	for _, b := range bs {
		if b.NodeID == id {
			return true
		}
	}
	return false
}

// TestProbeStopsAdvertisingAnUnreachablePeer: a SIGKILLed broker stayed
// in every Metadata answer for the whole session timeout (10s then), so
// clients kept going to it. Now a peer this broker reached before and
// cannot reach now leaves Live (Metadata, leaders) at the next probe and
// comes back when it answers again; the store's view (Registered,
// Coordinator) is unchanged, and a peer never reached is kept.
func TestProbeStopsAdvertisingAnUnreachablePeer(t *testing.T) {
	s := openStore(t)
	peerL, peerPort := listenPort(t)
	go func() {
		for {
			c, err := peerL.Accept()
			if err != nil {
				return
			}
			_ = c.Close()
		}
	}()
	a := join(t, s, -1, 1001)
	b := join(t, s, -1, peerPort)
	neverL, neverPort := listenPort(t)
	_ = neverL.Close() // nothing ever answers there: an address only clients reach, say
	never := join(t, s, -1, neverPort)
	if err := a.refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	reached := map[string]bool{}
	ctx := context.Background()
	a.probeOnce(ctx, reached)
	if live := a.Live(); !hasNode(live, b.Self().NodeID) || !hasNode(live, never.Self().NodeID) {
		t.Fatalf("live %v: want every peer, the one never reached included", live)
	}
	_ = peerL.Close() // b dies: its port refuses connections
	a.probeOnce(ctx, reached)
	if hasNode(a.Live(), b.Self().NodeID) {
		t.Fatalf("live %v still advertises the peer that stopped answering", a.Live())
	}
	if !hasNode(a.Live(), a.Self().NodeID) {
		t.Fatalf("live %v lost this broker", a.Live())
	}
	if !hasNode(a.Registered(), b.Self().NodeID) {
		t.Fatalf("registered %v: the store's view must not follow the probe", a.Registered())
	}
	for p := int32(0); p < 32; p++ {
		if l := a.Leader(metastore.TopicID{3}, p); l.NodeID == b.Self().NodeID {
			t.Fatalf("partition %d still led by the unreachable peer", p)
		}
	}
	l2, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(int(peerPort))))
	if err != nil {
		t.Skipf("port %d taken again meanwhile: %v", peerPort, err)
	}
	defer func() { _ = l2.Close() }() // the test's own listener
	a.probeOnce(ctx, reached)
	if !hasNode(a.Live(), b.Self().NodeID) {
		t.Fatalf("live %v: the peer answers again but is not advertised", a.Live())
	}
}
