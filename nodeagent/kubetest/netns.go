package kubetest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const (
	// NodeIP is the node address InNetns gives the test binary's network
	// namespace (on an interface that exists only there): the
	// kubelet's InternalIP, and the address a test's own servers listen on
	// when pods must reach them.
	NodeIP = "10.213.0.1"
	// nodeIface carries NodeIP.
	nodeIface = "hearth0"
	// netnsEnv marks the re-executed test binary; its value is the run's
	// scratch directory, whose name names the run (cgroups made by the
	// run's nodes start with it).
	netnsEnv = "HEARTH_KUBETEST_NETNS"
	// stateDir, on the namespace's private /run, holds what the helpers
	// share across tests of the binary (node slots, the base images).
	stateDir = "/run/hearth-kubetest"
	// prSetChildSubreaper is PR_SET_CHILD_SUBREAPER (linux/prctl.h).
	prSetChildSubreaper = 36
)

// InNetns runs the test binary's tests in a network and mount namespace
// of their own; call it from TestMain as os.Exit(kubetest.InNetns(m)).
// The first call re-executes the binary in new namespaces, forwards its
// output, signals and exit code, and afterwards kills whatever the run
// left in its namespace; in the re-executed binary it prepares the
// namespaces and runs the tests. See the package documentation for why.
func InNetns(m *testing.M) int { return InNetnsRun(m.Run) }

// InNetnsRun is InNetns for a TestMain that wraps m.Run (for example in
// testsvc.Run): run is called in the re-executed binary only.
func InNetnsRun(run func() int) int {
	if os.Getenv(netnsEnv) != "" {
		if err := setupNamespaces(); err != nil {
			fmt.Fprintf(os.Stderr, "kubetest: preparing the test namespaces: %v\n", err)
			return 1
		}
		return run()
	}
	return reexecInNamespaces()
}

// inNetns reports whether this process is the re-executed test binary.
func inNetns() bool { return os.Getenv(netnsEnv) != "" }

// runID names this run of the test binary (empty outside InNetns).
func runID() string {
	if !inNetns() {
		return ""
	}
	return filepath.Base(os.Getenv(netnsEnv))
}

// reexecInNamespaces is the outer half of InNetns.
func reexecInNamespaces() int {
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "kubetest: InNetns needs root (network namespaces, a kubelet)")
		return 1
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintf(os.Stderr, "kubetest: %v\n", err)
		return 1
	}
	// The run's scratch directory: the test binary's TMPDIR, and the
	// private writable layers of the directories the node writes to
	// outside its own (see setupNamespaces). Removed after the run,
	// whatever the run left in it.
	scratch, err := os.MkdirTemp("", "hearth-kubetest-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "kubetest: %v\n", err)
		return 1
	}
	defer func() { _ = os.RemoveAll(scratch) }()
	// Traversable by other users (not listable), as /tmp is: services a
	// test starts under other users (PostgreSQL as postgres) keep their
	// directories below TMPDIR.
	tmp := filepath.Join(scratch, "tmp")
	err = os.Mkdir(tmp, 0o700)
	for _, dir := range []string{scratch, tmp} {
		if err == nil {
			err = os.Chmod(dir, 0o711) //nolint:gosec // G302: traversable only, as /tmp
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "kubetest: %v\n", err)
		return 1
	}
	cmd := exec.CommandContext(context.Background(), self, os.Args[1:]...) //nolint:gosec // G204: the test binary itself, with its own arguments
	cmd.Env = append(os.Environ(), netnsEnv+"="+scratch, "TMPDIR="+tmp)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET | syscall.CLONE_NEWNS, Pdeathsig: syscall.SIGKILL}
	signals := make(chan os.Signal, 4)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGQUIT)
	defer signal.Stop(signals)
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "kubetest: re-executing the test binary in a new network namespace: %v\n", err)
		return 1
	}
	// Holding the namespace open keeps its identity from being reused
	// before the sweep below is done.
	ns, nsErr := os.Open(fmt.Sprintf("/proc/%d/ns/net", cmd.Process.Pid))
	done := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-signals:
				_ = cmd.Process.Signal(s)
			case <-done:
				return
			}
		}
	}()
	err = cmd.Wait()
	close(done)
	if nsErr == nil {
		sweepNamespace(ns, filepath.Base(scratch))
		_ = ns.Close()
	}
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exitErr) && exitErr.ExitCode() > 0:
		return exitErr.ExitCode()
	default:
		fmt.Fprintf(os.Stderr, "kubetest: the test binary in the network namespace: %v\n", err)
		return 1
	}
}

