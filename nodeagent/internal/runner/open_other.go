//go:build !unix

package runner

// openNonblock: no FIFOs to fear here.
const openNonblock = 0
