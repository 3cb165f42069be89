package observe

import (
	"testing"

	"github.com/rs/zerolog"
)

// TestSelfLogLines: info and worse JSON lines become log records with
// their message, severity and fields; debug lines and non-JSON are left
// out; a full queue drops and counts instead of blocking.
func TestSelfLogLines(t *testing.T) {
	self := &SelfTelemetry{queue: make(chan selfItem, 2)}
	lines := []struct {
		level zerolog.Level
		line  string
	}{
		{zerolog.DebugLevel, `{"level":"debug","message":"noise"}`},
		{zerolog.WarnLevel, `{"level":"warn","component":"git","error":"disk full","time":"x","message":"push refused"}`},
		{zerolog.InfoLevel, `not json`},
		{zerolog.ErrorLevel, `{"level":"error","message":"second"}`},
		{zerolog.ErrorLevel, `{"level":"error","message":"third: the queue is full"}`},
	}
	for _, l := range lines {
		if n, err := self.WriteLevel(l.level, []byte(l.line)); err != nil || n != len(l.line) {
			t.Fatalf("WriteLevel = %d, %v", n, err)
		}
	}
	first := (<-self.queue).log
	if first.Body != "push refused" || first.Severity != 13 || first.SeverityText != "WARN" || first.Service != SelfService ||
		first.Attributes["component"] != "git" || first.Attributes["error"] != "disk full" || len(first.Attributes) != 2 {
		t.Fatalf("first record %+v", first)
	}
	if second := (<-self.queue).log; second.Body != "second" || second.Severity != 17 {
		t.Fatalf("second record %+v", second)
	}
	if self.dropped.Load() != 1 {
		t.Fatalf("dropped = %d, want 1", self.dropped.Load())
	}
}
