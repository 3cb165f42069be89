package git

import (
	"context"
	"net/http"
	"regexp"
	"strconv"

	"github.com/google/uuid"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	dl "github.com/hearth-dev/hearth/controlplane/internal/download"
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
	Authorize(ctx context.Context, p access.Principal, perm access.Permission, project uuid.UUID) error
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
		dl.Error(w, r, apperr.Invalid("format must be tar.gz, tar or zip"), wwwAuthenticateBrowse)
		return
	}
	sha, err := d.Browser.Resolve(r.Context(), repo, q.Get("ref"))
	if err != nil {
		dl.Error(w, r, err, wwwAuthenticateBrowse)
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
	sw := &dl.Writer{W: w}
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusOK)
		return
	}
	if err := d.Browser.Archive(r.Context(), repo, sha, format, base+"/", sw); err != nil {
		dl.Failed(w, r, sw, err, wwwAuthenticateBrowse)
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
		dl.Error(w, r, err, wwwAuthenticateBrowse)
		return
	}
	if e.Size > d.MaxRawSize {
		dl.JSON(w, http.StatusRequestEntityTooLarge, "resource_exhausted",
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
	sw := &dl.Writer{W: w}
	if err := d.Browser.WriteBlob(r.Context(), repo, e.SHA, sw); err != nil {
		dl.Failed(w, r, sw, err, wwwAuthenticateBrowse)
	}
}

// authorizeDownload resolves and authorizes the request's project for
// repo:read and returns its repository directory; on refusal it has
// answered already.
func (d DownloadDeps) authorizeDownload(w http.ResponseWriter, r *http.Request) (string, bool) {
	ctx := r.Context()
	if err := dl.CheckCaller(ctx); err != nil {
		dl.Error(w, r, err, wwwAuthenticateBrowse)
		return "", false
	}
	p := access.PrincipalFrom(ctx)
	id, err := d.Projects.ResolveProject(ctx, r.PathValue("owner"), r.PathValue("name"))
	if err != nil {
		// An anonymous caller learns nothing from a missing project.
		if isBrowseNotFound(err) && p.IsAnonymous() {
			err = apperr.Unauthenticated("sign in first")
		}
		dl.Error(w, r, err, wwwAuthenticateBrowse)
		return "", false
	}
	if err := d.Authz.Authorize(ctx, p, access.RepoRead, id); err != nil {
		dl.Error(w, r, err, wwwAuthenticateBrowse)
		return "", false
	}
	return d.Browser.Storage.Path(id), true
}