// sweepNamespace kills the processes still in the run's network namespace
// (a crashed test's kubelet, containerd, shims and containers: no process
// of the machine's own is ever in it) and removes the run's cgroups. The
// mounts made in the run's mount namespace go with its last process.
func sweepNamespace(ns *os.File, id string) {
	var want syscall.Stat_t
	if err := syscall.Fstat(int(ns.Fd()), &want); err != nil {
		return
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		left := 0
		for _, pid := range processes() {
			var st syscall.Stat_t
			if err := syscall.Stat(fmt.Sprintf("/proc/%d/ns/net", pid), &st); err != nil || st.Dev != want.Dev || st.Ino != want.Ino {
				continue
			}
			left++
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		if left == 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, dir := range cgroupHierarchies() {
		matches, _ := filepath.Glob(filepath.Join(dir, id+"*"))
		for _, m := range matches {
			_ = removeCgroupTree(m, 5*time.Second)
		}
	}
}

// processes lists the ids of the machine's processes.
func processes() []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

// setupNamespaces is the inner half of InNetns: mounts private to the
// namespace, private layers over /run, /var/lib and /var/log, the
// kubelet's sysctls, lo up and the node's interface.
func setupNamespaces() error {
	if err := syscall.Mount("", "/", "", syscall.MS_REC|syscall.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("making mounts private: %w", err)
	}
	// containerd's shims daemonise: as a subreaper the test binary, not
	// the machine's init, inherits them, and reaps them (reapShims).
	if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0); errno != 0 {
		return fmt.Errorf("becoming a subreaper: %w", errno)
	}
	if err := privateLayers(filepath.Join(os.Getenv(netnsEnv), "layers"), "/run", "/var/lib", "/var/log"); err != nil {
		return err
	}
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return err
	}
	if err := kernelTunables(); err != nil {
		return err
	}
	ip, err := exec.LookPath("ip")
	if err != nil {
		return errors.New("the ip command is missing: apt-get install -y iproute2")
	}
	for _, args := range [][]string{
		{"link", "set", "lo", "up"},
		// A bridge without ports rather than a dummy interface: the CNI
		// bridge needs the kernel's bridge support anyway, while some
		// kernels (Firecracker's) lack the dummy driver.
		{"link", "add", nodeIface, "type", "bridge"},
		{"addr", "add", NodeIP + "/24", "dev", nodeIface},
		{"link", "set", nodeIface, "up"},
	} {
		if out, err := exec.CommandContext(context.Background(), ip, args...).CombinedOutput(); err != nil { //nolint:gosec // G204: fixed arguments
			return fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, out)
		}
	}
	return nil
}

// privateLayers lays a writable overlay over each dir, its upper layer on
// a tmpfs mounted at scratch, all in this mount namespace: the test binary
// still reads what the machine holds there, and what the node writes
// there regardless of its configuration (containerd shims' sockets in
// /run/containerd, the CNI result cache in /var/lib/cni, the kubelet's
// device plugin socket in /var/lib/kubelet, container log links in
// /var/log/containers) never reaches the machine and vanishes with the
// namespace.
func privateLayers(scratch string, dirs ...string) error {
	if err := os.MkdirAll(scratch, 0o700); err != nil { //nolint:gosec // G703: the run's own scratch directory, made by the outer process
		return err
	}
	if err := syscall.Mount("tmpfs", scratch, "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, "mode=0700"); err != nil {
		return fmt.Errorf("mounting a tmpfs on %s: %w", scratch, err)
	}
	for _, dir := range dirs {
		layer := filepath.Join(scratch, strings.ReplaceAll(strings.Trim(dir, "/"), "/", "-"))
		upper, work := filepath.Join(layer, "upper"), filepath.Join(layer, "work")
		for _, d := range []string{upper, work} {
			if err := os.MkdirAll(d, 0o700); err != nil { //nolint:gosec // G703: below the run's own scratch directory
				return err
			}
		}
		st, err := os.Stat(dir)
		if err != nil {
			return err
		}
		if err := os.Chmod(upper, st.Mode().Perm()); err != nil { //nolint:gosec // G703: below the run's own scratch directory
			return err
		}
		opts := "lowerdir=" + dir + ",upperdir=" + upper + ",workdir=" + work
		if err := syscall.Mount("overlay", dir, "overlay", 0, opts); err != nil {
			return fmt.Errorf("laying a private layer over %s: %w", dir, err)
		}
	}
	return nil
}

// kernelTunables shows the kubelet the kernel settings it insists on, so
// it does not rewrite them for the whole machine (vm.overcommit_memory,
// kernel.panic, ...): a file holding the value it wants is bind-mounted
// over each differing /proc/sys entry, in this mount namespace only. The
// kernel keeps its real settings.
func kernelTunables() error {
	want := map[string]string{ // the kubelet's setupKernelTunables
		"vm/overcommit_memory":      "1",
		"vm/panic_on_oom":           "0",
		"kernel/panic":              "10",
		"kernel/panic_on_oops":      "1",
		"kernel/keys/root_maxkeys":  "1000000",
		"kernel/keys/root_maxbytes": "25000000",
	}
	dir := filepath.Join(stateDir, "sysctl")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	for key, value := range want {
		path := filepath.Join("/proc/sys", key)
		cur, err := os.ReadFile(path) //nolint:gosec // G304: fixed /proc/sys paths
		if err != nil || strings.TrimSpace(string(cur)) == value {
			continue
		}
		stand := filepath.Join(dir, strings.ReplaceAll(key, "/", "."))
		if err := os.WriteFile(stand, []byte(value+"\n"), 0o600); err != nil {
			return err
		}
		if err := syscall.Mount(stand, path, "", syscall.MS_BIND, ""); err != nil {
			return fmt.Errorf("hiding %s from the kubelet: %w", path, err)
		}
	}
	return nil
}

// requireNetns fails a test that needs InNetns without it.
func requireNetns(t testing.TB) {
	t.Helper()
	if !inNetns() {
		t.Fatal("kubetest: a node needs the test binary in its own network namespace: call os.Exit(kubetest.InNetns(m)) from TestMain")
	}
	if _, err := net.InterfaceByName(nodeIface); err != nil {
		t.Fatalf("kubetest: the node interface %s is missing (%v): is TestMain calling kubetest.InNetns?", nodeIface, err)
	}
}
