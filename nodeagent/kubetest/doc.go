// Package kubetest starts a real Kubernetes control plane for tests: etcd
// and kube-apiserver, built from source by scripts/k8s-tools.sh (make
// k8s-tools), with a token for an administrator. A test without those
// binaries fails with the command that builds them.
//
// There is no kube-controller-manager: a namespace made with Namespace
// gets its default ServiceAccount and kube-root-ca.crt ConfigMap from the
// helper, nothing garbage-collects, and Jobs do not run.
//
// # Real pods
//
// StartNode adds a real node: containerd (Debian's containerd 1.6 with
// runc and the CNI bridge plugin), a kubelet, and kube-scheduler while any
// node runs, so pods created without a node name are scheduled and run
// for real; logs, exec and attach go API server → kubelet → containerd as
// in a cluster. Images never come from a registry: the node starts with
// PauseImage (a tiny static Go program, testdata/pause) and BusyboxImage,
// and Node.ImportImage builds more from files (an OCI layout written in
// Go, imported with ctr). Pods must use imagePullPolicy Never or
// IfNotPresent (the default for tags other than latest). The node's
// processes, pods, mounts and cgroups are removed when the test ends.
//
// A node needs root and the test binary in network and mount namespaces
// of its own: TestMain calls
//
//	func TestMain(m *testing.M) { os.Exit(kubetest.InNetns(m)) }
//
// which re-executes the binary there. Why:
//
//   - Pods sit on a CNI bridge and cannot reach the machine's loopback,
//     and the API server must reach the kubelet on the node's InternalIP,
//     which cannot be loopback either. Tests may send traffic only to
//     loopback or to namespaces they create, never to an address of the
//     machine's own interfaces: so the node address (NodeIP, on an
//     interface that exists only in the test's network namespace) and
//     the pods' bridge live in a namespace the test made, and everything
//     (etcd, the API server, containerd, the kubelet, pods and the test's
//     own servers) runs in it. There StartControlPlane listens on NodeIP,
//     and a server of the test that pods must reach listens on NodeIP too.
//   - The kubelet and containerd write outside any directory they are
//     given (shim sockets in /run/containerd, the CNI cache in
//     /var/lib/cni, the device plugin socket in /var/lib/kubelet, log
//     links in /var/log/containers) and the kubelet rewrites kernel
//     settings (vm.overcommit_memory, kernel.panic, ...) unless they
//     already have its values. In the private mount namespace those
//     directories get a writable layer of their own, and the settings
//     are shown to the kubelet with its values without changing the
//     kernel's. Mounts made there (volumes, container root filesystems)
//     never appear on the machine.
//   - If the binary dies mid-test (a panic, -timeout), the outer process
//     kills what is left in the namespace (shims, containers) and
//     removes the run's cgroups and its scratch directory (the binary's
//     TMPDIR).
//
// # The simulated node
//
// StartSimNode plays a node for fast runs, in any test binary (no
// namespaces needed): it binds unscheduled pods to itself, runs their
// containers as host processes (the job's script under sh, with its paths
// mapped to a directory per pod) or, for the kubernetes runner's helper
// commands, as the Go functions of package podjob, serves the kubelet's
// log, exec and attach API on 127.0.0.1 (the API server proxies to it as
// to a kubelet), and drives pod status and events as a kubelet would.
// SimOptions script exit codes, pull failures, unschedulable pods, late
// status reports and cut log connections (BreakLogStreams). It never
// replaces the real node in make test: it is for the runner's fast
// scenarios and for load (50 concurrent jobs in under 3 s).
package kubetest
