package rbac_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
)

// BenchmarkAuthorize measures one decision with a warm cache (one Redis
// round trip) and a cold one (the generation bumped before each decision,
// so it is computed from PostgreSQL), and reports the p99 of each.
func BenchmarkAuthorize(b *testing.B) {
	e := newEnv(b)
	s := e.replica(b)
	admin, u, lender := uuid.New(), uuid.New(), uuid.New()
	p := e.projects.Add(access.Private)
	ctx := adminCtx(b, admin)
	mustBind(b, ctx, s, "admin", admin, uuid.Nil)
	mustBind(b, ctx, s, "viewer", u, uuid.Nil)
	mustBind(b, ctx, s, "developer", u, p)
	mustBind(b, ctx, s, "maintainer", lender, p)
	if _, err := s.CreateDelegation(ctx, user(lender), u, p, access.SetOf(access.DeployPromote), "bench", e.clock.Now().Add(time.Hour)); err != nil {
		b.Fatal(err)
	}
	bg := context.Background()

	run := func(b *testing.B, cold bool) {
		if err := s.Authorize(bg, user(u), access.DeployPromote, p); err != nil {
			b.Fatal(err)
		}
		durations := make([]time.Duration, 0, b.N)
		b.ResetTimer()
		for b.Loop() {
			if cold {
				b.StopTimer()
				if err := s.Invalidate(bg); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			start := time.Now()
			if err := s.Authorize(bg, user(u), access.DeployPromote, p); err != nil {
				b.Fatal(err)
			}
			durations = append(durations, time.Since(start))
		}
		b.StopTimer()
		slices.Sort(durations)
		if len(durations) > 0 {
			b.ReportMetric(float64(durations[(len(durations)*99)/100].Nanoseconds()), "p99-ns")
		}
	}
	b.Run("warm", func(b *testing.B) { run(b, false) })
	b.Run("cold", func(b *testing.B) { run(b, true) })
}
