package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strconv"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/rbac"
	"github.com/hearth-dev/hearth/shared/logfield"
)

// Download routes, for http.ServeMux. They are more specific than the
// REST transcoder's "/api/v1/", so they win over it.
const (
	LogPattern      = "GET /api/v1/jobs/{id}/log"
	ArtifactPattern = "GET /api/v1/artifacts/{id}/download"
)

// wwwAuthenticate tells HTTP clients how to authenticate (as the API does).
const wwwAuthenticate = `Bearer realm="hearth"`

// DownloadDeps is what the download handlers need.
type DownloadDeps struct {
	Pipelines *Service
	Authz     Authorizer
}

// RegisterDownloads mounts the raw job log and the artifact downloads on
// mux. Both need pipeline:read on the job's project: anonymous callers of
// a private or unknown one get 401, signed-in callers who cannot see it
// 404, those who see it without the permission 403.
func RegisterDownloads(mux *http.ServeMux, d DownloadDeps) {
	mux.HandleFunc(LogPattern, d.serveLog)
	mux.HandleFunc(ArtifactPattern, d.serveArtifact)
}

// serveLog writes a job's whole log as stored so far (every step in
// order, raw bytes with ANSI colour codes).
func (d DownloadDeps) serveLog(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, err := parseID(r.PathValue("id"), "job")
	if err == nil {
		var project uuid.UUID
		if project, err = d.Pipelines.JobProject(ctx, id); err == nil {
			err = d.authorize(ctx, project)
		}
	}
	if err != nil {
		writeDownloadError(w, r, d.refusal(ctx, err))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "private, no-cache")
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusOK)
		return
	}
	sw := &startedWriter{w: w}
	if err := d.Pipelines.logs.WriteRaw(ctx, id, sw); err != nil {
		streamFailed(w, r, sw, err)
	}
}

// artifactName is what an artifact name may look like in a header (the
// artifact table's check); anything else is sent as "artifact".
var artifactName = regexp.MustCompile(`^[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}$`)

func (d DownloadDeps) serveArtifact(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, err := parseID(r.PathValue("id"), "artifact")
	if err != nil {
		writeDownloadError(w, r, d.refusal(ctx, err))
		return
	}
	meta, err := d.Pipelines.artifacts.Get(ctx, id)
	if err == nil {
		err = d.authorize(ctx, meta.ProjectID)
	}
	if err != nil {
		writeDownloadError(w, r, d.refusal(ctx, notFound(err, "artifact not found")))
		return
	}
	body, a, err := d.Pipelines.artifacts.Open(ctx, id)
	if err != nil {
		writeDownloadError(w, r, notFound(err, "artifact not found"))
		return
	}
	defer func() { _ = body.Close() }()
	name := a.Name
	if !artifactName.MatchString(name) {
		name = "artifact"
	}
	h := w.Header()
	h.Set("Content-Type", "application/gzip")
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	h.Set("Content-Length", strconv.FormatInt(a.Size, 10))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "private, no-cache")
	if a.SHA256 != "" {
		h.Set("ETag", `"`+a.SHA256+`"`)
	}
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusOK)
		return
	}
	sw := &startedWriter{w: w}
	if _, err := io.Copy(sw, body); err != nil {
		streamFailed(w, r, sw, err)
	}
}

func (d DownloadDeps) authorize(ctx context.Context, project uuid.UUID) error {
	if err := checkCaller(ctx); err != nil {
		return err
	}
	return d.Authz.Authorize(ctx, rbac.PrincipalFrom(ctx), rbac.PipelineRead, project)
}

// refusal is what a refused caller learns: an anonymous one is asked to
// sign in whether or not the thing exists.
func (d DownloadDeps) refusal(ctx context.Context, err error) error {
	if rbac.AuthErrorFrom(ctx) != nil {
		return apperr.Unauthenticated("invalid credentials")
	}
	return anonymousNotFound(ctx, err)
}

// streamFailed ends a download that failed: an error response when
// nothing was sent yet, otherwise an aborted connection so the client
// never takes a cut log or archive for a whole one.
func streamFailed(w http.ResponseWriter, r *http.Request, sw *startedWriter, err error) {
	if r.Context().Err() != nil {
		return // the client went away
	}
	if !sw.started {
		w.Header().Del("Content-Disposition")
		w.Header().Del("Content-Length")
		w.Header().Del("ETag")
		writeDownloadError(w, r, err)
		return
	}
	zerolog.Ctx(r.Context()).Error().Err(err).Str(logfield.Path, r.URL.Path).Msg("download failed mid-stream")
	panic(http.ErrAbortHandler)
}

// startedWriter records whether any byte reached the response.
type startedWriter struct {
	w       http.ResponseWriter
	started bool
}

func (s *startedWriter) Write(p []byte) (int, error) {
	if len(p) > 0 {
		s.started = true
	}
	return s.w.Write(p)
}

// downloadCodes maps apperr kinds to HTTP statuses and Connect code names.
var downloadCodes = map[apperr.Kind]struct {
	status int
	code   string
}{
	apperr.KindInvalid:            {http.StatusBadRequest, "invalid_argument"},
	apperr.KindNotFound:           {http.StatusNotFound, "not_found"},
	apperr.KindUnauthenticated:    {http.StatusUnauthorized, "unauthenticated"},
	apperr.KindPermissionDenied:   {http.StatusForbidden, "permission_denied"},
	apperr.KindFailedPrecondition: {http.StatusBadRequest, "failed_precondition"},
	apperr.KindResourceExhausted:  {http.StatusTooManyRequests, "resource_exhausted"},
	apperr.KindUnavailable:        {http.StatusServiceUnavailable, "unavailable"},
}

// writeDownloadError answers err as the API does: a user-safe message for
// apperr errors, a generic one (cause logged) for anything else.
func writeDownloadError(w http.ResponseWriter, r *http.Request, err error) {
	if e, ok := apperr.As(err); ok {
		if c, ok := downloadCodes[e.Kind]; ok {
			if e.Kind == apperr.KindUnauthenticated {
				w.Header().Set("WWW-Authenticate", wwwAuthenticate)
			}
			writeDownloadJSON(w, c.status, c.code, e.Message)
			return
		}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		writeDownloadJSON(w, http.StatusServiceUnavailable, "unavailable", "request cancelled or timed out")
		return
	}
	zerolog.Ctx(r.Context()).Error().Err(err).Str(logfield.Path, r.URL.Path).Msg("download failed")
	writeDownloadJSON(w, http.StatusInternalServerError, "internal", "internal error")
}

func writeDownloadJSON(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"code": code, "message": msg})
}
