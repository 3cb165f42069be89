package backoff

import (
	"context"
	"testing"
	"time"
)

func TestDelayStaysWithinBounds(t *testing.T) {
	p := Policy{Min: 10 * time.Millisecond, Max: 80 * time.Millisecond}
	for attempt := range 20 {
		ceiling := p.Min << min(attempt, 3)
		for range 100 {
			d := p.Delay(attempt)
			if d < p.Min || d > ceiling || d > p.Max {
				t.Fatalf("attempt %d: delay %v outside [%v, %v]", attempt, d, p.Min, min(ceiling, p.Max))
			}
		}
	}
}

func TestDelayGrows(t *testing.T) {
	p := Policy{Min: time.Millisecond, Max: time.Hour}
	var maxSeen time.Duration
	for range 200 {
		maxSeen = max(maxSeen, p.Delay(10))
	}
	if maxSeen < 100*time.Millisecond {
		t.Fatalf("attempt 10 never waited more than %v; the ceiling should be ~1s", maxSeen)
	}
}

func TestSleepStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if (Policy{Min: time.Hour, Max: time.Hour}).Sleep(ctx, 0) {
		t.Fatal("Sleep reported a full delay on a cancelled context")
	}
}
