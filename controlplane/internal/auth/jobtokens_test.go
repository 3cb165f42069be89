package auth

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
)

// TestJobTokens: a job token acts for its user, reads only repositories of
// its project and sends telemetry to it, expires, and stops working once
// revoked.
func TestJobTokens(t *testing.T) {
	e := newEnv(t)
	u := e.mustCreate(t, context.Background(), "jo", "jo's password", false)
	project := uuid.New()
	secret, id, err := e.svc.IssueJobToken(t.Context(), u.ID, project, e.clock.Now().Add(hour))
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.svc.Authenticate(t.Context(), request("Bearer "+secret, ""))
	if err != nil {
		t.Fatal(err)
	}
	wantLimit := access.SetOf(access.ProjectRead, access.RepoRead, access.ObserveWrite)
	if p.UserID != u.ID || p.TokenID != id || p.TokenProject != project || p.TokenLimit != wantLimit {
		t.Fatalf("job token principal %+v", p)
	}
	if p.TokenLimit.Has(access.RepoWrite) || p.TokenLimit.Has(access.PipelineRun) || p.TokenLimit.Has(access.ObserveRead) {
		t.Fatal("a job token may do more than read repositories and send telemetry")
	}
	if err := e.svc.RevokeJobToken(t.Context(), id); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Authenticate(t.Context(), request("Bearer "+secret, "")); err == nil {
		t.Fatal("a revoked job token still works")
	}
	if err := e.svc.RevokeJobToken(t.Context(), id); err != nil {
		t.Fatalf("revoking twice: %v", err)
	}
}

// TestNoJobTokenWithoutATrigger: a pipeline nobody triggered (a schedule
// whose owner is gone, say) gets no token, so its job clones anonymously.
func TestNoJobTokenWithoutATrigger(t *testing.T) {
	e := newEnv(t)
	secret, id, err := e.svc.IssueJobToken(t.Context(), uuid.Nil, uuid.New(), e.clock.Now().Add(hour))
	if err != nil || secret != "" || id != uuid.Nil {
		t.Fatalf("IssueJobToken without a user = %q, %s, %v; want no token", secret, id, err)
	}
}
