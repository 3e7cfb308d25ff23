//go:build !linux

package boltstore

import (
	"os"
	"syscall"
)

// fallocate is Linux's; elsewhere there is no reserve.
func fallocate(*os.File, int64, int64) error { return syscall.EOPNOTSUPP }
