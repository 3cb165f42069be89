// Package cache owns the connection to Redis (or Valkey). Redis holds only
// what may be lost: permission caches, live fan-out between replicas, rate
// limits and agent routing. Features declare the small interface they need
// (for example Get/Set/Delete, or Publish/Subscribe) and are handed the
// *Cache, which satisfies them.
package cache

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrMiss is returned by Get for a key that is not cached.
var ErrMiss = errors.New("cache miss")

// Cache is a Redis client with the operations features use.
type Cache struct {
	client *redis.Client
}

// Open parses a redis:// (or rediss://, valkey://) URL, connects and checks
// that the server answers within timeout.
func Open(ctx context.Context, rawURL string, timeout time.Duration) (*Cache, error) {
	opts, err := redis.ParseURL(normalizeScheme(rawURL))
	if err != nil {
		return nil, errors.New("redis URL is malformed")
	}
	opts.DialTimeout = timeout
	c := &Cache{client: redis.NewClient(opts)}
	pingCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := c.Ping(pingCtx); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("redis unreachable at %s: %w", opts.Addr, err)
	}
	return c, nil
}

// normalizeScheme lets operators write valkey:// URLs; the protocol is the same.
func normalizeScheme(u string) string {
	switch {
	case len(u) > 10 && u[:10] == "valkeys://":
		return "rediss://" + u[10:]
	case len(u) > 9 && u[:9] == "valkey://":
		return "redis://" + u[9:]
	}
	return u
}

// Ping checks the server answers (readiness).
func (c *Cache) Ping(ctx context.Context) error { return c.client.Ping(ctx).Err() }

// Close releases the connections.
func (c *Cache) Close() error { return c.client.Close() }

// Get returns the value at key, or ErrMiss.
func (c *Cache) Get(ctx context.Context, key string) ([]byte, error) {
	b, err := c.client.Get(ctx, key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, ErrMiss
	}
	return b, err
}

// Set stores value at key for ttl (0: no expiry).
func (c *Cache) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	return c.client.Set(ctx, key, value, ttl).Err()
}

// Delete removes keys; missing keys are not an error.
func (c *Cache) Delete(ctx context.Context, keys ...string) error {
	if len(keys) == 0 {
		return nil
	}
	return c.client.Del(ctx, keys...).Err()
}

// MGet returns the values at keys in one round trip, in order; a missing
// key's value is nil.
func (c *Cache) MGet(ctx context.Context, keys ...string) ([][]byte, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	vals, err := c.client.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, err
	}
	out := make([][]byte, len(vals))
	for i, v := range vals {
		if s, ok := v.(string); ok {
			out[i] = []byte(s)
		}
	}
	return out, nil
}

// Incr atomically adds one to the integer at key (0 when missing) and
// returns the new value. The key never expires.
func (c *Cache) Incr(ctx context.Context, key string) (int64, error) {
	return c.client.Incr(ctx, key).Result()
}

// Publish sends a message to every subscriber of channel on any replica.
func (c *Cache) Publish(ctx context.Context, channel string, message []byte) error {
	return c.client.Publish(ctx, channel, message).Err()
}

// subscriptionCheck is how long a subscription may stay silent before it
// is pinged; a ping unanswered for as long again means the connection is
// dead though nothing said so (a network partition).
const subscriptionCheck = 5 * time.Second

// Subscribe returns messages published on channel until ctx is done or the
// subscription breaks (Redis restarted or went away, the connection died);
// the returned channel is closed then. It does not reconnect by itself:
// messages published while it was broken are lost, so the subscriber must
// learn of the break, read its source of truth and subscribe again.
func (c *Cache) Subscribe(ctx context.Context, channel string) (<-chan []byte, error) {
	sub := c.client.Subscribe(ctx, channel)
	if _, err := sub.Receive(ctx); err != nil {
		_ = sub.Close()
		return nil, err
	}
	out := make(chan []byte, 64)
	// Closing the subscription ends a read in progress: ctx is not watched
	// by reads.
	stop := context.AfterFunc(ctx, func() { _ = sub.Close() })
	go func() {
		defer close(out)
		defer stop()
		defer func() { _ = sub.Close() }()
		pinged := false
		for {
			msg, err := sub.ReceiveTimeout(ctx, subscriptionCheck)
			switch {
			case err == nil:
				pinged = false
			case ctx.Err() != nil:
				return
			case isTimeout(err) && !pinged:
				if sub.Ping(ctx) != nil {
					return
				}
				pinged = true
				continue
			default:
				return
			}
			m, ok := msg.(*redis.Message)
			if !ok {
				continue // a Pong or a Subscription confirmation
			}
			select {
			case out <- []byte(m.Payload):
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// Commands exposes the Redis commands for the few features that need more
// than this type offers (pipelined counters); prefer the methods above.
func (c *Cache) Commands() redis.Cmdable { return c.client }
