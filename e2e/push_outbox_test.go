package e2e

import (
	"context"
	"fmt"
	"net/url"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// outboxPipeline runs one job on every push.
const outboxPipeline = "jobs:\n  build:\n    steps:\n      - echo built\n"

// openStateDB connects to a control plane's database, to see what the API
// does not show: the push outbox's pending rows.
func openStateDB(t *testing.T, state serverState) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(t.Context(), state.databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

func queryInt(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(t.Context(), sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func pendingPushes(t *testing.T, pool *pgxpool.Pool) int {
	return queryInt(t, pool, `SELECT count(*) FROM git_push_refs WHERE consumed_at IS NULL`)
}

// TestKilledAfterThePushBeforeItsPipelineMakesExactlyOne: a `hearth
// server` consuming no pushes (--push-worker=false, as an operator would
// pause it) accepts a push: the refs moved and the client heard success,
// no pipeline exists. It is killed with SIGKILL and restarted with the
// worker on: exactly one pipeline. Then the crash between the pipeline's
// commit and its outbox row's mark: killed again, the row made pending
// again, restarted: still exactly one pipeline.
func TestKilledAfterThePushBeforeItsPipelineMakesExactlyOne(t *testing.T) {
	t.Setenv("HEARTH_PUSH_WORKER", "false")
	state := newServerState(t)
	w, srv := newProcessWorld(t, state)
	pool := openStateDB(t, state)
	sha := w.push(t, "main", map[string]string{".hearth.yml": outboxPipeline})
	pipelines := func() int { return queryInt(t, pool, `SELECT count(*) FROM pipelines WHERE commit_sha = $1`, sha) }
	if n, p := pipelines(), pendingPushes(t, pool); n != 0 || p != 1 {
		t.Fatalf("after the push with the worker off: %d pipelines and %d pending refs, want 0 and 1", n, p)
	}
	srv.kill9()

	t.Setenv("HEARTH_PUSH_WORKER", "true")
	srv = startServer(t, state)
	waitFor(t, faultWait, "the restarted control plane to consume the push", func() bool { return pendingPushes(t, pool) == 0 })
	if n := pipelines(); n != 1 {
		t.Fatalf("%d pipelines for the push after the restart, want 1", n)
	}

	srv.kill9()
	if _, err := pool.Exec(t.Context(), `UPDATE git_push_refs SET consumed_at = NULL`); err != nil {
		t.Fatal(err)
	}
	startServer(t, state)
	waitFor(t, faultWait, "the push to be consumed again", func() bool { return pendingPushes(t, pool) == 0 })
	if n := pipelines(); n != 1 {
		t.Fatalf("%d pipelines after the push was delivered twice, want 1", n)
	}
}

// TestAThousandPushedBranchesMakeAThousandPipelines: four concurrent
// `git push`es of 250 new branches each: a thousand pipelines, one per
// branch, none lost, none doubled.
func TestAThousandPushedBranchesMakeAThousandPipelines(t *testing.T) {
	state := newServerState(t)
	w, _ := newProcessWorld(t, state)
	pool := openStateDB(t, state)
	sha := w.commit(t, map[string]string{".hearth.yml": outboxPipeline})
	const groups, perGroup = 4, 250
	var refs strings.Builder
	for g := range groups {
		for i := range perGroup {
			fmt.Fprintf(&refs, "create refs/heads/g%d/b%03d %s\n", g, i, sha)
		}
	}
	updateRefs := exec.Command("git", "update-ref", "--stdin")
	updateRefs.Dir, updateRefs.Env, updateRefs.Stdin = w.work, w.gitEnv, strings.NewReader(refs.String())
	if out, err := updateRefs.CombinedOutput(); err != nil {
		t.Fatalf("git update-ref: %v\n%s", err, out)
	}
	u, err := url.Parse(w.base + "/" + w.owner + "/" + w.project + ".git")
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(w.owner, w.admin)
	began := time.Now()
	var wg sync.WaitGroup
	for g := range groups {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			spec := fmt.Sprintf("refs/heads/g%d/*:refs/heads/g%d/*", g, g)
			push := exec.CommandContext(ctx, "git", "push", "-q", u.String(), spec)
			push.Dir, push.Env = w.work, w.gitEnv
			if out, err := push.CombinedOutput(); err != nil {
				t.Errorf("git push %s: %v\n%s", spec, err, out)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	pushed := time.Since(began)
	const total = groups * perGroup
	waitFor(t, 5*time.Minute, "every pushed branch to be consumed", func() bool {
		return queryInt(t, pool, `SELECT count(*) FROM git_push_refs`) == total && pendingPushes(t, pool) == 0
	})
	n := queryInt(t, pool, `SELECT count(*) FROM pipelines WHERE commit_sha = $1`, sha)
	refsWithOne := queryInt(t, pool, `SELECT count(*) FROM (SELECT ref FROM pipelines WHERE commit_sha = $1 GROUP BY ref HAVING count(*) = 1) one`, sha)
	if n != total || refsWithOne != total {
		t.Fatalf("%d pipelines, %d branches with exactly one; want %d and %d", n, refsWithOne, total, total)
	}
	t.Logf("%d branches pushed in %s; their pipelines created %s later", total, pushed.Round(time.Millisecond),
		(time.Since(began) - pushed).Round(time.Millisecond))
}
