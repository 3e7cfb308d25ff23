//go:build !unix

package arrowconv

import "time"

func cpuTime() time.Duration { return 0 } // no per-CPU figures here
