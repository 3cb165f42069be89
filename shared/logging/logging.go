// Package logging builds the zerolog logger both binaries inject into their
// components. There is no global logger: main builds one and passes it down.
package logging

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/rs/zerolog"
)

// Formats accepted by New.
const (
	FormatJSON    = "json"
	FormatConsole = "console"
)

// New returns a logger writing to w at level ("debug", "info", "warn",
// "error") in format ("json" or "console").
func New(w io.Writer, level, format string) (zerolog.Logger, error) {
	lvl, err := zerolog.ParseLevel(level)
	if err != nil || level == "" {
		return zerolog.Nop(), fmt.Errorf("unknown log level %q (want debug, info, warn or error)", level)
	}
	if format != FormatJSON && format != FormatConsole {
		return zerolog.Nop(), fmt.Errorf("unknown log format %q (want json or console)", format)
	}
	return zerolog.New(formatted(w, format)).Level(lvl).With().Timestamp().Logger(), nil
}

// formatted is w writing format: JSON as is, console for people.
func formatted(w io.Writer, format string) io.Writer {
	if format == FormatConsole {
		// Colours only for a person at a terminal, never into files or pipes.
		return zerolog.ConsoleWriter{Out: w, TimeFormat: time.TimeOnly, NoColor: !isTerminal(w)}
	}
	return w
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
