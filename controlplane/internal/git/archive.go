package git

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strconv"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/rbac"
	"github.com/hearth-dev/hearth/shared/logfield"
)

// DefaultMaxRawSize bounds a raw file download unless DownloadDeps says
// otherwise.
const DefaultMaxRawSize = 100 << 20

// Download routes, for http.ServeMux (Go 1.22 patterns). They are more
// specific than the REST transcoder's "/api/v1/", so they win over it.
const (
	ArchivePattern = "GET /api/v1/projects/{owner}/{name}/repository/archive"
	RawPattern     = "GET /api/v1/projects/{owner}/{name}/repository/raw"
)

// wwwAuthenticateBrowse tells HTTP clients how to authenticate (as the
// API and git HTTP do).
const wwwAuthenticateBrowse = `Bearer realm="hearth", Basic realm="hearth"`

// BrowseProjects resolves the owner/name of a URL to a project id. An
// unknown project is an apperr NotFound.
type BrowseProjects interface {
	ResolveProject(ctx context.Context, owner, name string) (uuid.UUID, error)
}

// BrowseAuthorizer is the one authorizer (rbac.Service): may p use perm on
// project? It answers with apperr kinds Unauthenticated, NotFound or
// PermissionDenied.
type BrowseAuthorizer interface {
	Authorize(ctx context.Context, p rbac.Principal, perm rbac.Permission, project uuid.UUID) error
}

// DownloadDeps is what the download handlers need.
type DownloadDeps struct {
	Browser  Browser
	Projects BrowseProjects
	Authz    BrowseAuthorizer
	// MaxRawSize bounds raw downloads (0: DefaultMaxRawSize).
	MaxRawSize int64
}

// RegisterDownloads mounts the archive and raw file downloads on mux. Both
// need repo:read on the project: anonymous callers of a private or unknown
// project get 401 with WWW-Authenticate, signed-in callers who cannot read
// it 404.
func RegisterDownloads(mux *http.ServeMux, d DownloadDeps) {
	if d.MaxRawSize <= 0 {
		d.MaxRawSize = DefaultMaxRawSize
	}
	mux.HandleFunc(ArchivePattern, d.serveArchive)
	mux.HandleFunc(RawPattern, d.serveRaw)
}

// archiveName is what a project name must look like to name an archive
// (project.ValidName's alphabet; the resolver has accepted it already).
var archiveName = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$`)

var archiveTypes = map[string]string{
	"tar.gz": "application/gzip",
	"tar":    "application/x-tar",
	"zip":    "application/zip",
}

func (d DownloadDeps) serveArchive(w http.ResponseWriter, r *http.Request) {
	repo, ok := d.authorizeDownload(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	format := q.Get("format")
	if format == "" {
		format = "tar.gz"
	}
	contentType, ok := archiveTypes[format]
	if !ok {
		writeDownloadError(w, r, apperr.Invalid("format must be tar.gz, tar or zip"))
		return
	}
	sha, err := d.Browser.Resolve(r.Context(), repo, q.Get("ref"))
	if err != nil {
		writeDownloadError(w, r, err)
		return
	}
	name := r.PathValue("name")
	if !archiveName.MatchString(name) {
		name = "archive"
	}
	base := name + "-" + sha[:8]
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Disposition", `attachment; filename="`+base+"."+format+`"`)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "private, no-cache")
	sw := &startedWriter{w: w}
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusOK)
		return
	}
	if err := d.Browser.Archive(r.Context(), repo, sha, format, base+"/", sw); err != nil {
		d.streamFailed(w, r, sw, err)
	}
}

func (d DownloadDeps) serveRaw(w http.ResponseWriter, r *http.Request) {
	repo, ok := d.authorizeDownload(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	_, e, err := d.Browser.BlobEntry(r.Context(), repo, q.Get("ref"), q.Get("path"))
	if err != nil {
		writeDownloadError(w, r, err)
		return
	}
	if e.Size > d.MaxRawSize {
		writeDownloadJSON(w, http.StatusRequestEntityTooLarge, "resource_exhausted",
			"file is larger than the raw download limit of "+strconv.FormatInt(d.MaxRawSize, 10)+" bytes")
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Length", strconv.FormatInt(e.Size, 10))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Content-Disposition", "attachment")
	h.Set("ETag", `"`+e.SHA+`"`)
	h.Set("Cache-Control", "private, no-cache")
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusOK)
		return
	}
	sw := &startedWriter{w: w}
	if err := d.Browser.WriteBlob(r.Context(), repo, e.SHA, sw); err != nil {
		d.streamFailed(w, r, sw, err)
	}
}

// authorizeDownload resolves and authorizes the request's project for
// repo:read and returns its repository directory; on refusal it has
// answered already.
func (d DownloadDeps) authorizeDownload(w http.ResponseWriter, r *http.Request) (string, bool) {
	ctx := r.Context()
	if err := rbac.AuthErrorFrom(ctx); err != nil {
		writeDownloadError(w, r, apperr.Unauthenticated("invalid credentials"))
		return "", false
	}
	p := rbac.PrincipalFrom(ctx)
	id, err := d.Projects.ResolveProject(ctx, r.PathValue("owner"), r.PathValue("name"))
	if err != nil {
		// An anonymous caller learns nothing from a missing project.
		if isBrowseNotFound(err) && p.IsAnonymous() {
			err = apperr.Unauthenticated("sign in first")
		}
		writeDownloadError(w, r, err)
		return "", false
	}
	if err := d.Authz.Authorize(ctx, p, rbac.RepoRead, id); err != nil {
		writeDownloadError(w, r, err)
		return "", false
	}
	return d.Browser.Storage.Path(id), true
}

// streamFailed ends a download whose git process failed: an error response
// when nothing was sent yet, otherwise an aborted connection so the client
// never takes a cut archive for a whole one.
func (d DownloadDeps) streamFailed(w http.ResponseWriter, r *http.Request, sw *startedWriter, err error) {
	if r.Context().Err() != nil {
		return // the client went away
	}
	if !sw.started {
		w.Header().Del("Content-Disposition")
		w.Header().Del("Content-Length")
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
				w.Header().Set("WWW-Authenticate", wwwAuthenticateBrowse)
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
