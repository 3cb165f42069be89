package localsvc

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func pingRedis(t *testing.T, url string) {
	t.Helper()
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opts)
	defer c.Close()
	if err := c.Ping(t.Context()).Err(); err != nil {
		t.Fatalf("PING %s: %v", url, err)
	}
	if err := c.Set(t.Context(), "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
}

func TestRedisStartsAnswersAndStops(t *testing.T) {
	began := time.Now()
	r, err := StartRedis(startCtx(t), RedisOptions{Dir: t.TempDir(), Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("start: %v", time.Since(began))
	if r.InProcess() {
		t.Fatal("got miniredis, want redis-server")
	}
	if !strings.HasPrefix(r.URL(), "redis://127.0.0.1:") {
		t.Errorf("URL %s not on loopback", r.URL())
	}
	pingRedis(t, r.URL())
	sctx, cancel := stopCtx()
	defer cancel()
	if err := r.Stop(sctx); err != nil {
		t.Fatal(err)
	}
	assertGone(t, r.proc)
}

func TestRedisRetriesWhenItsPortIsTaken(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	calls := 0
	env := &environment{freePort: func(ctx context.Context) (int, error) {
		calls++
		if calls == 1 { // lose the race once
			return taken.Addr().(*net.TCPAddr).Port, nil
		}
		return freePort(ctx)
	}}
	r, err := StartRedis(startCtx(t), RedisOptions{Dir: t.TempDir(), Logger: testLogger(t), env: env})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		sctx, cancel := stopCtx()
		defer cancel()
		if err := r.Stop(sctx); err != nil {
			t.Error(err)
		}
	}()
	if calls != 2 {
		t.Errorf("asked for %d ports, want 2", calls)
	}
	pingRedis(t, r.URL())
}

func TestRedisMissing(t *testing.T) {
	_, err := StartRedis(startCtx(t), RedisOptions{Dir: t.TempDir(), Logger: testLogger(t), env: noBinaries(t)})
	want := "redis-server not found on PATH: install it with 'apt-get install -y redis-server'"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant %s", err, want)
	}

	r, err := StartRedis(startCtx(t), RedisOptions{Dir: t.TempDir(), Logger: testLogger(t), env: noBinaries(t), AllowInProcess: true})
	if err != nil {
		t.Fatal(err)
	}
	if !r.InProcess() {
		t.Error("InProcess() = false")
	}
	pingRedis(t, r.URL())
	if err := r.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
}
