package node

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/tributary-io/tributary/internal/objstore"
)

// CrashAfterPutEnv names a test-only hook: when set to N > 0, the process
// kills itself with SIGKILL right after its Nth successful intake-object
// Put returns, before the metadata commit that would index the object.
// That is the one crash the write path must survive without help: an
// object durable but never indexed, whose batches were never acknowledged.
// e2e/crash_test.go sets it on a child `tributary serve`; unset (always,
// outside that test) the hook is not installed and costs nothing.
const CrashAfterPutEnv = "TRIBUTARY_TEST_CRASH_AFTER_PUT"

// intakePrefix is the key prefix of the write path's intake objects
// (produce.Writer.objectKey); other Puts (segment rewrites) do not count.
const intakePrefix = "intake/"

// wrapCrashHook installs the CrashAfterPutEnv hook around obj when the
// variable is set; a value that is not a positive integer is an error, so
// a typo never silently disables the crash a test relies on.
func wrapCrashHook(obj objstore.Store) (objstore.Store, error) {
	v := os.Getenv(CrashAfterPutEnv)
	if v == "" {
		return obj, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 1 {
		return nil, fmt.Errorf("%s=%q: want a positive integer", CrashAfterPutEnv, v)
	}
	c := &crashAfterPut{Store: obj, after: n}
	if p, ok := obj.(objstore.Preparer); ok {
		// The local store prepares intake objects: keep that, so the crash
		// test runs the write path as shipped.
		return &preparingCrashAfterPut{crashAfterPut: c, p: p}, nil
	}
	return c, nil
}

// preparingCrashAfterPut is crashAfterPut over a store that prepares keys.
type preparingCrashAfterPut struct {
	*crashAfterPut
	p objstore.Preparer
}

func (c *preparingCrashAfterPut) Prepare(ctx context.Context, key string) error {
	return c.p.Prepare(ctx, key)
}

// crashAfterPut is the CrashAfterPutEnv hook.
type crashAfterPut struct {
	objstore.Store
	after int64
	puts  atomic.Int64
}

func (c *crashAfterPut) Put(ctx context.Context, key string, data []byte) error {
	err := c.Store.Put(ctx, key, data)
	if err == nil && strings.HasPrefix(key, intakePrefix) && c.puts.Add(1) == c.after {
		fmt.Fprintf(os.Stderr, "%s: killing the process after intake put %d (%s)\n", CrashAfterPutEnv, c.after, key)
		if p, err := os.FindProcess(os.Getpid()); err == nil {
			// SIGKILL: no deferred call, no flush, no commit. Should it fail,
			// os.Exit below is the crash instead.
			_ = p.Kill()
		}
		os.Exit(137) // not reached on Unix; elsewhere the nearest thing
	}
	return err
}
