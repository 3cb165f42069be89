package kubeagent

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/hearth-dev/hearth/nodeagent/internal/identity"
	"github.com/hearth-dev/hearth/nodeagent/internal/kubeclient"
	"github.com/hearth-dev/hearth/nodeagent/kubetest"
)

var cluster *kubetest.ControlPlane

func TestMain(m *testing.M) {
	os.Exit(kubetest.MainWithControlPlane(m, func(cp *kubetest.ControlPlane) { cluster = cp }))
}

func newClient(t *testing.T, ns string) *kubeclient.Client {
	t.Helper()
	cluster.Namespace(t, ns)
	c, err := kubeclient.New(cluster.Config, ns)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestSecretStoreRoundTrip: an empty Secret holds no identity
// (fs.ErrNotExist, so the agent registers); a saved identity loads back;
// a missing Secret is a clear error, since the agent may not create it.
func TestSecretStoreRoundTrip(t *testing.T) {
	c := newClient(t, "identity")
	ctx := context.Background()
	s := SecretStore{Client: c, Name: "agent-identity"}
	if _, err := s.Load(ctx); err == nil || !strings.Contains(err.Error(), "does not exist") || errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing Secret: %v", err)
	}
	if _, err := cluster.Client.CoreV1().Secrets("identity").Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "agent-identity"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load(ctx); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("empty Secret: %v", err)
	}
	id := identity.Identity{AgentID: "00000000-0000-7000-8000-000000000001", ClusterID: "00000000-0000-7000-8000-c00000000001", Credential: "hac_" + strings.Repeat("x", 40), IssuedAt: time.Now().UTC().Truncate(time.Second)}
	if err := s.Save(ctx, id); err != nil {
		t.Fatal(err)
	}
	got, err := s.Load(ctx)
	if err != nil || got != id {
		t.Fatalf("loaded %+v, %v; want %+v", got, err, id)
	}
	if err := s.Save(ctx, identity.Identity{}); err == nil {
		t.Fatal("an invalid identity was saved")
	}
}

func lease(c *kubeclient.Client, holder string) *Lease {
	return &Lease{Client: c, Name: "agent", Holder: holder, Duration: 3 * time.Second, Log: zerolog.Nop()}
}

// TestLeaseElectsOneReplica: while one replica holds the Lease the other
// waits; a release hands it over at once; a holder that dies (stops
// renewing without releasing) loses it after the duration.
func TestLeaseElectsOneReplica(t *testing.T) {
	c := newClient(t, "lease")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, b := lease(c, "replica-a"), lease(c, "replica-b")
	heldA, releaseA, err := a.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// B's context ending stops its renewals without giving the lease up:
	// what a crash of B does.
	bctx, crashB := context.WithCancel(ctx)
	defer crashB()
	gotB := make(chan struct{})
	go func() {
		if _, _, err := b.Acquire(bctx); err == nil {
			close(gotB)
		}
	}()
	select {
	case <-gotB:
		t.Fatal("both replicas hold the lease")
	case <-time.After(5 * time.Second): // longer than the duration: A renews
	}
	if heldA.Err() != nil {
		t.Fatalf("A lost a lease it renews: %v", context.Cause(heldA))
	}
	start := time.Now()
	releaseA()
	select {
	case <-gotB:
	case <-time.After(5 * time.Second):
		t.Fatal("B did not take the released lease")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("B took %v to take a released lease", d)
	}

	c2 := lease(c, "replica-c")
	gotC := make(chan struct{})
	go func() {
		if _, _, err := c2.Acquire(ctx); err == nil {
			close(gotC)
		}
	}()
	select {
	case <-gotC:
		t.Fatal("C took a lease B renews")
	case <-time.After(4 * time.Second):
	}
	crashB()
	crashed := time.Now()
	select {
	case <-gotC:
	case <-time.After(10 * time.Second):
		t.Fatal("C never took over a lease nobody renews")
	}
	if d := time.Since(crashed); d < 2*time.Second {
		t.Errorf("C took the lease %v after B's crash, before it could have expired", d)
	}
}
