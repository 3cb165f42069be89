package wal

import (
	"errors"
	"os"
	"syscall"
)

// datasync is fdatasync: it flushes the data and the metadata needed to
// read it back (the size an append changed) and skips the timestamps an
// fsync would also write.
func datasync(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		for {
			// EINTR means the call did not run, not that it failed:
			// repeating it is not the forbidden fsync retry.
			serr = syscall.Fdatasync(int(fd))
			if !errors.Is(serr, syscall.EINTR) {
				return
			}
		}
	}); err != nil {
		return err
	}
	if serr != nil {
		return &os.PathError{Op: "fdatasync", Path: f.Name(), Err: serr}
	}
	return nil
}
