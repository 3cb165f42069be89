package cache_test

import (
	"testing"
	"time"

	"github.com/hearth-dev/hearth/controlplane/internal/cache"
	"github.com/hearth-dev/hearth/controlplane/testsvc"
)

// TestSubscriptionEndsWhenRedisGoesAway: a subscription does not hide a
// Redis restart by reconnecting silently (the messages published
// meanwhile would be lost unnoticed): its channel closes, and a new
// Subscribe works once Redis is back.
func TestSubscriptionEndsWhenRedisGoesAway(t *testing.T) {
	r := testsvc.NewRedis(t)
	ctx := t.Context()
	c, err := cache.Open(ctx, r.URL(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	msgs, err := c.Subscribe(ctx, "events")
	if err != nil {
		t.Fatal(err)
	}
	r.Stop(t)
	select {
	case _, ok := <-msgs:
		if ok {
			t.Fatal("a message from a stopped Redis")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the subscription outlived Redis")
	}
	if _, err := c.Subscribe(ctx, "events"); err == nil {
		t.Fatal("subscribed to a stopped Redis")
	}

	r.Start(t)
	msgs, err = c.Subscribe(ctx, "events")
	if err != nil {
		t.Fatalf("subscribing after Redis came back: %v", err)
	}
	receive(t, c, "events", msgs, "back")
}

// TestSubscriptionSurvivesSilence: a subscription on which nothing is
// published for longer than its health check stays open (the ping is
// answered) and still delivers.
func TestSubscriptionSurvivesSilence(t *testing.T) {
	ctx := t.Context()
	c, err := cache.Open(ctx, testsvc.Redis(t), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	channel := testsvc.KeyPrefix(t) + "quiet"
	msgs, err := c.Subscribe(ctx, channel)
	if err != nil {
		t.Fatal(err)
	}
	// Two health checks (5 s each) without a message: the fault itself.
	select {
	case m, ok := <-msgs:
		t.Fatalf("during the silence: %q, open %v", m, ok)
	case <-time.After(11 * time.Second):
	}
	receive(t, c, channel, msgs, "still here")
}

func receive(t *testing.T, c *cache.Cache, channel string, msgs <-chan []byte, want string) {
	t.Helper()
	if err := c.Publish(t.Context(), channel, []byte(want)); err != nil {
		t.Fatal(err)
	}
	select {
	case m, ok := <-msgs:
		if !ok || string(m) != want {
			t.Fatalf("got %q (open %v), want %q", m, ok, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the published message never arrived")
	}
}
