package testsvc

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/hearth-dev/hearth/controlplane/internal/localsvc"
)

// redisDatabases is how many logical databases the shared server has.
// Database 0 is never handed out, so that code which ignores the URL's
// database number collides only with itself; the others go to one running
// test each.
const redisDatabases = 256

type redisState struct {
	once   sync.Once
	server *localsvc.Redis
	err    error

	mu   sync.Mutex
	free []int // database numbers no running test holds
}

// Redis returns the URL of the shared redis-server (the real one, never an
// in-process imitation), on a database number that no other running test
// holds. The database is flushed when the test ends and handed to the next.
func Redis(t testing.TB) string {
	t.Helper()
	check(t)
	s := &env.redis
	s.once.Do(func() {
		root, err := rootDir()
		if err != nil {
			s.err = err
			return
		}
		ctx, cancel := startCtx()
		defer cancel()
		s.server, s.err = localsvc.StartRedis(ctx, localsvc.RedisOptions{
			Dir:       filepath.Join(root, "redis"),
			Logger:    serviceLogger(),
			Databases: redisDatabases,
		})
		if s.err != nil {
			return
		}
		for n := redisDatabases - 1; n >= 1; n-- {
			s.free = append(s.free, n)
		}
	})
	if s.err != nil {
		t.Fatalf("testsvc: Redis: %v", s.err)
	}

	s.mu.Lock()
	if len(s.free) == 0 {
		s.mu.Unlock()
		t.Fatalf("testsvc: all %d Redis databases are held by running tests", redisDatabases-1)
	}
	n := s.free[len(s.free)-1]
	s.free = s.free[:len(s.free)-1]
	s.mu.Unlock()

	t.Cleanup(func() {
		ctx, cancel := cleanupCtx()
		defer cancel()
		if err := s.flush(ctx, n); err != nil {
			// Not handed out again: the next test would see this one's keys.
			t.Errorf("testsvc: flushing Redis database %d: %v", n, err)
			return
		}
		s.mu.Lock()
		s.free = append(s.free, n)
		s.mu.Unlock()
	})
	return fmt.Sprintf("redis://%s/%d", s.server.Addr(), n)
}

// flush empties database n over a short-lived connection (a pooled client
// would keep a connection, and goroutines, SELECTed on it).
func (s *redisState) flush(ctx context.Context, n int) error {
	c := redis.NewClient(&redis.Options{Addr: s.server.Addr(), DB: n, PoolSize: 1})
	defer func() { _ = c.Close() }()
	return c.FlushDB(ctx).Err()
}

func (s *redisState) stop(ctx context.Context) error {
	if s.server == nil {
		return nil
	}
	return s.server.Stop(ctx)
}
