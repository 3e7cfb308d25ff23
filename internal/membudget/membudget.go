package membudget

import (
	"bufio"
	"context"
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
)

const (
	mib = 1 << 20
	gib = 1 << 30
	// noLimit: cgroup files report "max" (v2) or a number near 2^63 (v1)
	// when nothing is set.
	noLimit = 1 << 60
	// fallback is the budget when neither a cgroup limit nor the machine's
	// memory can be read.
	fallback = 512 * mib
	// maxDefault caps the budget taken from the machine's memory when no
	// cgroup limit says more: a broker keeps its log in the object store,
	// so a bigger cache is a choice to make explicitly.
	maxDefault = 512 * mib
)

// Detect returns the default budget: the cgroup memory limit when one is
// set (and below the machine's memory), else a quarter of the machine's
// memory, at most 512 MiB.
func Detect() int64 {
	phys := physical()
	if cg := cgroupLimit(); cg > 0 && (phys == 0 || cg < phys) {
		return cg
	}
	if phys == 0 {
		return fallback
	}
	return min(phys/4, maxDefault)
}

// cgroupLimit reads the cgroup v2 or v1 memory limit; 0 when none.
func cgroupLimit() int64 {
	for _, f := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		v, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		if err != nil || v <= 0 || v >= noLimit {
			return 0 // "max", or a v1 limit of "unlimited"
		}
		return v
	}
	return 0
}

// physical reads MemTotal from /proc/meminfo; 0 when it cannot.
func physical() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer func() { _ = f.Close() }() // read-only
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}

// Plan is what a budget gives each holder of memory, in bytes.
type Plan struct {
	// Budget is the whole.
	Budget int64
	// GoLimit is the Go runtime's soft memory limit: 90% of the budget,
	// leaving room for what the runtime does not count (mapped files,
	// thread stacks of cgo).
	GoLimit int64
	// FetchCache is the read path's cache: an eighth.
	FetchCache int64
	// QueuedRequests bounds the Kafka requests read and not yet answered:
	// a sixteenth, at most Kafka's default of 100 MiB.
	QueuedRequests int64
	// IntakeBuffer bounds the produced bytes gathered or being flushed: a
	// thirty-second, at least twice the flush size and at most 64 MiB.
	IntakeBuffer int64
}

// NewPlan divides budget; flushBytes is intake.delay_max_bytes.
func NewPlan(budget, flushBytes int64) Plan {
	return Plan{
		Budget:         budget,
		GoLimit:        budget / 10 * 9,
		FetchCache:     budget / 8,
		QueuedRequests: max(min(budget/16, 100*mib), mib),
		IntakeBuffer:   max(min(budget/32, 64*mib), 2*flushBytes),
	}
}

// SetGoLimit sets the Go runtime's soft memory limit to p.GoLimit unless
// the GOMEMLIMIT environment variable already set one; it reports which
// limit is in force.
func (p Plan) SetGoLimit() (limit int64, fromEnv bool) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return debug.SetMemoryLimit(-1), true
	}
	debug.SetMemoryLimit(p.GoLimit)
	return p.GoLimit, false
}

// ReturnAfterSpikes gives memory back to the operating system after a
// spike: every interval it looks at the heap, and when the memory the
// runtime holds but does not use (idle, not yet released) exceeds
// threshold, it returns it at once (debug.FreeOSMemory) instead of
// waiting for the background scavenger, which releases a few MiB a
// second. It returns when ctx ends.
func ReturnAfterSpikes(ctx context.Context, interval time.Duration, threshold uint64, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if idle := idleBytes(); idle > threshold {
			debug.FreeOSMemory()
			log.Debug("returned idle heap memory to the OS", "bytes", idle)
		}
	}
}

// idleBytes is heap memory the runtime holds and does not use.
func idleBytes() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapIdle - ms.HeapReleased
}
