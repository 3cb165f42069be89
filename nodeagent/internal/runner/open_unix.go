//go:build unix

package runner

import "syscall"

// openNonblock keeps opening a FIFO from blocking (see addEntry).
const openNonblock = syscall.O_NONBLOCK
