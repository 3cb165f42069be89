package server

import (
	"net/http"
	"regexp"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/shared/logfield"
)

// RequestIDHeader carries the request id both ways.
const RequestIDHeader = "X-Request-Id"

// A caller-supplied request id is kept only when it is short and plain, so
// it can be logged and echoed safely.
var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

type requestIDKey struct{}

// statusRecorder remembers the status code for the access log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach Flush and friends.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// Flush: streaming RPCs (connect-go asserts http.Flusher directly) flush
// every message.
func (s *statusRecorder) Flush() {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	_ = http.NewResponseController(s.ResponseWriter).Flush()
}

// withRequestContext gives every request an id, a logger carrying it (in
// the context, for zerolog.Ctx), panic recovery and one access-log line.
// Bodies, query strings and headers are never logged: they carry secrets.
func withRequestContext(base zerolog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(RequestIDHeader)
		if !validRequestID.MatchString(id) {
			id = uuid.NewString()
		}
		w.Header().Set(RequestIDHeader, id)
		log := base.With().Str(logfield.RequestID, id).Logger()
		ctx := log.WithContext(r.Context())
		ctx = contextWithRequestID(ctx, id)
		rec := &statusRecorder{ResponseWriter: w}
		start := time.Now()
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler { //nolint:errorlint // the sentinel is compared by identity, as net/http does.
					panic(v)
				}
				log.Error().Interface(logfield.PanicValue, v).Str(logfield.Path, r.URL.Path).Msg("handler panicked")
				if rec.status == 0 {
					http.Error(rec, "internal error (request id "+id+")", http.StatusInternalServerError)
				}
			}
			log.Debug().Str(logfield.Method, r.Method).Str(logfield.Path, r.URL.Path).
				Int(logfield.Status, rec.status).Dur(logfield.Duration, time.Since(start)).Msg("request")
		}()
		next.ServeHTTP(rec, r.WithContext(ctx))
	})
}
