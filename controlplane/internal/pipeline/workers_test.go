package pipeline_test

import (
	"testing"
	"time"

	"github.com/hearth-dev/hearth/controlplane/internal/pipeline"
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
