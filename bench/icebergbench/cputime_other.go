//go:build !unix

package main

import "time"

// cpuTime is unknown here: per-core figures are not printed.
func cpuTime() time.Duration { return 0 }
