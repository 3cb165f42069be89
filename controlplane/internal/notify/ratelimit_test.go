package notify

import (
	"testing"
	"time"

	"github.com/google/uuid"
)

// TestWebhookRateLimit: a webhook gets its burst at once, then one turn
// per interval; another webhook has its own; a refused turn is not taken.
func TestWebhookRateLimit(t *testing.T) {
	l := newLimiters(10, 3)
	a, b := uuid.New(), uuid.New()
	now := time.Unix(1000, 0)
	for i := range 3 {
		if d := l.wait(a, now); d != 0 {
			t.Fatalf("burst turn %d waits %v", i, d)
		}
	}
	d := l.wait(a, now)
	if d <= 0 || d > 100*time.Millisecond {
		t.Fatalf("after the burst: wait %v, want up to 100ms", d)
	}
	if again := l.wait(a, now); again != d {
		t.Fatalf("a refused turn was taken: %v then %v", d, again)
	}
	if d := l.wait(b, now); d != 0 {
		t.Fatalf("another webhook waits %v", d)
	}
	if d := l.wait(a, now.Add(100*time.Millisecond)); d != 0 {
		t.Fatalf("after an interval: wait %v", d)
	}
}
