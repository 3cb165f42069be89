//go:build unix && !linux

package process

import (
	"fmt"
	"syscall"
)

// Without /proc the runner knows less: kill(0) tells whether a pid or a
// group exists (zombies included) and nothing identifies a process beyond
// its pid.

func startTicks(int) uint64 { return 0 }

func bootID() string { return "" }

func leaderAlive(m meta) bool { return syscall.Kill(m.PID, 0) == nil }

func groupMembers(pgid int) []int {
	if syscall.Kill(-pgid, 0) == nil {
		return []int{pgid}
	}
	return nil
}

func hasJobEnv(int, string) bool { return true }

// Without /proc only the job directories tell which job ids are in use.
func idsInUse() []uint32 { return nil }

// inMemory: without Linux's statfs types the runner cannot tell whether a
// directory lives in memory, so it puts no secret file anywhere.
func inMemory(dir string) error {
	return fmt.Errorf("cannot check that the secrets directory %s is in memory on this system (Linux only)", dir)
}
