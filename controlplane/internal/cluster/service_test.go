package cluster_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/cluster"
	"github.com/hearth-dev/hearth/controlplane/internal/store"
	"github.com/hearth-dev/hearth/controlplane/testsvc"
)

func TestMain(m *testing.M) { testsvc.Main(m) }

// clock is an injectable clock tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type fixture struct {
	svc   *cluster.Service
	db    *store.DB
	clock *clock
}

const overlap = time.Hour

func newFixture(t *testing.T) fixture {
	t.Helper()
	db := testsvc.NewDatabase(t)
	clk := &clock{t: time.Now().UTC().Truncate(time.Microsecond)}
	svc, err := cluster.New(cluster.Deps{DB: db, Logger: testsvc.Logger(t), CredentialOverlap: overlap, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	return fixture{svc: svc, db: db, clock: clk}
}

func kindOf(err error) apperr.Kind {
	if e, ok := apperr.As(err); ok {
		return e.Kind
	}
	return 0
}

func wantKind(t *testing.T, what string, err error, want apperr.Kind) {
	t.Helper()
	if got := kindOf(err); got != want {
		t.Fatalf("%s: error %v (kind %d), want kind %d", what, err, got, want)
	}
}

func (f fixture) auditCount(t *testing.T, action string) int {
	t.Helper()
	var n int
	if err := f.db.Pool.QueryRow(t.Context(), "SELECT count(*) FROM audit_events WHERE action = $1", action).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func (f fixture) cluster(t *testing.T, name string) cluster.Cluster {
	t.Helper()
	c, err := f.svc.CreateCluster(t.Context(), name, map[string]string{"region": "eu-west-1"})
	if err != nil {
		t.Fatalf("create cluster %s: %v", name, err)
	}
	return c
}

func (f fixture) token(t *testing.T, clusterID uuid.UUID, maxUses int, ttl time.Duration) (cluster.JoinToken, string) {
	t.Helper()
	tok, secret, err := f.svc.CreateJoinToken(t.Context(), clusterID, cluster.NewJoinToken{ExpiresAt: f.clock.Now().Add(ttl), MaxUses: maxUses})
	if err != nil {
		t.Fatalf("create join token: %v", err)
	}
	return tok, secret
}

func registration(token string) cluster.Registration {
	return cluster.Registration{
		JoinToken: token, Name: "node-1.example", Labels: map[string]string{"arch": "amd64"},
		RunnerKind: "process", ProtocolVersion: cluster.ProtocolVersion,
	}
}

func TestCreateCluster(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	c := f.cluster(t, "prod-eu")
	if c.Name != "prod-eu" || c.Labels["region"] != "eu-west-1" || c.ID == uuid.Nil {
		t.Fatalf("created %+v", c)
	}
	got, err := f.svc.GetCluster(ctx, c.ID)
	if err != nil || got.Name != "prod-eu" || got.Labels["region"] != "eu-west-1" {
		t.Fatalf("get: %+v %v", got, err)
	}
	_, err = f.svc.CreateCluster(ctx, "prod-eu", nil)
	wantKind(t, "duplicate", err, apperr.KindConflict)
	for _, bad := range []string{"", "a", "Prod", "1abc", "with_underscore", "-x", strings.Repeat("a", 64), "ünï"} {
		_, err := f.svc.CreateCluster(ctx, bad, nil)
		wantKind(t, "name "+bad, err, apperr.KindInvalid)
	}
	for _, labels := range []map[string]string{
		{"": "x"}, {"-bad": "x"}, {"ok": "has space"}, {"ok": strings.Repeat("v", 64)}, {strings.Repeat("k", 64): "v"},
	} {
		_, err := f.svc.CreateCluster(ctx, "labelled", labels)
		wantKind(t, "labels", err, apperr.KindInvalid)
	}
	if _, err := f.svc.CreateCluster(ctx, "ab", map[string]string{"kubernetes.io/arch": "", "a": "b"}); err != nil {
		t.Fatalf("minimal name and valid labels: %v", err)
	}
	list, err := f.svc.ListClusters(ctx)
	if err != nil || len(list) != 2 || list[0].Name != "ab" || list[1].Name != "prod-eu" {
		t.Fatalf("list: %+v %v", list, err)
	}
	_, err = f.svc.GetCluster(ctx, uuid.New())
	wantKind(t, "unknown cluster", err, apperr.KindNotFound)
	if n := f.auditCount(t, "cluster.create"); n != 2 {
		t.Fatalf("%d cluster.create audit rows, want 2", n)
	}
}

func TestJoinTokens(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	c := f.cluster(t, "prod")
	other := f.cluster(t, "other")

	tok, secret := f.token(t, c.ID, 1, time.Hour)
	if !strings.HasPrefix(secret, cluster.JoinTokenPrefix) || len(secret) != 47 || secret[4:12] != tok.Prefix {
		t.Fatalf("secret %q, prefix %q", secret, tok.Prefix)
	}
	var hash []byte
	if err := f.db.Pool.QueryRow(ctx, "SELECT token_hash FROM cluster_join_tokens WHERE id = $1", tok.ID).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	if len(hash) != 32 || strings.Contains(string(hash), secret[4:]) {
		t.Fatal("the secret must be stored as its SHA-256 only")
	}

	now := f.clock.Now()
	for name, in := range map[string]cluster.NewJoinToken{
		"no expiry":       {MaxUses: 1},
		"past expiry":     {MaxUses: 1, ExpiresAt: now.Add(-time.Second)},
		"beyond 30 days":  {MaxUses: 1, ExpiresAt: now.Add(31 * 24 * time.Hour)},
		"negative uses":   {MaxUses: -1, ExpiresAt: now.Add(time.Hour)},
		"too many uses":   {MaxUses: cluster.MaxJoinTokenUses + 1, ExpiresAt: now.Add(time.Hour)},
		"control in desc": {MaxUses: 1, ExpiresAt: now.Add(time.Hour), Description: "a\x00b"},
	} {
		_, _, err := f.svc.CreateJoinToken(ctx, c.ID, in)
		wantKind(t, name, err, apperr.KindInvalid)
	}
	if _, _, err := f.svc.CreateJoinToken(ctx, c.ID, cluster.NewJoinToken{ExpiresAt: now.Add(cluster.MaxJoinTokenLifetime)}); err != nil {
		t.Fatalf("30 days, unlimited: %v", err)
	}
	_, _, err := f.svc.CreateJoinToken(ctx, uuid.New(), cluster.NewJoinToken{MaxUses: 1, ExpiresAt: now.Add(time.Hour)})
	wantKind(t, "unknown cluster", err, apperr.KindNotFound)

	list, err := f.svc.ListJoinTokens(ctx, c.ID)
	if err != nil || len(list) != 2 {
		t.Fatalf("list: %+v %v", list, err)
	}
	// Scoped to the cluster: another cluster's id does not find the token.
	wantKind(t, "revoke in other cluster", f.svc.RevokeJoinToken(ctx, other.ID, tok.ID), apperr.KindNotFound)
	if err := f.svc.RevokeJoinToken(ctx, c.ID, tok.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.RevokeJoinToken(ctx, c.ID, tok.ID); err != nil {
		t.Fatalf("revoking again: %v", err)
	}
	list, _ = f.svc.ListJoinTokens(ctx, c.ID)
	for _, l := range list {
		if (l.ID == tok.ID) != (l.RevokedAt != nil) {
			t.Fatalf("revoked state of %+v", l)
		}
	}
	_, _, err = f.svc.Register(ctx, registration(secret))
	wantKind(t, "register with a revoked token", err, apperr.KindUnauthenticated)
	if f.auditCount(t, "cluster.join_token.create") != 2 || f.auditCount(t, "cluster.join_token.revoke") != 1 {
		t.Fatal("join token audit rows")
	}
}

func TestRegister(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	c := f.cluster(t, "prod")
	tok, secret := f.token(t, c.ID, 2, time.Hour)

	a, cred, err := f.svc.Register(ctx, registration(secret))
	if err != nil {
		t.Fatal(err)
	}
	if a.ClusterID != c.ID || a.Name != "node-1.example" || a.Labels["arch"] != "amd64" || a.RunnerKind != "process" ||
		!strings.HasPrefix(cred, cluster.CredentialPrefix) || len(cred) != 47 {
		t.Fatalf("registered %+v with %q", a, cred)
	}
	got, err := f.svc.AuthenticateAgent(ctx, cred)
	if err != nil || got.ID != a.ID {
		t.Fatalf("authenticate: %+v %v", got, err)
	}

	// Failed registrations consume nothing: the token still has one use.
	bad := registration(secret)
	bad.Name = "bad name"
	_, _, err = f.svc.Register(ctx, bad)
	wantKind(t, "bad name", err, apperr.KindInvalid)
	bad = registration(secret)
	bad.ProtocolVersion = 99
	_, _, err = f.svc.Register(ctx, bad)
	wantKind(t, "protocol version", err, apperr.KindFailedPrecondition)
	bad = registration(secret)
	bad.Labels = map[string]string{"bad key": "x"}
	_, _, err = f.svc.Register(ctx, bad)
	wantKind(t, "bad labels", err, apperr.KindInvalid)

	if _, _, err := f.svc.Register(ctx, registration(secret)); err != nil {
		t.Fatalf("second use: %v", err)
	}
	_, _, err = f.svc.Register(ctx, registration(secret))
	wantKind(t, "exhausted", err, apperr.KindUnauthenticated)
	list, _ := f.svc.ListJoinTokens(ctx, c.ID)
	if len(list) != 1 || list[0].ID != tok.ID || list[0].Uses != 2 {
		t.Fatalf("uses: %+v", list)
	}

	// Forged and unknown tokens.
	forged := cluster.JoinTokenPrefix + strings.Repeat("A", 43)
	for _, s := range []string{"", "hjt_", "hth_" + secret[4:], secret + "x", forged, strings.ToUpper(secret)} {
		_, _, err := f.svc.Register(ctx, registration(s))
		wantKind(t, "token "+s, err, apperr.KindUnauthenticated)
	}

	// Expiry.
	_, short := f.token(t, c.ID, 0, time.Minute)
	f.clock.Advance(time.Minute)
	_, _, err = f.svc.Register(ctx, registration(short))
	wantKind(t, "expired", err, apperr.KindUnauthenticated)

	agents, err := f.svc.ListAgents(ctx, c.ID)
	if err != nil || len(agents) != 2 {
		t.Fatalf("agents: %+v %v", agents, err)
	}
	if n := f.auditCount(t, "cluster.agent.register"); n != 2 {
		t.Fatalf("%d register audit rows, want 2", n)
	}
	var credentials int
	if err := f.db.Pool.QueryRow(ctx, "SELECT count(*) FROM cluster_agent_credentials").Scan(&credentials); err != nil || credentials != 2 {
		t.Fatalf("%d credentials (%v), want 2: failed registrations must leave nothing", credentials, err)
	}
}

func TestRegisterSingleUseConcurrently(t *testing.T) {
	f := newFixture(t)
	c := f.cluster(t, "prod")
	_, secret := f.token(t, c.ID, 1, time.Hour)
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, errs[i] = f.svc.Register(context.Background(), registration(secret))
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case kindOf(err) != apperr.KindUnauthenticated:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d registrations succeeded with a single-use token, want exactly 1", ok)
	}
	agents, _ := f.svc.ListAgents(t.Context(), c.ID)
	if len(agents) != 1 {
		t.Fatalf("%d agents", len(agents))
	}
}

func TestCredentialRotationAndRevocation(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	c := f.cluster(t, "prod")
	_, secret := f.token(t, c.ID, 1, time.Hour)
	a, first, err := f.svc.Register(ctx, registration(secret))
	if err != nil {
		t.Fatal(err)
	}
	valid := func(cred string) bool {
		got, err := f.svc.AuthenticateAgent(ctx, cred)
		if err != nil {
			wantKind(t, "authenticate", err, apperr.KindUnauthenticated)
			return false
		}
		if got.ID != a.ID {
			t.Fatalf("credential of %s, want %s", got.ID, a.ID)
		}
		return true
	}

	second, err := f.svc.RotateCredential(ctx, first)
	if err != nil || second == first || !strings.HasPrefix(second, cluster.CredentialPrefix) {
		t.Fatalf("rotate: %q %v", second, err)
	}
	f.clock.Advance(overlap - time.Second)
	if !valid(first) || !valid(second) {
		t.Fatal("both credentials must work during the overlap")
	}
	f.clock.Advance(time.Second)
	if valid(first) || !valid(second) {
		t.Fatal("after the overlap only the new credential works")
	}
	_, err = f.svc.RotateCredential(ctx, first)
	wantKind(t, "rotate with an expired credential", err, apperr.KindUnauthenticated)

	// Rotating twice: only the presented and the newest credential work.
	third, err := f.svc.RotateCredential(ctx, second)
	if err != nil {
		t.Fatal(err)
	}
	fourth, err := f.svc.RotateCredential(ctx, third)
	if err != nil {
		t.Fatal(err)
	}
	if valid(second) || !valid(third) || !valid(fourth) {
		t.Fatal("at most two credentials are valid: the presented one and the new one")
	}

	// Forged and unknown credentials.
	for _, cred := range []string{"", "hac_", "Bearer " + fourth, cluster.CredentialPrefix + strings.Repeat("A", 43), "hjt_" + fourth[4:], fourth + "="} {
		if valid(cred) {
			t.Fatalf("credential %q accepted", cred)
		}
	}

	// Revocation kills every credential at once, and is scoped to the cluster.
	other := f.cluster(t, "other")
	_, err = f.svc.RevokeAgent(ctx, other.ID, a.ID)
	wantKind(t, "revoke in other cluster", err, apperr.KindNotFound)
	revoked, err := f.svc.RevokeAgent(ctx, c.ID, a.ID)
	if err != nil || revoked.RevokedAt == nil {
		t.Fatalf("revoke: %+v %v", revoked, err)
	}
	if valid(third) || valid(fourth) {
		t.Fatal("a revoked agent's credentials must be refused")
	}
	_, err = f.svc.RotateCredential(ctx, fourth)
	wantKind(t, "rotate when revoked", err, apperr.KindUnauthenticated)
	if _, err := f.svc.RevokeAgent(ctx, c.ID, a.ID); err != nil {
		t.Fatalf("revoking again: %v", err)
	}
	if f.auditCount(t, "cluster.agent.rotate_credential") != 3 || f.auditCount(t, "cluster.agent.revoke") != 1 {
		t.Fatal("rotation and revocation audit rows")
	}
}

func TestNewRequiresDB(t *testing.T) {
	if _, err := cluster.New(cluster.Deps{}); err == nil || errors.Is(err, nil) {
		t.Fatal("New without a DB must fail")
	}
}
