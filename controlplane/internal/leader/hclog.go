package leader

import (
	"bytes"
	"fmt"
	"io"
	"log"
	"strings"
	"sync/atomic"

	"github.com/hashicorp/go-hclog"
	"github.com/rs/zerolog"
)

// hclogAdapter routes hashicorp/raft's logs (hclog) into the injected
// zerolog logger. The logger name is a message prefix ("raft: ..."), the
// key/value pairs become fields. Levels map one to one; zerolog's level
// filters as usual, and SetLevel can raise the floor further.
type hclogAdapter struct {
	log     zerolog.Logger
	name    string
	implied []any
	// floor is shared by the adapter and the loggers derived from it, as
	// hclog's SetLevel requires.
	floor *atomic.Int32
}

var _ hclog.Logger = (*hclogAdapter)(nil)

func newHCLogAdapter(l zerolog.Logger, name string) *hclogAdapter {
	floor := &atomic.Int32{}
	floor.Store(int32(hclog.Trace))
	return &hclogAdapter{log: l, name: name, floor: floor}
}

func zerologLevel(l hclog.Level) zerolog.Level {
	switch l {
	case hclog.Trace:
		return zerolog.TraceLevel
	case hclog.Debug:
		return zerolog.DebugLevel
	case hclog.Warn:
		return zerolog.WarnLevel
	case hclog.Error:
		return zerolog.ErrorLevel
	case hclog.Off:
		return zerolog.Disabled
	default: // Info, NoLevel, DefaultLevel
		return zerolog.InfoLevel
	}
}

func (a *hclogAdapter) enabled(l hclog.Level) bool {
	if l == hclog.Off || l < hclog.Level(a.floor.Load()) {
		return false
	}
	zl := zerologLevel(l)
	return zl >= a.log.GetLevel() && zl >= zerolog.GlobalLevel()
}

func (a *hclogAdapter) Log(level hclog.Level, msg string, args ...any) {
	if level == hclog.NoLevel || level == hclog.DefaultLevel {
		level = hclog.Info
	}
	if !a.enabled(level) {
		return
	}
	e := a.log.WithLevel(zerologLevel(level))
	if e == nil {
		return
	}
	addFields(e, a.implied)
	addFields(e, args)
	if a.name != "" {
		msg = a.name + ": " + msg
	}
	e.Msg(msg)
}

// addFields adds hclog-style alternating key/value pairs to e.
func addFields(e *zerolog.Event, kv []any) {
	for i := 0; i < len(kv); i += 2 {
		if i+1 == len(kv) {
			e.Interface("EXTRA_VALUE_AT_END", kv[i])
			break
		}
		key, ok := kv[i].(string)
		if !ok {
			key = fmt.Sprint(kv[i])
		}
		switch v := kv[i+1].(type) {
		case error:
			e.AnErr(key, v)
		case hclog.Format:
			if len(v) > 0 {
				if f, ok := v[0].(string); ok {
					e.Str(key, fmt.Sprintf(f, v[1:]...))
					continue
				}
			}
			e.Str(key, fmt.Sprint(v...))
		case fmt.Stringer:
			e.Stringer(key, v)
		default:
			e.Interface(key, v)
		}
	}
}

func (a *hclogAdapter) Trace(msg string, args ...any) { a.Log(hclog.Trace, msg, args...) }
func (a *hclogAdapter) Debug(msg string, args ...any) { a.Log(hclog.Debug, msg, args...) }
func (a *hclogAdapter) Info(msg string, args ...any)  { a.Log(hclog.Info, msg, args...) }
func (a *hclogAdapter) Warn(msg string, args ...any)  { a.Log(hclog.Warn, msg, args...) }
func (a *hclogAdapter) Error(msg string, args ...any) { a.Log(hclog.Error, msg, args...) }

func (a *hclogAdapter) IsTrace() bool { return a.enabled(hclog.Trace) }
func (a *hclogAdapter) IsDebug() bool { return a.enabled(hclog.Debug) }
func (a *hclogAdapter) IsInfo() bool  { return a.enabled(hclog.Info) }
func (a *hclogAdapter) IsWarn() bool  { return a.enabled(hclog.Warn) }
func (a *hclogAdapter) IsError() bool { return a.enabled(hclog.Error) }

func (a *hclogAdapter) ImpliedArgs() []any { return append([]any(nil), a.implied...) }

func (a *hclogAdapter) With(args ...any) hclog.Logger {
	c := *a
	c.implied = append(append([]any(nil), a.implied...), args...)
	return &c
}

func (a *hclogAdapter) Name() string { return a.name }

func (a *hclogAdapter) Named(name string) hclog.Logger {
	c := *a
	if c.name != "" {
		c.name += "." + name
	} else {
		c.name = name
	}
	return &c
}

func (a *hclogAdapter) ResetNamed(name string) hclog.Logger {
	c := *a
	c.name = name
	return &c
}

func (a *hclogAdapter) SetLevel(level hclog.Level) { a.floor.Store(int32(level)) }

func (a *hclogAdapter) GetLevel() hclog.Level {
	floor := hclog.Level(a.floor.Load())
	var zl hclog.Level
	switch max(a.log.GetLevel(), zerolog.GlobalLevel()) {
	case zerolog.TraceLevel:
		zl = hclog.Trace
	case zerolog.DebugLevel:
		zl = hclog.Debug
	case zerolog.InfoLevel:
		zl = hclog.Info
	case zerolog.WarnLevel:
		zl = hclog.Warn
	case zerolog.ErrorLevel, zerolog.FatalLevel, zerolog.PanicLevel:
		zl = hclog.Error
	default:
		zl = hclog.Off
	}
	return max(floor, zl)
}

func (a *hclogAdapter) StandardLogger(opts *hclog.StandardLoggerOptions) *log.Logger {
	return log.New(a.StandardWriter(opts), "", 0)
}

func (a *hclogAdapter) StandardWriter(opts *hclog.StandardLoggerOptions) io.Writer {
	level := hclog.Info
	if opts != nil && opts.ForceLevel != hclog.NoLevel {
		level = opts.ForceLevel
	}
	return &stdWriter{a: a, level: level}
}

// stdWriter logs each line written by a standard library logger.
type stdWriter struct {
	a     *hclogAdapter
	level hclog.Level
}

func (w *stdWriter) Write(p []byte) (int, error) {
	for line := range strings.SplitSeq(string(bytes.TrimRight(p, "\n")), "\n") {
		w.a.Log(w.level, line)
	}
	return len(p), nil
}
