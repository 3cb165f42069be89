package pipeline

import (
	"context"
	"io"
	"net/http"
	"strconv"

	"github.com/google/uuid"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/download"
	"github.com/hearth-dev/hearth/controlplane/internal/pipeline/artifact"
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
			// A job the caller may not see answers as a missing one.
			err = apperr.IfNotFound(d.authorize(ctx, project), errNoJob)
		}
	}
	if err != nil {
		download.Error(w, r, d.refusal(ctx, err), wwwAuthenticate)
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
	sw := &download.Writer{W: w}
	if err := d.Pipelines.logs.WriteRaw(ctx, id, sw); err != nil {
		download.Failed(w, r, sw, err, wwwAuthenticate)
	}
}

func (d DownloadDeps) serveArtifact(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, err := parseID(r.PathValue("id"), "artifact")
	if err != nil {
		download.Error(w, r, d.refusal(ctx, err), wwwAuthenticate)
		return
	}
	meta, err := d.Pipelines.artifacts.Get(ctx, id)
	if err == nil {
		err = d.authorize(ctx, meta.ProjectID)
	}
	if err != nil {
		download.Error(w, r, d.refusal(ctx, apperr.IfNotFound(err, "artifact not found")), wwwAuthenticate)
		return
	}
	body, a, err := d.Pipelines.artifacts.Open(ctx, id)
	if err != nil {
		download.Error(w, r, apperr.IfNotFound(err, "artifact not found"), wwwAuthenticate)
		return
	}
	defer func() { _ = body.Close() }()
	name := a.Name
	if !artifact.ValidName(name) {
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
	sw := &download.Writer{W: w}
	if _, err := io.Copy(sw, body); err != nil {
		download.Failed(w, r, sw, err, wwwAuthenticate)
	}
}

func (d DownloadDeps) authorize(ctx context.Context, project uuid.UUID) error {
	if err := download.CheckCaller(ctx); err != nil {
		return err
	}
	return d.Authz.Authorize(ctx, access.PrincipalFrom(ctx), access.PipelineRead, project)
}

// refusal is what a refused caller learns: an anonymous one is asked to
// sign in whether or not the thing exists.
func (d DownloadDeps) refusal(ctx context.Context, err error) error {
	if access.AuthErrorFrom(ctx) != nil {
		return apperr.Unauthenticated("invalid credentials")
	}
	return anonymousNotFound(ctx, err)
}
