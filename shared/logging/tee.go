package logging

import (
	"io"
	"sync/atomic"

	"github.com/rs/zerolog"
)

// Tee receives a copy of every JSON log line, with its level, once a
// destination is attached (the control plane's self-telemetry attaches
// itself after start). Until then, and after Detach, lines go nowhere.
type Tee struct {
	to atomic.Pointer[zerolog.LevelWriter]
}

// Attach sends every later line to w.
func (t *Tee) Attach(w zerolog.LevelWriter) { t.to.Store(&w) }

// Detach stops sending lines.
func (t *Tee) Detach() { t.to.Store(nil) }

// Write drops p: zerolog's multi-level writer calls WriteLevel.
func (t *Tee) Write(p []byte) (int, error) { return len(p), nil }

// WriteLevel hands p to the attached writer, if any.
func (t *Tee) WriteLevel(l zerolog.Level, p []byte) (int, error) {
	if w := t.to.Load(); w != nil {
		_, _ = (*w).WriteLevel(l, p) // a failing copy never fails the log
	}
	return len(p), nil
}

// NewTeed is New with every line also handed, as JSON, to tee.
func NewTeed(w io.Writer, level, format string, tee *Tee) (zerolog.Logger, error) {
	log, err := New(w, level, format)
	if err != nil || tee == nil {
		return log, err
	}
	lvl := log.GetLevel()
	out := zerolog.MultiLevelWriter(formatted(w, format), tee)
	return zerolog.New(out).Level(lvl).With().Timestamp().Logger(), nil
}
