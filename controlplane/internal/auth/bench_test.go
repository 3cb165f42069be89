package auth

import (
	"context"
	"testing"
)

// BenchmarkLogin signs in at DefaultPasswordParams (argon2id m=19 MiB,
// t=2, p=1): one password verification, the throttle's Redis round trips
// and the session insert. Run with -cpu 1 for logins/s per core.
func BenchmarkLogin(b *testing.B) {
	e := newEnv(b, func(d *Deps) {
		d.Hasher = nil
		d.Password = DefaultPasswordParams
	})
	e.mustCreate(b, context.Background(), "bench", "bench password", false)
	b.ResetTimer()
	for b.Loop() {
		if _, err := e.svc.Login(b.Context(), "bench", "bench password", clientA); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "logins/s")
}
