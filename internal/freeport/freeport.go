// Package freeport finds 127.0.0.1 TCP addresses that were free a moment
// ago, for the tests and benchmarks that start servers as child processes
// and must tell them a port before they listen (Postgres, S3 gateways,
// Kafka, tributary serve). In-process servers listen on 127.0.0.1:0
// themselves and need none of this.
//
// A port found here can be taken by another process before the child binds
// it; callers that can see a bind failure retry with a new port.
package freeport

import (
	"fmt"
	"net"
)

// Addrs returns n distinct 127.0.0.1 addresses ("127.0.0.1:port"). Every
// listener stays open until all n are chosen, so no two are the same.
func Addrs(n int) ([]string, error) {
	ls := make([]net.Listener, 0, n)
	defer func() {
		for _, l := range ls {
			_ = l.Close() // only the ports were wanted
		}
	}()
	out := make([]string, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		ls = append(ls, l)
		out = append(out, l.Addr().String())
	}
	return out, nil
}

// Addr returns one 127.0.0.1 address whose port was free a moment ago.
func Addr() (string, error) {
	a, err := Addrs(1)
	if err != nil {
		return "", err
	}
	return a[0], nil
}

// Ports returns the ports of Addrs(n).
func Ports(n int) ([]int, error) {
	addrs, err := Addrs(n)
	if err != nil {
		return nil, err
	}
	out := make([]int, n)
	for i, a := range addrs {
		ta, err := net.ResolveTCPAddr("tcp", a)
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		out[i] = ta.Port
	}
	return out, nil
}

// Port returns one port of Ports.
func Port() (int, error) {
	p, err := Ports(1)
	if err != nil {
		return 0, err
	}
	return p[0], nil
}
