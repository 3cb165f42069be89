package observe

import (
	"context"
	"errors"
	"net/http"

	"github.com/hearth-dev/hearth/controlplane/internal/module"
	"github.com/hearth-dev/hearth/controlplane/internal/observe/columnar"
	"github.com/hearth-dev/hearth/controlplane/internal/observe/record"
	"github.com/hearth-dev/hearth/controlplane/internal/supervisor"
)

// Module is what the server mounts of observe: the query API, the ingest
// endpoints (OTLP/gRPC, OTLP/HTTP, Prometheus remote-write), the flusher on
// every replica, and compaction and retention on the leader.
func (s *Service) Module() module.Module {
	workers := []supervisor.Worker{{Name: "observe-flusher", Run: s.RunFlusher}}
	if s.self != nil {
		workers = append(workers, supervisor.Worker{Name: "observe-self", Run: s.self.Run})
	}
	return module.Module{
		Name: "observe",
		APIs: []module.API{&API{svc: s}},
		Mounts: []module.Mount{func(mux *http.ServeMux) {
			tracesSignal.mount(s, mux)
			logsSignal.mount(s, mux)
			metricsSignal.mount(s, mux)
			mux.HandleFunc(remoteWritePath, s.serveRemoteWrite)
		}},
		Workers: workers,
		LeaderWorkers: []supervisor.Worker{
			{Name: "observe-compaction", Run: s.RunCompaction},
			{Name: "observe-retention", Run: s.RunRetention},
			{Name: "observe-alerts", Run: s.RunAlerts},
		},
		// A replica that stops flushes what it holds, so nothing waits in
		// a WAL whose replica may never come back (a crash leaves it for
		// the next start of that replica).
		Stops: []func(context.Context) error{func(ctx context.Context) error {
			return errors.Join(s.Flush(ctx), s.Close())
		}},
	}
}

// Tail calls send with every batch of new log records of project that
// match f, and how many the stream lost by falling behind, until ctx ends
// or send fails.
func (s *Service) Tail(ctx context.Context, project string, f columnar.LogFilter, send func([]record.Log, int64) error) error {
	sub, cancel := s.tail.subscribe(project)
	defer cancel()
	// An empty first message: the tail is live from here on.
	if err := send(nil, 0); err != nil {
		return err
	}
	var reported int64
	for {
		select {
		case <-ctx.Done():
			return nil
		case logs := <-sub.ch:
			var out []record.Log
			for i := range logs {
				if f.Match(&logs[i]) {
					out = append(out, logs[i])
				}
			}
			dropped := sub.dropped.Load()
			if len(out) == 0 && dropped == reported {
				continue
			}
			if err := send(out, dropped-reported); err != nil {
				return err
			}
			reported = dropped
		}
	}
}
