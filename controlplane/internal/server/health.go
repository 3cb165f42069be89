package server

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/controlplane/internal/module"

	"github.com/hearth-dev/hearth/shared/logfield"
)

const readyTimeout = 2 * time.Second

// healthz answers 200 while the process runs: liveness only.
func healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

// readyz runs every check concurrently and answers 200 only if all pass.
// It names failing checks but never their errors (which may hold internal
// addresses); the errors are logged.
func readyz(checks []module.Check) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		results := make(map[string]string, len(checks))
		var mu sync.Mutex
		var wg sync.WaitGroup
		ready := true
		for _, c := range checks {
			wg.Go(func() {
				err := c.Func(ctx)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					ready = false
					results[c.Name] = "failing"
					zerolog.Ctx(r.Context()).Warn().Err(err).Str(logfield.Check, c.Name).Msg("readiness check failed")
					return
				}
				results[c.Name] = "ok"
			})
		}
		wg.Wait()
		status := http.StatusOK
		if !ready {
			status = http.StatusServiceUnavailable
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]any{"ready": ready, "checks": results})
	}
}
