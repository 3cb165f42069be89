package pipeline_test

import (
	"slices"
	"testing"
	"time"

	"github.com/hearth-dev/hearth/controlplane/internal/pipeline"
	"github.com/hearth-dev/hearth/controlplane/internal/supervisor"
)

// TestReapInterval: the reaper looks every DefaultReapInterval, or every
// third of a shorter grace.
func TestReapInterval(t *testing.T) {
	for grace, want := range map[time.Duration]time.Duration{
		0:                pipeline.DefaultReapInterval,
		-time.Second:     pipeline.DefaultReapInterval,
		3 * time.Second:  time.Second,
		90 * time.Second: pipeline.DefaultReapInterval,
		time.Hour:        pipeline.DefaultReapInterval,
	} {
		if got := pipeline.ReapInterval(grace); got != want {
			t.Errorf("ReapInterval(%v) = %v, want %v", grace, got, want)
		}
	}
}

// TestWorkersNames: the listener runs on every replica; the reaper,
// schedules and artifact expiry on the leader only (logs, metrics and the
// leader's registration know them by these names).
func TestWorkersNames(t *testing.T) {
	f := newFixture(t)
	every, leader := f.svc.Workers(nil, time.Minute)
	names := func(ws []supervisor.Worker) []string {
		out := make([]string, len(ws))
		for i, w := range ws {
			out[i] = w.Name
		}
		return out
	}
	if got := names(every); !slices.Equal(got, []string{"pipeline-listener"}) {
		t.Errorf("every replica: %v", got)
	}
	if got := names(leader); !slices.Equal(got, []string{"pipeline-reaper", "pipeline-schedules", "artifact-expiry"}) {
		t.Errorf("leader only: %v", got)
	}
}
