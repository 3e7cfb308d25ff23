//go:build !unix

package benchpb

import "time"

// CPUTime is unknown here: per-core figures are not printed.
func CPUTime() time.Duration { return 0 }
