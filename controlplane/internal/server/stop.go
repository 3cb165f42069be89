package server

import (
	"context"
	"log"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/shared/logfield"
)

// stopStack records how to stop each started stage; run stops them in
// reverse order, all within one deadline.
type stopStack struct {
	stages []stopStage
}

type stopStage struct {
	name string
	stop func(context.Context) error
}

func (s *stopStack) push(name string, stop func(context.Context) error) {
	s.stages = append(s.stages, stopStage{name: name, stop: stop})
}

func (s *stopStack) run(log zerolog.Logger, timeout time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for i := len(s.stages) - 1; i >= 0; i-- {
		st := s.stages[i]
		if err := st.stop(ctx); err != nil {
			log.Warn().Err(err).Str(logfield.Stage, st.name).Msg("stopping failed")
		}
	}
	s.stages = nil
}

// newStdLogger routes net/http's internal error log (TLS handshake noise
// and the like) to zerolog at debug level.
func newStdLogger(l zerolog.Logger) *log.Logger {
	return log.New(debugWriter{l.With().Str(logfield.Component, "http").Logger()}, "", 0)
}

type debugWriter struct{ log zerolog.Logger }

func (w debugWriter) Write(p []byte) (int, error) {
	w.log.Debug().Msg(strings.TrimSpace(string(p)))
	return len(p), nil
}
