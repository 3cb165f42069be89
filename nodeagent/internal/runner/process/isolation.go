package process

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/hearth-dev/hearth/nodeagent/internal/runner"
	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
)

// MaxJobSlots bounds the user ids of isolated jobs: a job runs as
// Options.JobUIDBase + slot, slot < MaxJobSlots.
const MaxJobSlots = 65536

// slotMu serialises picking a slot and marking the job directory with it,
// so two Starts (of any Runner in this process) never pick the same one.
var slotMu sync.Mutex

// jobUser is the user and group an isolated job runs as.
type jobUser struct {
	uid, gid uint32
}

// checkUIDBase refuses a base whose range is unusable or overlaps an
// account, a group or a subordinate id range of this machine: a job
// running as an existing user could read that user's files.
func checkUIDBase(base uint32) error {
	if base < 1000 {
		return fmt.Errorf("the job uid base %d is below 1000, the system accounts' range", base)
	}
	last := uint64(base) + MaxJobSlots - 1
	if last >= 1<<32-1 { // (uid_t)-1 means "unchanged" to setuid
		return fmt.Errorf("the job uid base %d is too large: jobs use %d ids from it, below 4294967295", base, MaxJobSlots)
	}
	for _, f := range []struct{ path, what string }{
		{"/etc/passwd", "user"}, {"/etc/group", "group"}, {"/etc/subuid", "subordinate uid range of"}, {"/etc/subgid", "subordinate gid range of"},
	} {
		if err := checkIDFile(f.path, f.what, uint64(base), last); err != nil {
			return err
		}
	}
	return nil
}

// checkIDFile scans a passwd/group file (name:x:id:…) or a subid file
// (name:start:count) for an id in [first, last].
func checkIDFile(path, what string, first, last uint64) error {
	f, err := os.Open(path) //nolint:gosec // G304: fixed system files
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("checking the job uid range: %w", err)
	}
	defer func() { _ = f.Close() }()
	sub := strings.HasPrefix(filepath.Base(path), "sub")
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), ":")
		if len(fields) < 3 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		var lo, hi uint64
		if sub {
			start, err1 := strconv.ParseUint(fields[1], 10, 32)
			count, err2 := strconv.ParseUint(fields[2], 10, 32)
			if err1 != nil || err2 != nil || count == 0 {
				continue
			}
			lo, hi = start, start+count-1
		} else {
			id, err := strconv.ParseUint(fields[2], 10, 32)
			if err != nil {
				continue
			}
			lo, hi = id, id
		}
		if lo <= last && hi >= first {
			return fmt.Errorf("the job uid range %d-%d overlaps the %s %q (%s): choose a --job-uid-base no account uses", first, last, what, fields[0], path)
		}
	}
	return sc.Err()
}

// pickUser chooses the lowest slot that no other job directory next to dir
// is marked with (its group, see isolate) and no live process runs as:
// unique among the agent's jobs, including those an earlier agent process
// started, and never the id of a process a finished job left behind.
// Called with slotMu held; isolate marks dir before it is released.
func (r *Runner) pickUser(dir string) (jobUser, error) {
	used := map[uint32]bool{}
	mark := func(id uint32) {
		if id >= r.uidBase && uint64(id) < uint64(r.uidBase)+MaxJobSlots {
			used[id-r.uidBase] = true
		}
	}
	jobs := filepath.Dir(dir)
	entries, err := os.ReadDir(jobs)
	if err != nil {
		return jobUser{}, err
	}
	for _, e := range entries {
		if e.Name() == filepath.Base(dir) {
			continue
		}
		if st, err := os.Lstat(filepath.Join(jobs, e.Name())); err == nil {
			if sys, ok := st.Sys().(*syscall.Stat_t); ok {
				mark(sys.Gid)
			}
		}
	}
	for _, id := range idsInUse() {
		mark(id)
	}
	for slot := range uint32(MaxJobSlots) {
		if !used[slot] {
			return jobUser{uid: r.uidBase + slot, gid: r.uidBase + slot}, nil
		}
	}
	return jobUser{}, fmt.Errorf("all %d job user ids from %d are in use", MaxJobSlots, r.uidBase)
}

// isolate hands the job directory's writable parts to u and keeps the
// rest root's:
//
//	<dir>/             root:u.gid 0710  the job may enter, not list or write
//	  logs/            root:u.gid 0750  fixed entries: the job cannot swap a
//	    <step>.log     u      0600      log for a symlink the agent (root) would follow
//	  process/         root:u.gid 0750  wrapper.sh, step-<n>.sh root:u.gid 0640;
//	    exit-<step>    u      0600      meta.json root 0600
//	  workspace/ home/ tmp/  u  0700
//
// The group of <dir> doubles as the slot's mark for pickUser. Finally the
// job directory's parent and grandparent (<data-dir>/jobs, <data-dir>)
// become searchable by others (o+x: no listing, their files keep their
// modes) and every directory above must already be.
func isolate(job *agentv1.RunJob, p paths, u jobUser) error {
	chown := func(path string, uid, gid uint32, mode os.FileMode) error {
		if err := os.Lchown(path, int(uid), int(gid)); err != nil {
			return err
		}
		return os.Chmod(path, mode)
	}
	if err := chown(p.dir, 0, u.gid, 0o710); err != nil {
		return err
	}
	for _, d := range []string{p.workspace, p.home, p.tmp} {
		if err := chown(d, u.uid, u.gid, 0o700); err != nil {
			return err
		}
	}
	for _, d := range []string{p.logs, p.state} {
		if err := chown(d, 0, u.gid, 0o750); err != nil {
			return err
		}
	}
	if err := chown(p.wrapper(), 0, u.gid, 0o640); err != nil {
		return err
	}
	for step := range runner.LastStep(job) + 1 {
		if step > 0 {
			if err := chown(p.script(step), 0, u.gid, 0o640); err != nil {
				return err
			}
		}
		for _, f := range []string{runner.LogPath(p.dir, step), p.exit(step)} {
			if err := touch(f); err != nil {
				return err
			}
			if err := chown(f, u.uid, u.gid, 0o600); err != nil {
				return err
			}
		}
	}
	return searchable(p.dir)
}

func touch(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE, 0o600) //nolint:gosec // G304: a file of the job directory the agent owns
	if err != nil {
		return err
	}
	return f.Close()
}

// searchable makes dir's parent and grandparent searchable by others and
// checks the directories above them are, so a job's user can reach its
// directory by absolute path ($HOME, $TMPDIR, `cd "$(pwd)"`).
func searchable(dir string) error {
	p := filepath.Dir(filepath.Clean(dir))
	for i := 0; ; i++ {
		st, err := os.Stat(p)
		if err != nil {
			return err
		}
		if st.Mode().Perm()&0o001 == 0 {
			if i >= 2 {
				return fmt.Errorf("%s is not searchable by other users (mode %s), so jobs running as their own user cannot reach their directory: chmod o+x %s, or choose a --data-dir below searchable directories", p, st.Mode().Perm(), p)
			}
			keep := st.Mode() & (os.ModePerm | os.ModeSetuid | os.ModeSetgid | os.ModeSticky)
			if err := os.Chmod(p, keep|0o001); err != nil {
				return err
			}
		}
		up := filepath.Dir(p)
		if up == p {
			return nil
		}
		p = up
	}
}
