//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package wal

import (
	"os"
	"path/filepath"
)

// lockDir only opens dir/LOCK where flock is unavailable: Hearth runs on
// Linux, and this keeps the package building elsewhere for tools.
func lockDir(dir string) (*os.File, error) {
	return os.OpenFile(filepath.Join(dir, "LOCK"), os.O_RDWR|os.O_CREATE, 0o600) //nolint:gosec // G304: the WAL's own directory.
}
