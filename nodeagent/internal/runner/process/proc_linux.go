package process

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// procStat is what the runner needs from /proc/<pid>/stat.
type procStat struct {
	state byte   // R, S, D, Z (zombie), X (dead), …
	pgrp  int    // process group
	start uint64 // start time in clock ticks since boot: with the pid, an identity
}

func readStat(pid int) (procStat, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, err
	}
	// The command name is in parentheses and may hold anything, so fields
	// are counted after the last ')'.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return procStat{}, errors.New("malformed stat")
	}
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 20 {
		return procStat{}, errors.New("malformed stat")
	}
	pgrp, err := strconv.Atoi(f[2])
	if err != nil {
		return procStat{}, fmt.Errorf("malformed stat: %w", err)
	}
	start, err := strconv.ParseUint(f[19], 10, 64)
	if err != nil {
		return procStat{}, fmt.Errorf("malformed stat: %w", err)
	}
	return procStat{state: f[0][0], pgrp: pgrp, start: start}, nil
}

// startTicks is a process's start time, recorded to recognise it later
// (a pid alone may be reused).
func startTicks(pid int) uint64 {
	st, err := readStat(pid)
	if err != nil {
		return 0
	}
	return st.start
}

// leaderAlive reports whether the wrapper recorded in m still runs: same
// boot, same pid and start time, leading its group, not a zombie (PID 1
// does not always reap orphans).
func leaderAlive(m meta) bool {
	if b := bootID(); b != "" && m.BootID != "" && b != m.BootID {
		return false
	}
	st, err := readStat(m.PID)
	if err != nil {
		return false
	}
	return st.state != 'Z' && st.state != 'X' && st.pgrp == m.PID && (m.StartTicks == 0 || st.start == m.StartTicks)
}

// groupMembers lists the live (not zombie) processes of process group pgid.
func groupMembers(pgid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		st, err := readStat(pid)
		if err == nil && st.pgrp == pgid && st.state != 'Z' && st.state != 'X' {
			pids = append(pids, pid)
		}
	}
	return pids
}

// hasJobEnv reports whether pid's environment names the job: how the
// runner recognises a job's leftover processes when it cannot be sure
// their process group id was not reused.
func hasJobEnv(pid int, jobID string) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	if err != nil {
		return false
	}
	want := []byte("HEARTH_JOB_ID=" + jobID)
	for _, kv := range bytes.Split(data, []byte{0}) {
		if bytes.Equal(kv, want) {
			return true
		}
	}
	return false
}

func bootID() string {
	data, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(data))
}

// idsInUse lists every user and group id (real, effective, saved,
// filesystem) of the live processes: a job user id some process still runs
// as is not handed to another job.
func idsInUse() []uint32 {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var ids []uint32
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		data, err := os.ReadFile("/proc/" + e.Name() + "/status")
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n") {
			if !strings.HasPrefix(line, "Uid:") && !strings.HasPrefix(line, "Gid:") {
				continue
			}
			for _, f := range strings.Fields(line)[1:] {
				if id, err := strconv.ParseUint(f, 10, 32); err == nil {
					ids = append(ids, uint32(id))
				}
			}
		}
	}
	return ids
}

// Filesystem types (statfs f_type) that live in memory.
const (
	tmpfsMagic = 0x01021994
	ramfsMagic = 0x858458f6
)

// inMemory reports why dir's filesystem may write to a disk, nil when it
// is a tmpfs or ramfs.
func inMemory(dir string) error {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return fmt.Errorf("the secrets directory %s: %w", dir, err)
	}
	// f_type's Go type differs between architectures; the magic numbers
	// are 32 bits.
	switch fsType := uint32(st.Type); fsType { //nolint:gosec // G115: statfs magic numbers fit 32 bits (see above)
	case tmpfsMagic, ramfsMagic:
		return nil
	default:
		return fmt.Errorf("the secrets directory %s is not on a tmpfs or ramfs (filesystem type %#x): secrets there could reach a disk", dir, fsType)
	}
}
