package kubetest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// ControlPlane is a running etcd and kube-apiserver.
type ControlPlane struct {
	// Config reaches the API server as an administrator (system:masters).
	Config *rest.Config
	Client kubernetes.Interface
	// URL is the API server's https URL, on 127.0.0.1 (on NodeIP in
	// InNetns's namespace); Token its admin token.
	URL, Token string
	// Dir holds the processes' data and logs; Bin the binaries.
	Dir, Bin string

	mu         sync.Mutex
	kubeconfig string    // written on first use
	scheduler  *exec.Cmd // shared by the nodes, while any runs
	schedUsers int
}

// Bin is the directory of the Kubernetes binaries, failing the test with
// the command that builds them when they are missing.
func Bin(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("HEARTH_K8S_BIN")
	if dir == "" {
		root, err := repoRoot()
		if err != nil {
			t.Fatal(err)
		}
		out, err := exec.CommandContext(context.Background(), "bash", filepath.Join(root, "scripts", "k8s-tools.sh"), "--dir").Output() //nolint:gosec // G204: the repository's own script
		if err != nil {
			t.Fatalf("scripts/k8s-tools.sh --dir: %v", err)
		}
		dir = strings.TrimSpace(string(out))
	}
	for _, b := range []string{"etcd", "kube-apiserver", "kube-scheduler", "kubelet"} {
		if _, err := os.Stat(filepath.Join(dir, b)); err != nil { //nolint:gosec // G703: the build script's own directory
			t.Fatalf("%s is missing from %s: build the Kubernetes test binaries with `make k8s-tools` (about 10 minutes the first time)", b, dir)
		}
	}
	return dir
}

// repoRoot is the directory holding go.work, above the working directory.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("kubetest: no go.work above the working directory")
		}
		dir = parent
	}
}

// FreePort is a TCP port free on 127.0.0.1 a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port
}

// StartControlPlane starts etcd and kube-apiserver, both stopped (API
// server first) when the test ends.
func StartControlPlane(t testing.TB) *ControlPlane {
	t.Helper()
	bin := Bin(t)
	dir, err := os.MkdirTemp("", "hearth-kube-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	cp := &ControlPlane{Dir: dir, Bin: bin, Token: randomHex(t)}

	etcdPort, peerPort := FreePort(t), FreePort(t)
	etcdURL := "http://127.0.0.1:" + strconv.Itoa(etcdPort)
	etcd := start(t, dir, "etcd", filepath.Join(bin, "etcd"),
		"--data-dir", filepath.Join(dir, "etcd"), "--listen-client-urls", etcdURL, "--advertise-client-urls", etcdURL,
		"--listen-peer-urls", "http://127.0.0.1:"+strconv.Itoa(peerPort), "--initial-advertise-peer-urls", "http://127.0.0.1:"+strconv.Itoa(peerPort),
		"--initial-cluster", "default=http://127.0.0.1:"+strconv.Itoa(peerPort), "--unsafe-no-fsync", "--log-level", "warn")

	keyPath, pubPath := serviceAccountKeys(t, dir)
	tokens := filepath.Join(dir, "tokens.csv")
	if err := os.WriteFile(tokens, []byte(cp.Token+",admin,admin,system:masters\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// In InNetns's namespace the API server listens on the node address
	// (pods cannot reach loopback); elsewhere on 127.0.0.1.
	addr := "127.0.0.1"
	if inNetns() {
		addr = NodeIP
	}
	port := FreePort(t)
	cp.URL = "https://" + net.JoinHostPort(addr, strconv.Itoa(port))
	api := start(t, dir, "kube-apiserver", filepath.Join(bin, "kube-apiserver"),
		"--etcd-servers", etcdURL, "--bind-address", addr, "--advertise-address", addr,
		"--secure-port", strconv.Itoa(port), "--cert-dir", filepath.Join(dir, "certs"),
		"--service-account-key-file", pubPath, "--service-account-signing-key-file", keyPath,
		"--service-account-issuer", "https://kubernetes.default.svc", "--token-auth-file", tokens,
		"--authorization-mode", "RBAC", "--service-cluster-ip-range", "10.0.0.0/24",
		"--endpoint-reconciler-type", "none", "--kubelet-preferred-address-types", "InternalIP,Hostname",
		"--allow-privileged=false", "--enable-priority-and-fairness=false")
	t.Cleanup(func() {
		stop(api)
		stop(etcd)
	})

	cp.Config = &rest.Config{Host: cp.URL, BearerToken: cp.Token, TLSClientConfig: rest.TLSClientConfig{Insecure: true}, QPS: 200, Burst: 400}
	cp.Client = kubernetes.NewForConfigOrDie(cp.Config)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for {
		_, err := cp.Client.CoreV1().Namespaces().Get(ctx, "default", metav1.GetOptions{})
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("kube-apiserver did not become ready: %v (logs in %s)", err, dir)
		}
		time.Sleep(200 * time.Millisecond)
	}
	return cp
}

// Namespace creates a namespace with its default ServiceAccount and the
// kube-root-ca.crt ConfigMap a pod's service account token volume needs
// (no controller-manager makes them here).
func (c *ControlPlane) Namespace(t testing.TB, name string) {
	t.Helper()
	ctx := context.Background()
	_, err := c.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	_, err = c.Client.CoreV1().ServiceAccounts(name).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	ca, err := os.ReadFile(filepath.Join(c.Dir, "certs", "apiserver.crt"))
	if err != nil {
		t.Fatalf("the API server's certificate: %v", err)
	}
	_, err = c.Client.CoreV1().ConfigMaps(name).Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "kube-root-ca.crt"}, Data: map[string]string{"ca.crt": string(ca)},
	}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
}

