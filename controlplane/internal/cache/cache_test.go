package cache_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hearth-dev/hearth/controlplane/internal/cache"
	"github.com/hearth-dev/hearth/controlplane/testsvc"
)

func TestMain(m *testing.M) { testsvc.Main(m) }

func TestCacheAgainstRealRedis(t *testing.T) {
	ctx := t.Context()
	c, err := cache.Open(ctx, testsvc.Redis(t), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	key := testsvc.KeyPrefix(t) + "k"
	if _, err := c.Get(ctx, key); !errors.Is(err, cache.ErrMiss) {
		t.Fatalf("missing key: %v", err)
	}
	if err := c.Set(ctx, key, []byte("v"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if v, err := c.Get(ctx, key); err != nil || string(v) != "v" {
		t.Fatalf("get: %q %v", v, err)
	}
	if err := c.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(ctx, key); !errors.Is(err, cache.ErrMiss) {
		t.Fatalf("after delete: %v", err)
	}

	subCtx, cancel := context.WithCancel(ctx)
	channel := testsvc.KeyPrefix(t) + "events"
	msgs, err := c.Subscribe(subCtx, channel)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Publish(ctx, channel, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-msgs:
		if string(m) != "hello" {
			t.Fatalf("got %q", m)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("published message never arrived")
	}
	cancel()
	for range msgs {
		// drain until the subscription closes
	}
}

func TestOpenFailsClearly(t *testing.T) {
	ctx := t.Context()
	if _, err := cache.Open(ctx, "redis://:hunter2@127.0.0.1:1/0", time.Second); err == nil ||
		!strings.HasPrefix(err.Error(), "redis unreachable at 127.0.0.1:1") || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("unreachable: %v", err)
	}
	if _, err := cache.Open(ctx, "redis://:hunter2@[::1", time.Second); err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("malformed: %v", err)
	}
}
