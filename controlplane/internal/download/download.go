// Package download holds what the plain-HTTP download routes (git archives
// and raw files, job logs, artifacts) share: errors answered the way the
// API answers them, and a stream that fails after its first byte aborting
// the connection, so a client never takes a cut file for a whole one.
package download

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/shared/logfield"
)

// CheckCaller refuses what the authorization interceptor refuses an API
// call before any rule: credentials that were refused, and a user who must
// change their password first. Every download route calls it first.
func CheckCaller(ctx context.Context) error {
	if access.AuthErrorFrom(ctx) != nil {
		return apperr.Unauthenticated("invalid credentials")
	}
	if access.PrincipalFrom(ctx).MustChangePassword {
		return apperr.FailedPrecondition("you must change your password first (POST /api/v1/me/password)")
	}
	return nil
}

// Writer records whether any byte reached the response.
type Writer struct {
	W       http.ResponseWriter
	Started bool
}

func (s *Writer) Write(p []byte) (int, error) {
	if len(p) > 0 {
		s.Started = true
	}
	return s.W.Write(p)
}

// Failed answers a stream's failure: an error response when nothing was
// sent yet (challenge is the WWW-Authenticate value for a 401), otherwise
// an aborted connection.
func Failed(w http.ResponseWriter, r *http.Request, sw *Writer, err error, challenge string) {
	if r.Context().Err() != nil {
		return // the client went away
	}
	if !sw.Started {
		for _, h := range []string{"Content-Disposition", "Content-Length", "ETag"} {
			w.Header().Del(h)
		}
		Error(w, r, err, challenge)
		return
	}
	zerolog.Ctx(r.Context()).Error().Err(err).Str(logfield.Path, r.URL.Path).Msg("download failed mid-stream")
	panic(http.ErrAbortHandler)
}

// Error answers err as the API does, through the one classifier
// (apperr.Classify): its status, Connect code name and user-safe message;
// an internal error's cause is logged, a user-safe error's cause logged as
// a warning. challenge is the WWW-Authenticate value of a 401.
func Error(w http.ResponseWriter, r *http.Request, err error, challenge string) {
	c := apperr.Classify(err)
	log := zerolog.Ctx(r.Context())
	switch {
	case c.Internal():
		log.Error().Err(c.Log).Str(logfield.Path, r.URL.Path).Msg("download failed")
	case c.Log != nil:
		log.Warn().Err(c.Log).Str(logfield.Path, r.URL.Path).Msg(c.Message)
	}
	if c.Kind == apperr.KindUnauthenticated {
		w.Header().Set("WWW-Authenticate", challenge)
	}
	JSON(w, c.Status, c.Code.String(), c.Message)
}

// JSON writes the API's error body {"code": …, "message": …}.
func JSON(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"code": code, "message": msg})
}
