package membudget

import (
	"testing"
)

func TestPlanFractions(t *testing.T) {
	for _, c := range []struct {
		budget, flush int64
		want          Plan
	}{
		{256 * mib, 4 * mib, Plan{Budget: 256 * mib, GoLimit: 256 * mib / 10 * 9, FetchCache: 32 * mib, QueuedRequests: 16 * mib, IntakeBuffer: 8 * mib}},
		{512 * mib, 4 * mib, Plan{Budget: 512 * mib, GoLimit: 512 * mib / 10 * 9, FetchCache: 64 * mib, QueuedRequests: 32 * mib, IntakeBuffer: 16 * mib}},
		// Large budgets: Kafka's 100 MiB request bound and a 64 MiB intake buffer at most.
		{8 * gib, 4 * mib, Plan{Budget: 8 * gib, GoLimit: 8 * gib / 10 * 9, FetchCache: gib, QueuedRequests: 100 * mib, IntakeBuffer: 64 * mib}},
		// Small budgets: the intake buffer still holds two flushes.
		{64 * mib, 16 * mib, Plan{Budget: 64 * mib, GoLimit: 64 * mib / 10 * 9, FetchCache: 8 * mib, QueuedRequests: 4 * mib, IntakeBuffer: 32 * mib}},
	} {
		if got := NewPlan(c.budget, c.flush); got != c.want {
			t.Errorf("NewPlan(%d MiB, %d MiB) = %+v, want %+v", c.budget>>20, c.flush>>20, got, c.want)
		}
	}
}

// TestDetect: without a cgroup limit the budget is a quarter of the
// machine's memory, at most 512 MiB; with one, the limit.
func TestDetect(t *testing.T) {
	got := Detect()
	if cg := cgroupLimit(); cg > 0 && (physical() == 0 || cg < physical()) {
		if got != cg {
			t.Fatalf("Detect() = %d, want the cgroup limit %d", got, cg)
		}
		return
	}
	if want := min(physical()/4, maxDefault); physical() > 0 && got != want {
		t.Fatalf("Detect() = %d, want %d (a quarter of %d, at most %d)", got, want, physical(), int64(maxDefault))
	}
	if got <= 0 || got > maxDefault {
		t.Fatalf("Detect() = %d", got)
	}
}
