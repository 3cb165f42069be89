//go:build unix && !linux

package process

import "syscall"

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
