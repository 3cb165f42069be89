package pipeline

import (
	"context"
	"time"

	"github.com/hearth-dev/hearth/controlplane/internal/supervisor"
)

// ArtifactExpiryInterval is how often expired artifacts are deleted.
const ArtifactExpiryInterval = 10 * time.Minute

// ReapInterval is how often the reaper looks for lost jobs given its grace
// (0: DefaultReapGrace): DefaultReapInterval, or a third of a shorter
// grace, so that a lost job is found soon after its grace ends.
func ReapInterval(grace time.Duration) time.Duration {
	if grace <= 0 {
		return DefaultReapInterval
	}
	return min(DefaultReapInterval, grace/3)
}

// Workers are the pipeline feature's workers: the listener that wakes and
// cancels agents through the gateway on every replica, and the
// leader-only reaper (reapGrace: how long a running job's heartbeat may be
// silent; 0: DefaultReapGrace), schedules and artifact expiry.
func (s *Service) Workers(agents Agents, reapGrace time.Duration) (everyReplica, leaderOnly []supervisor.Worker) {
	reapEvery := ReapInterval(reapGrace)
	everyReplica = []supervisor.Worker{
		{Name: "pipeline-listener", Run: func(ctx context.Context) error { return s.RunListener(ctx, agents) }},
	}
	leaderOnly = []supervisor.Worker{
		{Name: "pipeline-reaper", Run: func(ctx context.Context) error { return s.RunReaper(ctx, reapEvery, reapGrace) }},
		{Name: "pipeline-schedules", Run: s.RunSchedules},
		{Name: "artifact-expiry", Run: func(ctx context.Context) error { return s.artifacts.RunExpiry(ctx, ArtifactExpiryInterval) }},
	}
	return everyReplica, leaderOnly
}
