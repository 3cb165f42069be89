package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
)

// Counters are fixed-window counters and short-lived slots that may be
// lost (Redis): sign-in attempts per (address, account) pair and per
// address, and each account's pacing slots.
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
	// Acquire takes the slot key for ttl when it is free; otherwise it
	// reports how long the slot stays taken.
	Acquire(ctx context.Context, key string, ttl time.Duration) (bool, time.Duration, error)
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

// incrScript adds one to a counter and gives it an expiry when it has
// none (it was just created), atomically.
var incrScript = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
local left = redis.call('PTTL', KEYS[1])
if left < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  left = tonumber(ARGV[1])
end
return {n, left}
`)

// decrScript takes one back and deletes a counter that reached zero, so
// that a counter whose window ended meanwhile is never recreated without
// an expiry (it would then count for ever).
var decrScript = redis.NewScript(`
local n = redis.call('DECR', KEYS[1])
if n <= 0 then
  redis.call('DEL', KEYS[1])
end
return n
`)

// Incr implements Counters.
func (c *RedisCounters) Incr(ctx context.Context, key string, window time.Duration) (int64, time.Duration, error) {
	res, err := incrScript.Run(ctx, c.client, []string{c.prefix + key}, window.Milliseconds()).Int64Slice()
	if err != nil {
		return 0, 0, err
	}
	if len(res) != 2 {
		return 0, 0, errors.New("auth: unexpected answer from the counter script")
	}
	return res[0], time.Duration(res[1]) * time.Millisecond, nil
}

// Reset implements Counters.
func (c *RedisCounters) Reset(ctx context.Context, key string) error {
	return c.client.Del(ctx, c.prefix+key).Err()
}

// Decr implements Counters.
func (c *RedisCounters) Decr(ctx context.Context, key string) error {
	return decrScript.Run(ctx, c.client, []string{c.prefix + key}).Err()
}

// Acquire implements Counters: SET NX PX, then PTTL when taken.
func (c *RedisCounters) Acquire(ctx context.Context, key string, ttl time.Duration) (bool, time.Duration, error) {
	ok, err := c.client.SetNX(ctx, c.prefix+key, 1, ttl).Result()
	if err != nil || ok {
		return ok, 0, err
	}
	left, err := c.client.PTTL(ctx, c.prefix+key).Result()
	if err != nil {
		return false, 0, err
	}
	if left < 0 {
		// Gone between the two calls (or, impossibly, without expiry):
		// worth another try at once.
		left = 0
	}
	return false, left, nil
}

// accountKey names one account: by id when the user exists, else by a
// hash of the name given (bounded, whatever was typed).
func accountKey(userID uuid.UUID, login string) string {
	if userID != uuid.Nil {
		return "acct:" + userID.String()
	}
	h := sha256.Sum256([]byte(strings.ToLower(login)))
	return "name:" + hex.EncodeToString(h[:16])
}

// addressKey names one client address; IPv6 addresses by their /64.
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

// pairKey counts attempts from one address on one account.
func pairKey(addrKey, acctKey string) string { return "pair:" + addrKey + "|" + acctKey }

// paceKey is an account's pacing slot for one lane.
func paceKey(acctKey string, fresh bool) string {
	if fresh {
		return "pace:fresh:" + acctKey
	}
	return "pace:retry:" + acctKey
}

// errRetryAfter carries how long a throttled caller should wait (the API
// sends it as Retry-After); it is an apperr cause, never shown.
type errRetryAfter struct{ after time.Duration }

func (e errRetryAfter) Error() string { return fmt.Sprintf("retry after %v", e.after) }

// RetryAfter reports how long a throttled sign-in asks the caller to wait
// (false for any other error).
func RetryAfter(err error) (time.Duration, bool) {
	var ra errRetryAfter
	if errors.As(err, &ra) {
		return ra.after, true
	}
	return 0, false
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
	return &apperr.Error{
		Kind:    apperr.KindResourceExhausted,
		Message: fmt.Sprintf("too many sign-in attempts, try again in %d %s", minutes, unit),
		Cause:   errRetryAfter{left},
	}
}

func accountBusy(left time.Duration) error {
	return &apperr.Error{
		Kind:    apperr.KindResourceExhausted,
		Message: "too many sign-in attempts on this account right now, try again in a second",
		Cause:   errRetryAfter{max(left, time.Second)},
	}
}

// reserveAttempt counts an attempt against key before the password is
// verified, and refuses once the window holds more than limit: counting
// first (one atomic INCR) means parallel guesses cannot all slip in under
// the limit. The count is failures plus attempts in flight: a refused or
// successful attempt gives its reservation back, a failed one keeps it.
// Without Redis it refuses: throttling that fails open invites brute
// force. n is the attempt's number in the window.
func (s *Service) reserveAttempt(ctx context.Context, key string, limit int64) (n int64, err error) {
	n, left, err := s.counters.Incr(ctx, key, s.throttle.Window)
	if err != nil {
		return 0, apperr.Unavailable(err, "sign-in is temporarily unavailable")
	}
	if n > limit {
		s.release(ctx, key)
		return n, tooManyAttempts(left)
	}
	return n, nil
}

// pace takes the account's slot for one lane, waiting up to one spacing
// for it, so that all addresses together try an account about once per
// spacing per lane. Attempts from an address that has not failed on the
// account in this window (fresh) have their own lane, so that an attacker
// who keeps the other lane busy never holds back the owner signing in from
// elsewhere. It is never a lockout: after the wait it refuses with a
// retry after at most a second or so.
func (s *Service) pace(ctx context.Context, key string) error {
	// One spacing and a recheck: long enough for the slot to come free.
	deadline := time.Now().Add(s.throttle.Spacing + paceRecheck)
	for {
		ok, left, err := s.counters.Acquire(ctx, key, s.throttle.Spacing)
		if err != nil {
			return apperr.Unavailable(err, "sign-in is temporarily unavailable")
		}
		if ok {
			return nil
		}
		remaining := time.Until(deadline)
		if remaining <= 0 {
			return accountBusy(left)
		}
		// A success frees the slot early: look again soon rather than
		// only when it expires.
		t := time.NewTimer(min(left, remaining, paceRecheck))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// paceRecheck is how often a waiting sign-in looks at a taken slot.
const paceRecheck = 50 * time.Millisecond
