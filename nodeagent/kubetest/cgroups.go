package kubetest

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const cgroupFS = "/sys/fs/cgroup"

// ownCgroup reports whether name is a cgroup of a kubetest run (below a
// hierarchy's root, named after the run): the only cgroups these helpers
// create, kill in or remove.
func ownCgroup(name string) bool {
	return strings.HasPrefix(name, "hearth-kubetest-") && !strings.ContainsAny(name, "/.")
}

// cgroupHierarchies lists the mounted cgroup hierarchies (v1 controllers,
// a hybrid host's unified tree, or the one v2 tree).
func cgroupHierarchies() []string {
	var st syscall.Statfs_t
	if err := syscall.Statfs(cgroupFS, &st); err == nil && st.Type == 0x63677270 { // CGROUP2_SUPER_MAGIC: v2 only
		return []string{cgroupFS}
	}
	entries, _ := os.ReadDir(cgroupFS)
	var dirs []string
	for _, e := range entries {
		if e.IsDir() {
			dirs = append(dirs, filepath.Join(cgroupFS, e.Name()))
		}
	}
	return dirs
}

// makeCgroupRoot creates the cgroup a node's kubelet puts its pods under
// (the kubelet insists it exists) in every hierarchy, with the cpuset of
// the machine so tasks may join its children.
func makeCgroupRoot(name string) error {
	if !ownCgroup(name) {
		return fmt.Errorf("kubetest: refusing to create cgroup %q", name)
	}
	for _, h := range cgroupHierarchies() {
		dir := filepath.Join(h, name)
		if err := os.Mkdir(dir, 0o750); err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("creating cgroup %s: %w", dir, err)
		}
		for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
			v, err := os.ReadFile(filepath.Join(h, f)) //nolint:gosec // G304: the cgroup filesystem
			if err != nil {
				continue
			}
			if err := os.WriteFile(filepath.Join(dir, f), v, 0o644); err != nil { //nolint:gosec // G306: a cgroup file, mode ignored
				return fmt.Errorf("setting %s/%s: %w", dir, f, err)
			}
		}
	}
	return nil
}

// killCgroupTree sends SIGKILL to every process in the cgroup tree called
// name (relative to each hierarchy's root): the node's pods, nothing else.
func killCgroupTree(name string) {
	if !ownCgroup(name) {
		return
	}
	for _, h := range cgroupHierarchies() {
		_ = filepath.WalkDir(filepath.Join(h, name), func(path string, d fs.DirEntry, err error) error {
			if err != nil || !d.IsDir() {
				return nil //nolint:nilerr // a cgroup that vanished meanwhile has nothing left to kill
			}
			data, _ := os.ReadFile(filepath.Join(path, "cgroup.procs")) //nolint:gosec // G304: the cgroup filesystem
			for _, f := range strings.Fields(string(data)) {
				if pid, err := strconv.Atoi(f); err == nil && pid > 0 {
					_ = syscall.Kill(pid, syscall.SIGKILL)
				}
			}
			return nil
		})
	}
}

// removeCgroupTree removes a cgroup directory and its children, deepest
// first, killing the processes it still holds and retrying while they die.
func removeCgroupTree(dir string, within time.Duration) error {
	if !ownCgroup(filepath.Base(dir)) || filepath.Dir(filepath.Dir(dir)) != cgroupFS && filepath.Dir(dir) != cgroupFS {
		return fmt.Errorf("kubetest: refusing to remove cgroup %s", dir)
	}
	deadline := time.Now().Add(within)
	for {
		var dirs []string
		_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, path)
			}
			return nil
		})
		if len(dirs) == 0 {
			return nil
		}
		sort.Slice(dirs, func(i, j int) bool { return len(dirs[i]) > len(dirs[j]) })
		var last error
		for _, d := range dirs {
			data, _ := os.ReadFile(filepath.Join(d, "cgroup.procs")) //nolint:gosec // G304: the cgroup filesystem
			for _, f := range strings.Fields(string(data)) {
				if pid, err := strconv.Atoi(f); err == nil && pid > 0 {
					_ = syscall.Kill(pid, syscall.SIGKILL)
				}
			}
			if err := syscall.Rmdir(d); err != nil && !errors.Is(err, syscall.ENOENT) {
				last = fmt.Errorf("removing cgroup %s: %w", d, err)
			}
		}
		if last == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return last
		}
		time.Sleep(50 * time.Millisecond)
	}
}