// Kubeconfig is the path of a kubeconfig file reaching the API server as
// its administrator (for kubectl, the kubelet, the scheduler).
func (c *ControlPlane) Kubeconfig(t testing.TB) string {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.kubeconfigLocked(t)
}

func (c *ControlPlane) kubeconfigLocked(t testing.TB) string {
	t.Helper()
	if c.kubeconfig != "" {
		return c.kubeconfig
	}
	path := filepath.Join(c.Dir, "admin.kubeconfig")
	data := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: %s
    insecure-skip-tls-verify: true
users:
- name: admin
  user:
    token: %s
contexts:
- name: test
  context:
    cluster: test
    user: admin
current-context: test
`, c.URL, c.Token)
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	c.kubeconfig = path
	return path
}

func randomHex(t testing.TB) string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b[:])
}

// serviceAccountKeys writes the key pair the API server signs tokens with.
func serviceAccountKeys(t testing.TB, dir string) (keyPath, pubPath string) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	keyPath, pubPath = filepath.Join(dir, "sa.key"), filepath.Join(dir, "sa.pub")
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pubPath, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}), 0o600); err != nil {
		t.Fatal(err)
	}
	return keyPath, pubPath
}

// start runs a binary with its output in dir/<name>.log, in its own
// process group so a stop reaches its children too.
func start(t testing.TB, dir, name, path string, args ...string) *exec.Cmd {
	t.Helper()
	logf, err := os.Create(filepath.Join(dir, name+".log")) //nolint:gosec // G304: the helper's own temporary directory
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(context.Background(), path, args...) //nolint:gosec // G204: test binaries at known paths
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	go func() {
		_ = cmd.Wait()
		_ = logf.Close()
	}()
	return cmd
}

// stop ends a process started by start: SIGTERM, SIGKILL after 10s.
func stop(cmd *exec.Cmd) {
	if cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if err := syscall.Kill(cmd.Process.Pid, 0); err != nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
}

// String names the control plane in messages.
func (c *ControlPlane) String() string { return fmt.Sprintf("kube-apiserver %s (%s)", c.URL, c.Dir) }
