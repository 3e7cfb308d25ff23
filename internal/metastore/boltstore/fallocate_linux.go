package boltstore

import (
	"os"
	"syscall"
)

// fallocate allocates the blocks of [off, off+n) of f, growing f if
// needed (mode 0).
func fallocate(f *os.File, off, n int64) error {
	for {
		err := syscall.Fallocate(int(f.Fd()), 0, off, n)
		if err != syscall.EINTR {
			return err
		}
	}
}
