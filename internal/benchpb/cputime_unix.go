//go:build unix

package benchpb

import (
	"syscall"
	"time"
)

// CPUTime is the CPU time (user and system, every thread, GC included)
// the process has used: per-core throughput is work per CPU-second,
// which stays put on a loaded machine where wall time does not.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
