package kubetest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Node is a real Kubernetes node: containerd (with runc and the CNI
// bridge) and a kubelet registered with a control plane.
type Node struct {
	// Name is the Node object's name; IP its InternalIP (NodeIP), where
	// the API server reaches the kubelet; PodCIDR the pods' addresses.
	Name, IP, PodCIDR string
	// Dir holds everything the node writes: containerd's root and state,
	// the kubelet's root, configurations and logs (*.log).
	Dir string
	// Socket is containerd's address (for ctr --address).
	Socket string

	t          testing.TB
	cp         *ControlPlane
	slot       int
	cgroup     string // the kubelet's cgroup root, below each hierarchy
	containerd *exec.Cmd
	kubelet    *exec.Cmd
}

// maxNodes bounds the nodes a test binary runs at once (one /24 of
// 10.214.0.0/16 each).
const maxNodes = 200

// StartNode starts containerd and a kubelet for the control plane, and
// kube-scheduler while any node of it runs, and waits until the node is
// Ready with the pause and busybox images (PauseImage, BusyboxImage)
// imported. Everything is stopped, unmounted and removed when the test
// ends. It needs the test binary in its own network namespace (InNetns).
func StartNode(t testing.TB, cp *ControlPlane) *Node {
	t.Helper()
	began := time.Now()
	requireNetns(t)
	requireNodeTools(t)
	n := &Node{t: t, cp: cp, IP: NodeIP, slot: -1}
	t.Cleanup(n.stop)
	n.slot = claimSlot(t)
	n.Name = fmt.Sprintf("hearth-node-%d", n.slot)
	n.PodCIDR = fmt.Sprintf("10.214.%d.0/24", n.slot)
	n.cgroup = fmt.Sprintf("%s-node%d", runID(), n.slot)
	dir, err := os.MkdirTemp("", "hearth-node-")
	if err != nil {
		t.Fatal(err)
	}
	n.Dir, n.Socket = dir, filepath.Join(dir, "containerd.sock")

	images := make(chan error, 1)
	var archive string
	go func() {
		var err error
		archive, err = baseImages()
		images <- err
	}()
	n.startContainerd(t)
	if err := <-images; err != nil {
		t.Fatal(err)
	}
	imported := make(chan error, 1)
	go func() { imported <- n.importArchive(archive) }()
	n.startKubelet(t)
	cp.useScheduler(t)
	if err := <-imported; err != nil {
		t.Fatal(err)
	}
	imagesAt := time.Since(began)
	n.waitReady(t)
	n.logf("node %s ready in %s, images imported after %s (%s)", n.Name, time.Since(began).Round(time.Millisecond), imagesAt.Round(time.Millisecond), n.Dir)
	return n
}

// logf logs on the test that started the node.
func (n *Node) logf(format string, args ...any) {
	n.t.Helper()
	n.t.Logf(format, args...)
}

// requireNodeTools fails the test naming the command that installs what a
// node runs.
func requireNodeTools(t testing.TB) {
	t.Helper()
	for _, tool := range []struct{ path, pkg string }{
		{"containerd", "containerd"}, {"ctr", "containerd"}, {"containerd-shim-runc-v2", "containerd"},
		{"runc", "runc"}, {"/usr/lib/cni/bridge", "containernetworking-plugins"},
		{"/usr/lib/cni/host-local", "containernetworking-plugins"}, {"/usr/lib/cni/loopback", "containernetworking-plugins"},
		{"/bin/busybox", "busybox-static"},
	} {
		if _, err := exec.LookPath(tool.path); err != nil {
			t.Fatalf("%s is missing: apt-get install -y %s (or scripts/tools.sh test)", tool.path, tool.pkg)
		}
	}
}

// claimSlot reserves a node number for the test binary's run (its pod
// subnet, bridge and cgroup), released when the node stops.
func claimSlot(t testing.TB) int {
	t.Helper()
	for i := range maxNodes {
		if err := os.Mkdir(filepath.Join(stateDir, "node-"+strconv.Itoa(i)), 0o700); err == nil {
			return i
		} else if !errors.Is(err, fs.ErrExist) {
			t.Fatal(err)
		}
	}
	t.Fatalf("kubetest: more than %d nodes at once", maxNodes)
	return 0
}

// startContainerd writes containerd's configuration and the CNI network,
// starts it and waits for its socket.
func (n *Node) startContainerd(t testing.TB) {
	t.Helper()
	cni := filepath.Join(n.Dir, "cni")
	if err := os.MkdirAll(cni, 0o700); err != nil {
		t.Fatal(err)
	}
	network := map[string]any{
		"cniVersion": "0.4.0",
		"name":       "hearth-kubetest",
		"plugins": []any{map[string]any{
			"type": "bridge", "bridge": fmt.Sprintf("hearth-br%d", n.slot),
			"isGateway": true, "ipMasq": false, "hairpinMode": true,
			"ipam": map[string]any{
				"type":    "host-local",
				"ranges":  [][]map[string]string{{{"subnet": n.PodCIDR}}},
				"routes":  []map[string]string{{"dst": "0.0.0.0/0"}},
				"dataDir": filepath.Join(n.Dir, "cni-ipam"),
			},
		}},
	}
	writeJSON(t, filepath.Join(cni, "10-hearth.conflist"), network)
	config := filepath.Join(n.Dir, "containerd.toml")
	if err := os.WriteFile(config, []byte(containerdConfig(n.Dir, n.Socket, cni)), 0o600); err != nil {
		t.Fatal(err)
	}
	n.containerd = start(t, n.Dir, "containerd", mustLookPath(t, "containerd"), "--config", config)
	if err := waitFor(20*time.Second, func() bool { _, err := os.Stat(n.Socket); return err == nil }); err != nil {
		t.Fatalf("containerd did not start: %s", tail(filepath.Join(n.Dir, "containerd.log")))
	}
}

// containerdConfig is containerd 1.6's configuration (version 2) with
// everything under dir. The CRI plugin's netns mounts go under its state
// directory; restrict_oom_score_adj because a negative oom_score_adj
// fails without CAP_SYS_RESOURCE ("can't get final child's PID from pipe").
func containerdConfig(dir, socket, cni string) string {
	q := strconv.Quote
	return `version = 2
root = ` + q(filepath.Join(dir, "containerd", "root")) + `
state = ` + q(filepath.Join(dir, "containerd", "state")) + `
temp = ` + q(filepath.Join(dir, "containerd", "tmp")) + `
disabled_plugins = [
  "io.containerd.internal.v1.opt",
  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs",
  "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing",
]

[grpc]
  address = ` + q(socket) + `

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = ` + q(NormalizeImageName(PauseImage)) + `
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  disable_apparmor = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"

  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = ` + q(cni) + `
    max_conf_num = 1

  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"

    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"

      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = ` + q(filepath.Join(dir, "runc")) + `

[plugins."io.containerd.gc.v1.scheduler"]
  startup_delay = "0s"
`
}

// startKubelet writes the kubelet's configuration and starts it.
func (n *Node) startKubelet(t testing.TB) {
	t.Helper()
	if err := makeCgroupRoot(n.cgroup); err != nil {
		t.Fatal(err)
	}
	resolv := filepath.Join(n.Dir, "resolv.conf")
	if err := os.WriteFile(resolv, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	endpoint := "unix://" + n.Socket
	config := filepath.Join(n.Dir, "kubelet.json")
	writeJSON(t, config, map[string]any{
		"apiVersion": "kubelet.config.k8s.io/v1beta1",
		"kind":       "KubeletConfiguration",
		// Served on the node address only, inside the test's namespace:
		// anyone reaching it is the test.
		"address": NodeIP, "port": FreePort(t), "readOnlyPort": 0, "healthzPort": 0,
		"authentication": map[string]any{"anonymous": map[string]any{"enabled": true}, "webhook": map[string]any{"enabled": false}},
		"authorization":  map[string]any{"mode": "AlwaysAllow"},
		"cgroupDriver":   "cgroupfs", "cgroupRoot": "/" + n.cgroup, "cgroupsPerQOS": true,
		"failCgroupV1": false, "failSwapOn": false,
		"containerRuntimeEndpoint": endpoint, "imageServiceEndpoint": endpoint,
		"resolvConf":      resolv,
		"podLogsDir":      filepath.Join(n.Dir, "pod-logs"),
		"volumePluginDir": filepath.Join(n.Dir, "volume-plugins"),
		"staticPodPath":   "",
		// A test machine's full disk must not evict the test's pods, nor
		// collect its images.
		"evictionHard":                map[string]string{"memory.available": "1Mi", "nodefs.available": "1%", "imagefs.available": "1%", "nodefs.inodesFree": "1%"},
		"imageGCHighThresholdPercent": 100, "imageGCLowThresholdPercent": 99,
		"serializeImagePulls": false,
		"kubeAPIQPS":          100, "kubeAPIBurst": 200,
		"nodeStatusUpdateFrequency": "2s",
		"syncFrequency":             "10s",
		"shutdownGracePeriod":       "0s",
	})
	n.kubelet = start(t, n.Dir, "kubelet", filepath.Join(n.cp.Bin, "kubelet"),
		"--config", config, "--kubeconfig", n.cp.Kubeconfig(t),
		"--root-dir", filepath.Join(n.Dir, "kubelet"), "--cert-dir", filepath.Join(n.Dir, "kubelet-pki"),
		"--hostname-override", n.Name, "--node-ip", NodeIP)
}

// waitReady waits until the Node object reports Ready.
func (n *Node) waitReady(t testing.TB) {
	t.Helper()
	var last string
	exited := false
	err := waitFor(90*time.Second, func() bool {
		if exited = syscall.Kill(n.kubelet.Process.Pid, 0) != nil; exited {
			return true
		}
		node, err := n.cp.Client.CoreV1().Nodes().Get(context.Background(), n.Name, metav1.GetOptions{})
		if err != nil {
			last = err.Error()
			return false
		}
		for _, c := range node.Status.Conditions {
			if c.Type == corev1.NodeReady {
				last = fmt.Sprintf("Ready=%s: %s", c.Status, c.Message)
				return c.Status == corev1.ConditionTrue
			}
		}
		last = "no Ready condition yet"
		return false
	})
	if exited {
		t.Fatalf("the kubelet of node %s exited; its log:\n%s", n.Name, tail(filepath.Join(n.Dir, "kubelet.log")))
	}
	if err != nil {
		t.Fatalf("node %s did not become Ready (%s); kubelet log:\n%s", n.Name, last, tail(filepath.Join(n.Dir, "kubelet.log")))
	}
	n.untaint(t)
}

// untaint removes the not-ready taint the kubelet registers the node
// with, as the node lifecycle controller of kube-controller-manager
// (not run here) does once the node is Ready; else nothing is scheduled.
func (n *Node) untaint(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		node, err := n.cp.Client.CoreV1().Nodes().Get(ctx, n.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var keep []corev1.Taint
		for _, taint := range node.Spec.Taints {
			if taint.Key != corev1.TaintNodeNotReady {
				keep = append(keep, taint)
			}
		}
		if len(keep) == len(node.Spec.Taints) {
			return
		}
		node.Spec.Taints = keep
		_, err = n.cp.Client.CoreV1().Nodes().Update(ctx, node, metav1.UpdateOptions{})
		if err == nil {
			return
		}
		if !apierrors.IsConflict(err) {
			t.Fatalf("removing the not-ready taint of node %s: %v", n.Name, err)
		}
	}
}

// stop tears the node down: the kubelet, the pods' processes (by their
// cgroups), containerd and the shims it started (by its socket), the
// mounts under the node's directory, the cgroups and the directory.
func (n *Node) stop() {
	began := time.Now()
	if n.t.Failed() && n.Dir != "" {
		for _, name := range []string{"kubelet", "containerd"} {
			n.t.Logf("the end of node %s's %s log:\n%s", n.Name, name, tail(filepath.Join(n.Dir, name+".log")))
		}
	}
	if n.kubelet != nil {
		stopWithin(n.kubelet, 5*time.Second)
	}
	if n.Name != "" && n.cp != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = n.cp.Client.CoreV1().Nodes().Delete(ctx, n.Name, metav1.DeleteOptions{})
		cancel()
	}
	if n.cgroup != "" {
		killCgroupTree(n.cgroup)
	}
	if n.containerd != nil {
		stopWithin(n.containerd, 5*time.Second)
	}
	if n.Socket != "" {
		killShims(n.Socket)
	}
	if n.Dir != "" {
		if err := unmountUnder(n.Dir); err != nil {
			n.t.Errorf("kubetest: %v; leaving %s in place", err, n.Dir)
		} else {
			_ = os.RemoveAll(n.Dir)
		}
	}
	if n.cgroup != "" {
		for _, h := range cgroupHierarchies() {
			if err := removeCgroupTree(filepath.Join(h, n.cgroup), 10*time.Second); err != nil {
				n.t.Errorf("kubetest: %v", err)
			}
		}
	}
	if n.slot >= 0 {
		_ = os.Remove(filepath.Join(stateDir, "node-"+strconv.Itoa(n.slot)))
	}
	if n.Name != "" {
		n.logf("node %s stopped in %s", n.Name, time.Since(began).Round(time.Millisecond))
	}
}

// killShims kills the containerd-shim-runc-v2 processes serving the
// containerd listening on socket (their -address), and waits until they
// are gone.
func killShims(socket string) {
	find := func() []int {
		var pids []int
		for _, pid := range processes() {
			data, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
			if err != nil {
				continue
			}
			args := strings.Split(strings.TrimRight(string(data), "\x00"), "\x00")
			if len(args) == 0 || !strings.HasPrefix(filepath.Base(args[0]), "containerd-shim") {
				continue
			}
			for i := 0; i+1 < len(args); i++ {
				if args[i] == "-address" && args[i+1] == socket {
					pids = append(pids, pid)
					break
				}
			}
		}
		return pids
	}
	_ = waitFor(5*time.Second, func() bool {
		pids := find()
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		return len(pids) == 0
	})
	_ = waitFor(2*time.Second, func() bool { return reapShims() == 0 })
}

// reapShims waits for the exited shims InNetns's subreaper inherited
// (shims daemonise, leaving containerd): only zombies named
// containerd-shim, so no exit status an exec.Cmd of the test waits for is
// taken. It returns how many are still running.
func reapShims() (running int) {
	for _, pid := range processes() {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		stat := string(data)
		open, end := strings.IndexByte(stat, '('), strings.LastIndexByte(stat, ')')
		if open < 0 || end < open {
			continue
		}
		fields := strings.Fields(stat[end+1:])
		if len(fields) < 2 || !strings.HasPrefix(stat[open+1:end], "containerd-shim") || fields[1] != strconv.Itoa(os.Getpid()) {
			continue
		}
		if fields[0] != "Z" {
			running++
			continue
		}
		var ws syscall.WaitStatus
		_, _ = syscall.Wait4(pid, &ws, syscall.WNOHANG, nil)
	}
	return running
}

// unmountUnder detaches every mount below dir (the kubelet's volumes and
// its rshared root, containerd's rootfs overlays, sandbox /dev/shm and
// network namespace files), deepest first, and fails if any is left.
func unmountUnder(dir string) error {
	prefix := filepath.Clean(dir) + "/"
	for range 5 {
		mounts := mountsUnder(prefix)
		if len(mounts) == 0 {
			return nil
		}
		for i := len(mounts) - 1; i >= 0; i-- {
			_ = syscall.Unmount(mounts[i], syscall.MNT_DETACH)
		}
	}
	if left := mountsUnder(prefix); len(left) > 0 {
		return fmt.Errorf("cannot unmount %s", strings.Join(left, ", "))
	}
	return nil
}

// mountsUnder lists this mount namespace's mount points below prefix, in
// mount order.
func mountsUnder(prefix string) []string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	defer func() { _ = f.Close() }()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		point := unescapeMountinfo(fields[4])
		if strings.HasPrefix(point, prefix) || point == strings.TrimSuffix(prefix, "/") {
			out = append(out, point)
		}
	}
	return out
}

