package broker

import (
	"testing"
	"time"
)

// TestAcceptBackoff: a failing accept is retried after 5ms, doubling up to
// 1s, as net/http's Serve does; a success starts over at 5ms.
func TestAcceptBackoff(t *testing.T) {
	var got []time.Duration
	d := time.Duration(0)
	for range 10 {
		d = acceptBackoff(d)
		got = append(got, d)
	}
	want := []time.Duration{5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000}
	for i := range want {
		if got[i] != want[i]*time.Millisecond {
			t.Fatalf("backoff %d: %v, want %v (all: %v)", i, got[i], want[i]*time.Millisecond, got)
		}
	}
}
