package logging

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestJSONLoggerWritesLevelledJSON(t *testing.T) {
	var buf bytes.Buffer
	log, err := New(&buf, "warn", FormatJSON)
	if err != nil {
		t.Fatal(err)
	}
	log.Info().Msg("dropped")
	log.Warn().Str("k", "v").Msg("kept")
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("want exactly one JSON line, got %q: %v", buf.String(), err)
	}
	if line["message"] != "kept" || line["level"] != "warn" || line["k"] != "v" {
		t.Fatalf("unexpected line %v", line)
	}
}

func TestConsoleLoggerHasNoColoursInPipes(t *testing.T) {
	var buf bytes.Buffer
	log, err := New(&buf, "info", FormatConsole)
	if err != nil {
		t.Fatal(err)
	}
	log.Info().Msg("hello")
	if !strings.Contains(buf.String(), "hello") || strings.Contains(buf.String(), "\x1b[") {
		t.Fatalf("unexpected console output %q", buf.String())
	}
}

func TestRejectsUnknownSettings(t *testing.T) {
	if _, err := New(&bytes.Buffer{}, "loud", FormatJSON); err == nil {
		t.Error("unknown level accepted")
	}
	if _, err := New(&bytes.Buffer{}, "info", "xml"); err == nil {
		t.Error("unknown format accepted")
	}
}