// unescapeMountinfo decodes mountinfo's octal escapes (\040 for a space).
func unescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// useScheduler starts kube-scheduler for the control plane unless a node
// already did; the last node to stop stops it.
func (c *ControlPlane) useScheduler(t testing.TB) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.schedUsers == 0 {
		kubeconfig := c.kubeconfigLocked(t)
		c.scheduler = start(t, c.Dir, "kube-scheduler", filepath.Join(c.Bin, "kube-scheduler"),
			"--kubeconfig", kubeconfig, "--leader-elect=false", "--secure-port=0")
	}
	c.schedUsers++
	t.Cleanup(func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.schedUsers--
		if c.schedUsers == 0 {
			if t.Failed() {
				t.Logf("the end of kube-scheduler's log:\n%s", tail(filepath.Join(c.Dir, "kube-scheduler.log")))
			}
			stopWithin(c.scheduler, 5*time.Second)
			c.scheduler = nil
		}
	})
}

// stopWithin ends a process started by start: SIGTERM, SIGKILL after d.
func stopWithin(cmd *exec.Cmd, d time.Duration) {
	if cmd == nil || cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	if waitFor(d, func() bool { return syscall.Kill(cmd.Process.Pid, 0) != nil }) != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = waitFor(5*time.Second, func() bool { return syscall.Kill(cmd.Process.Pid, 0) != nil })
	}
}

// waitFor polls cond every 50ms until it holds or d has passed.
func waitFor(d time.Duration, cond func() bool) error {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return errors.New("timed out")
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil
}

// tail is the end of a log file, for a failure message.
func tail(path string) string {
	data, err := os.ReadFile(path) //nolint:gosec // G304: the helper's own log files
	if err != nil {
		return err.Error()
	}
	const max = 4000
	if len(data) > max {
		data = data[len(data)-max:]
	}
	return string(data)
}

func writeJSON(t testing.TB, path string, v any) {
	t.Helper()
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func mustLookPath(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is missing: apt-get install -y %s", name, name)
	}
	return p
}
