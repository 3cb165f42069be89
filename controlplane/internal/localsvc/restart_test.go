package localsvc

import (
	"net"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestRedisOnAFixedPortComesBackAtTheSameAddress: a server stopped and
// started again with the Port it had answers at the same URL, so clients
// holding that URL reconnect by themselves.
func TestRedisOnAFixedPortComesBackAtTheSameAddress(t *testing.T) {
	dir := t.TempDir()
	first, err := StartRedis(startCtx(t), RedisOptions{Dir: dir, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	sctx, cancel := stopCtx()
	defer cancel()
	if err := first.Stop(sctx); err != nil {
		t.Fatal(err)
	}
	again, err := StartRedis(startCtx(t), RedisOptions{Dir: dir, Logger: testLogger(t), Port: portOf(t, first.Addr())})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := again.Stop(sctx); err != nil {
			t.Error(err)
		}
	}()
	if again.URL() != first.URL() {
		t.Fatalf("restarted at %s, want %s", again.URL(), first.URL())
	}
	pingRedis(t, again.URL())
}

// TestPostgresKilledRecoversItsCluster: Kill takes the postmaster and its
// backends down at once, and the next start on the same directory
// recovers every committed row, at the same URL. Fast, but with
// synchronous_commit back on: without it the last commits are lost.
func TestPostgresKilledRecoversItsCluster(t *testing.T) {
	dir := testDir(t)
	durable := map[string]string{"synchronous_commit": "on"}
	pg, err := StartPostgres(startCtx(t), PostgresOptions{Dir: dir, Logger: testLogger(t), Fast: true, Settings: durable})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	conn, err := pgx.Connect(ctx, pg.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "create table kept (v text); insert into kept values ('committed')"); err != nil {
		t.Fatal(err)
	}
	url, proc := pg.URL("postgres"), pg.proc
	pg.Kill()
	assertGone(t, proc)
	if err := conn.Ping(ctx); err == nil {
		t.Fatal("a session survived Kill")
	}
	_ = conn.Close(ctx)

	pg, err = StartPostgres(startCtx(t), PostgresOptions{Dir: dir, Logger: testLogger(t), Fast: true, Settings: durable})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		sctx, cancel := stopCtx()
		defer cancel()
		if err := pg.Stop(sctx); err != nil {
			t.Error(err)
		}
	}()
	if pg.URL("postgres") != url {
		t.Fatalf("restarted at %s, want %s", pg.URL("postgres"), url)
	}
	conn, err = pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var v string
	if err := conn.QueryRow(ctx, "select v from kept").Scan(&v); err != nil || v != "committed" {
		t.Fatalf("after the crash: %q, %v", v, err)
	}
}

func portOf(t *testing.T, addr string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	return port
}
