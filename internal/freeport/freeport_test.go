package freeport

import (
	"net"
	"testing"
)

func TestAddrsAreDistinctAndBindable(t *testing.T) {
	addrs, err := Addrs(16)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, a := range addrs {
		if seen[a] {
			t.Fatalf("address %s returned twice in %v", a, addrs)
		}
		seen[a] = true
		l, err := net.Listen("tcp", a)
		if err != nil {
			t.Fatalf("listen on returned address %s: %v", a, err)
		}
		_ = l.Close()
	}
}

func TestPortsAreInRange(t *testing.T) {
	ps, err := Ports(4)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if p <= 0 || p > 65535 {
			t.Fatalf("port %d out of range in %v", p, ps)
		}
	}
}
