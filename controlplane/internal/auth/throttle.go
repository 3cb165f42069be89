package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math"
	"net/netip"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
)

// Counters are fixed-window counters that may be lost (Redis): sign-in
// failures per account and per client address.
type Counters interface {
	// Count returns key's count and the time left in its window (0, 0 when
	// the key does not exist).
	Count(ctx context.Context, key string) (int64, time.Duration, error)
	// Incr adds one to key, opening a window of the given length when the
	// key does not exist, and returns the new count and the time left.
	Incr(ctx context.Context, key string, window time.Duration) (int64, time.Duration, error)
	// Reset deletes key.
	Reset(ctx context.Context, key string) error
	// Decr takes one back (a reserved attempt that succeeded).
	Decr(ctx context.Context, key string) error
}

// RedisCounters implements Counters on a Redis client.
type RedisCounters struct {
	client redis.Cmdable
	prefix string
}

// NewRedisCounters returns Counters storing keys under prefix (for example
// "auth:throttle:") on client (a *redis.Client).
func NewRedisCounters(client redis.Cmdable, prefix string) *RedisCounters {
	return &RedisCounters{client: client, prefix: prefix}
}

// Count implements Counters.
func (c *RedisCounters) Count(ctx context.Context, key string) (int64, time.Duration, error) {
	var get *redis.StringCmd
	var ttl *redis.DurationCmd
	_, err := c.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		get = p.Get(ctx, c.prefix+key)
		ttl = p.PTTL(ctx, c.prefix+key)
		return nil
	})
	if errors.Is(err, redis.Nil) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, err
	}
	n, err := get.Int64()
	if err != nil {
		return 0, 0, err
	}
	return n, max(ttl.Val(), 0), nil
}

// Incr implements Counters: SET NX with the window, then INCR, atomically.
func (c *RedisCounters) Incr(ctx context.Context, key string, window time.Duration) (int64, time.Duration, error) {
	var incr *redis.IntCmd
	var ttl *redis.DurationCmd
	_, err := c.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.SetNX(ctx, c.prefix+key, 0, window)
		incr = p.Incr(ctx, c.prefix+key)
		ttl = p.PTTL(ctx, c.prefix+key)
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	return incr.Val(), max(ttl.Val(), 0), nil
}

// Reset implements Counters.
func (c *RedisCounters) Reset(ctx context.Context, key string) error {
	return c.client.Del(ctx, c.prefix+key).Err()
}

// Decr implements Counters.
func (c *RedisCounters) Decr(ctx context.Context, key string) error {
	return c.client.Decr(ctx, c.prefix+key).Err()
}

// accountKey counts failures of one account: by id when the user exists,
// else by a hash of the name given (bounded, whatever was typed).
func accountKey(userID uuid.UUID, login string) string {
	if userID != uuid.Nil {
		return "acct:" + userID.String()
	}
	h := sha256.Sum256([]byte(strings.ToLower(login)))
	return "name:" + hex.EncodeToString(h[:16])
}

func addressKey(ip netip.Addr) string {
	if !ip.IsValid() {
		return "addr:unknown"
	}
	if ip.Is6() && !ip.Is4In6() {
		// One client usually holds a whole /64.
		p, _ := ip.Prefix(64)
		return "addr:" + p.String()
	}
	return "addr:" + ip.Unmap().String()
}

func tooManyAttempts(left time.Duration) error {
	minutes := int(math.Ceil(left.Minutes()))
	if minutes < 1 {
		minutes = 1
	}
	unit := "minutes"
	if minutes == 1 {
		unit = "minute"
	}
	return apperr.ResourceExhausted("too many sign-in attempts, try again in %d %s", minutes, unit)
}

// checkThrottle refuses when key's failures reached limit. Without Redis it
// refuses too: throttling that fails open invites brute force.
// reserveAttempt counts an attempt against key before the password is
// verified, and refuses once the window holds more than limit: counting
// first (one atomic INCR) means parallel guesses cannot all slip in under
// the limit. A successful attempt gives its reservation back.
func (s *Service) reserveAttempt(ctx context.Context, key string, limit int64) error {
	n, left, err := s.counters.Incr(ctx, key, s.throttle.Window)
	if err != nil {
		return apperr.Unavailable(err, "sign-in is temporarily unavailable")
	}
	if n > limit {
		return tooManyAttempts(left)
	}
	return nil
}
