package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hearth-dev/hearth/controlplane/internal/config"
	"github.com/hearth-dev/hearth/controlplane/servertest"
	"github.com/hearth-dev/hearth/controlplane/testsvc"
)

// attackAnswers counts what an attack on one account was answered.
type attackAnswers struct {
	failed, refused, other atomic.Int64
	// perSource counts failures (401) by attacking address.
	mu        sync.Mutex
	perSource map[string]int
}

func (a *attackAnswers) failures(src string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.perSource[src]
}

// attackAccount sends wrong passwords for user in parallel, from each source
// (a client and the headers that make its address), until ctx ends.
func attackAccount(ctx context.Context, t *testing.T, wg *sync.WaitGroup, base, user string, sources map[string]func() (*http.Client, map[string]string)) *attackAnswers {
	a := &attackAnswers{perSource: map[string]int{}}
	for src, of := range sources {
		for w := range 2 {
			c, hdr := of()
			wg.Go(func() {
				for i := 0; ctx.Err() == nil; i++ {
					ans := restLogin(ctx, t, c, base, user, fmt.Sprintf("wrong password %d-%d", w, i), hdr)
					switch {
					case ctx.Err() != nil:
					case ans.status == http.StatusUnauthorized:
						a.failed.Add(1)
						a.mu.Lock()
						a.perSource[src]++
						a.mu.Unlock()
					case ans.status == http.StatusTooManyRequests:
						a.refused.Add(1)
						if ra, err := strconv.Atoi(ans.header.Get("Retry-After")); err != nil || ra < 1 {
							t.Errorf("429 with Retry-After %q", ans.header.Get("Retry-After"))
						}
					default:
						a.other.Add(1)
						t.Errorf("attack answered %d %s", ans.status, ans.body)
					}
				}
			})
		}
	}
	return a
}

// TestAttackCannotLockTheOwnerOut is issue 12's hole 4: while wrong
// passwords for the administrator keep coming, in parallel, from other
// addresses (more failures than the old per-account lockout allowed), the
// right password from a clean address signs in within 2 s. The addresses
// are real source addresses, or X-Forwarded-For through a trusted proxy;
// an untrusted peer's X-Forwarded-For does not make it a new address.
func TestAttackCannotLockTheOwnerOut(t *testing.T) {
	direct := func(src string) func() (*http.Client, map[string]string) {
		return func() (*http.Client, map[string]string) { return sourceClient(t, src), nil }
	}
	viaProxy := func(client string) func() (*http.Client, map[string]string) {
		return func() (*http.Client, map[string]string) {
			return sourceClient(t, "127.0.0.9"), map[string]string{"X-Forwarded-For": client}
		}
	}
	cases := []struct {
		name    string
		sources map[string]func() (*http.Client, map[string]string)
		owner   func() (*http.Client, map[string]string)
	}{
		{"source addresses", map[string]func() (*http.Client, map[string]string){
			"127.0.0.2": direct("127.0.0.2"), "127.0.0.4": direct("127.0.0.4"), "127.0.0.5": direct("127.0.0.5"),
		}, direct("127.0.0.3")},
		{"through a trusted proxy", map[string]func() (*http.Client, map[string]string){
			"198.51.100.1": viaProxy("198.51.100.1"), "198.51.100.3": viaProxy("198.51.100.3"),
			"2001:db8:1::1": viaProxy("2001:db8:1::1"),
		}, viaProxy("198.51.100.2")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := servertest.Start(t, servertest.WithConfig(func(c *config.Config) {
				c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.9/32")}
			}))
			ctx, stop := context.WithCancel(t.Context())
			var wg sync.WaitGroup
			defer func() { stop(); wg.Wait() }()
			answers := attackAccount(ctx, t, &wg, srv.URL, servertest.AdminUsername, c.sources)

			// The attack is on: as many failures as the old per-account
			// lockout allowed, and every attacking address has failed.
			testsvc.WaitFor(t, "the attack to fail often", func() bool {
				if answers.failed.Load() < 10 {
					return false
				}
				for src := range c.sources {
					if answers.failures(src) == 0 {
						return false
					}
				}
				return true
			})
			before := answers.failed.Load() + answers.refused.Load()

			client, hdr := c.owner()
			start := time.Now()
			a := restLogin(t.Context(), t, client, srv.URL, servertest.AdminUsername, srv.AdminPassword, hdr)
			took := time.Since(start)
			if a.status != http.StatusOK {
				t.Fatalf("the owner's right password answered %d %s after %v, under attack (%d failed, %d refused)",
					a.status, a.body, took, answers.failed.Load(), answers.refused.Load())
			}
			if took > 2*time.Second {
				t.Fatalf("the owner signed in after %v, want within 2 s", took)
			}
			// The attack went on meanwhile, and got nowhere.
			testsvc.WaitFor(t, "more attack answers", func() bool {
				return answers.failed.Load()+answers.refused.Load() > before
			})
			stop()
			wg.Wait()
			if answers.other.Load() != 0 {
				t.Fatalf("%d attack attempts got neither 401 nor 429", answers.other.Load())
			}
			t.Logf("owner signed in after %v; attack: %d failed, %d refused", took, answers.failed.Load(), answers.refused.Load())
		})
	}

	// An untrusted peer's X-Forwarded-For is no new address: 5 failures
	// from 127.0.0.6 refuse it whatever it claims.
	t.Run("untrusted X-Forwarded-For", func(t *testing.T) {
		srv := servertest.Start(t)
		c := sourceClient(t, "127.0.0.6")
		for i := range 6 {
			a := restLogin(t.Context(), t, c, srv.URL, servertest.AdminUsername, "wrong password",
				map[string]string{"X-Forwarded-For": fmt.Sprintf("198.51.100.%d", 10+i)})
			want := http.StatusUnauthorized
			if i == 5 {
				want = http.StatusTooManyRequests
			}
			if a.status != want {
				t.Fatalf("attempt %d: %d %s, want %d", i+1, a.status, a.body, want)
			}
		}
	})
}
