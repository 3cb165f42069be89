package git_test

import (
	"context"
	"testing"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/git"
)

// TestAPushWhoseEventIsNotRecordedFails: the client hears a push
// succeeded only once its event is durable. With the outbox refusing
// every row, the push's response is cut and git reports a failure; once
// recording works again a push succeeds and its refs are recorded.
func TestAPushWhoseEventIsNotRecordedFails(t *testing.T) {
	h := newHarness(t, git.Limits{})
	proj := h.addProject(t, "alice", "demo", false)
	alice := h.addUser("alice")
	h.Authz.grant(alice.id, proj.ID, access.RepoRead, access.RepoWrite)
	env := gitEnv(t)
	remote := withUser(h.URL+"/alice/demo.git", "alice", alice.token)
	work := newWorkTree(t, env, 1)

	ctx := context.Background()
	if _, err := h.DB.Pool.Exec(ctx, `ALTER TABLE git_push_refs ADD CONSTRAINT refuse_all CHECK (ref = '')`); err != nil {
		t.Fatal(err)
	}
	if out, err := gitRun(t, env, work, "push", remote, "main"); err == nil {
		t.Fatalf("a push whose event was not recorded succeeded:\n%s", out)
	}
	if events, err := h.Store.PushEvents(ctx, proj.ID, 10); err != nil || len(events) != 0 {
		t.Fatalf("events %v (%v), want none", events, err)
	}

	if _, err := h.DB.Pool.Exec(ctx, `ALTER TABLE git_push_refs DROP CONSTRAINT refuse_all`); err != nil {
		t.Fatal(err)
	}
	newWorkTreeCommit(t, env, work)
	mustGit(t, env, work, "push", remote, "main")
	events, err := h.Store.PushEvents(ctx, proj.ID, 10)
	if err != nil || len(events) != 1 || len(events[0].Refs) != 1 || events[0].Refs[0].Ref != "refs/heads/main" {
		t.Fatalf("events %+v (%v), want the second push of main", events, err)
	}
}

// newWorkTreeCommit adds an empty commit to work.
func newWorkTreeCommit(t *testing.T, env []string, work string) {
	t.Helper()
	mustGit(t, env, work, "commit", "-q", "--allow-empty", "-m", "again")
}
