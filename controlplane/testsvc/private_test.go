package testsvc_test

import (
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"github.com/hearth-dev/hearth/controlplane/testsvc"
)

// TestPrivatePostgresSurvivesRestartAndKill: a private server keeps its
// URL and every committed row across a restart and a crash; while it is
// down, connections fail.
func TestPrivatePostgresSurvivesRestartAndKill(t *testing.T) {
	pg := testsvc.NewPostgres(t)
	url := pg.DatabaseURL(t)
	ctx := t.Context()
	exec := func(sql string) error {
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, sql)
		return err
	}
	if err := exec("create table kept (v int); insert into kept values (1)"); err != nil {
		t.Fatal(err)
	}
	pg.Stop(t)
	if err := exec("select 1"); err == nil {
		t.Fatal("connected to a stopped server")
	}
	pg.Start(t)
	if err := exec("insert into kept values (2)"); err != nil {
		t.Fatalf("after a restart: %v", err)
	}
	pg.Kill(t)
	pg.Start(t)
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("after a crash: %v", err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, "select count(*) from kept").Scan(&n); err != nil || n != 2 {
		t.Fatalf("rows after a restart and a crash: %d, %v; want 2", n, err)
	}
}

// TestPrivateRedisComesBackAtItsAddress: a stopped private Redis refuses
// connections and answers again at the same URL once started.
func TestPrivateRedisComesBackAtItsAddress(t *testing.T) {
	r := testsvc.NewRedis(t)
	opts, err := redis.ParseURL(r.URL())
	if err != nil {
		t.Fatal(err)
	}
	opts.MaxRetries = -1
	c := redis.NewClient(opts)
	defer c.Close()
	ctx := t.Context()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	r.Stop(t)
	if err := c.Ping(ctx).Err(); err == nil {
		t.Fatal("a stopped Redis answered")
	}
	r.Start(t)
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("after Start: %v", err)
	}
}
