package logging

import (
	"bytes"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

type levelLines struct{ lines []string }

func (l *levelLines) Write(p []byte) (int, error) { return len(p), nil }

func (l *levelLines) WriteLevel(lvl zerolog.Level, p []byte) (int, error) {
	l.lines = append(l.lines, lvl.String()+" "+strings.TrimSpace(string(p)))
	return len(p), nil
}

// TestTee: the console output stays as it was; the tee gets each line as
// JSON with its level, only while something is attached.
func TestTee(t *testing.T) {
	var out bytes.Buffer
	tee := &Tee{}
	log, err := NewTeed(&out, "info", FormatConsole, tee)
	if err != nil {
		t.Fatal(err)
	}
	log.Info().Msg("before")
	got := &levelLines{}
	tee.Attach(got)
	log.Warn().Str("k", "v").Msg("during")
	log.Debug().Msg("below the level")
	tee.Detach()
	log.Info().Msg("after")
	if len(got.lines) != 1 || !strings.HasPrefix(got.lines[0], `warn {"level":"warn","k":"v"`) || !strings.Contains(got.lines[0], `"message":"during"`) {
		t.Fatalf("tee got %q", got.lines)
	}
	if s := out.String(); !strings.Contains(s, "before") || !strings.Contains(s, "during") || !strings.Contains(s, "after") || strings.Contains(s, `{"level"`) {
		t.Fatalf("console output %q", s)
	}
}
