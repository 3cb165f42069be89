package git

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/shared/logfield"
)

// HTTPProject is what git over HTTP needs to know about a project.
type HTTPProject struct {
	ID            uuid.UUID
	DefaultBranch string
	// Archived projects are read-only: clones and fetches work, pushes
	// are refused.
	Archived bool
}

// ProjectResolver finds a project by its URL path (owner and name, as
// typed; case-insensitive is fine). An unknown project is apperr.NotFound.
// It does not authorize.
type ProjectResolver interface {
	Resolve(ctx context.Context, owner, name string) (HTTPProject, error)
}

// Authorizer is rbac's one authorizer.
type Authorizer interface {
	Authorize(ctx context.Context, p access.Principal, perm access.Permission, project uuid.UUID) error
}

// RefRules returns a project's protected ref rules (PGStore).
type RefRules interface {
	ProtectedRefs(ctx context.Context, projectID uuid.UUID) ([]ProtectedRef, error)
}

// HTTPDeps is what the smart HTTP handler needs.
type HTTPDeps struct {
	Storage  Storage
	Git      Runner
	Projects ProjectResolver
	Authz    Authorizer
	// Events gets one PushEvent per accepted push (nil: none recorded).
	Events PushEventSink
	// Rules are the protected refs (nil: only the default branch's
	// implicit protection).
	Rules  RefRules
	Logger zerolog.Logger
	Limits Limits
	// HooksDir is the server-managed hooks directory (default:
	// "git-hooks" beside Storage.Root).
	HooksDir string
	// Fallback serves the requests Register's catch-all receives that are
	// not git paths (the console); nil: 404.
	Fallback http.Handler
}

// HTTP serves git's smart HTTP protocol (v0, v1 and v2).
type HTTP struct {
	d        HTTPDeps
	limits   Limits
	slots    *limiter
	hooksDir string
	mux      *http.ServeMux
}

// NewHTTP checks d, installs the hooks and returns the handler.
func NewHTTP(d HTTPDeps) (*HTTP, error) {
	if d.Storage.Root == "" || d.Projects == nil || d.Authz == nil {
		return nil, errors.New("git: Storage.Root, Projects and Authz are required")
	}
	h := &HTTP{d: d, limits: d.Limits.withDefaults(), hooksDir: d.HooksDir}
	if h.hooksDir == "" {
		h.hooksDir = filepath.Join(filepath.Dir(filepath.Clean(d.Storage.Root)), "git-hooks")
	}
	if err := installHooks(h.hooksDir); err != nil {
		return nil, err
	}
	h.slots = newLimiter(h.limits.PerRepo, h.limits.Global)
	h.mux = http.NewServeMux()
	for _, p := range Patterns {
		h.mux.HandleFunc(p, h.serveGit)
	}
	return h, nil
}

// Patterns are the routes of Handler. They cannot sit on the server's own
// mux: "/{owner}/{repo}/info/refs" conflicts with prefix patterns such as
// "/api/" or "/hearth.v1.Service/" (each matches requests the other does
// not), and net/http panics on such pairs. Register therefore routes
// through the catch-all "/" instead.
var Patterns = []string{
	"GET /{owner}/{repo}/info/refs",
	"POST /{owner}/{repo}/git-upload-pack",
	"POST /{owner}/{repo}/git-receive-pack",
	// Dumb HTTP, refused with a readable message.
	"/{owner}/{repo}/HEAD",
	"/{owner}/{repo}/objects/{rest...}",
	"/{owner}/{repo}/info/{file}",
}

// Handler serves exactly the git paths (Patterns) and answers 404 to
// anything else.
func (h *HTTP) Handler() http.Handler { return h.mux }

// Register adds the catch-all pattern "/" to mux: git paths
// (IsGitPath) go to Handler, everything else to HTTPDeps.Fallback. Being
// the least specific pattern, "/" never shadows "/api/", Connect, probes or
// "GET /{$}".
func (h *HTTP) Register(mux *http.ServeMux) {
	mux.Handle("/", h.Wrap(h.d.Fallback))
}

// Wrap sends git paths to Handler and everything else to next (nil: 404).
func (h *HTTP) Wrap(next http.Handler) http.Handler {
	if next == nil {
		next = http.NotFoundHandler()
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if IsGitPath(r.URL.Path) {
			h.mux.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// IsGitPath reports whether p is shaped like a git HTTP path
// ("/<owner>/<repo>/info/refs", ".../git-upload-pack", …, or a dumb HTTP
// path), whatever its names; "/api/..." never is.
func IsGitPath(p string) bool {
	owner, rest, ok := strings.Cut(strings.TrimPrefix(p, "/"), "/")
	if !ok || owner == "api" || !strings.HasPrefix(p, "/") {
		return false
	}
	_, rest, ok = strings.Cut(rest, "/")
	if !ok {
		return false
	}
	switch {
	case rest == "info/refs", rest == "git-upload-pack", rest == "git-receive-pack", rest == "HEAD",
		strings.HasPrefix(rest, "objects/"), strings.HasPrefix(rest, "info/") && !strings.Contains(rest[5:], "/"):
		return true
	}
	return false
}

// RepoPath is a parsed git URL path.
type RepoPath struct {
	Owner, Name string
	// Op is "info/refs", "git-upload-pack" or "git-receive-pack"; "" for
	// a dumb HTTP path.
	Op string
}

var (
	validPathName = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$`)
	// gitProtocol is what GIT_PROTOCOL may carry to git.
	gitProtocol = regexp.MustCompile(`^version=[0-2](:[a-z0-9_-]{1,32}=[A-Za-z0-9._-]{1,64}){0,8}$`)
	// ErrNotGitPath is ParseRepoPath's answer for a path that is not a git one.
	ErrNotGitPath = errors.New("not a git path")
	// ErrBadRepoName is ParseRepoPath's answer for a git path whose owner
	// or project name cannot exist.
	ErrBadRepoName = errors.New("invalid owner or project name")
)

// ParseRepoPath parses "/<owner>/<project>[.git]/<op>". Names follow the
// project rules (1-100 of [A-Za-z0-9_.-], not starting with '.' or '-',
// no ".."); ErrBadRepoName otherwise, ErrNotGitPath when the path is not a
// git one.
func ParseRepoPath(p string) (RepoPath, error) {
	if !IsGitPath(p) {
		return RepoPath{}, ErrNotGitPath
	}
	parts := strings.SplitN(p[1:], "/", 3)
	owner, name, op := parts[0], parts[1], parts[2]
	name = strings.TrimSuffix(name, ".git")
	if !validPathName.MatchString(owner) || !validPathName.MatchString(name) ||
		strings.Contains(owner, "..") || strings.Contains(name, "..") ||
		strings.HasSuffix(strings.ToLower(name), ".git") {
		return RepoPath{}, ErrBadRepoName
	}
	switch op {
	case "info/refs", "git-upload-pack", "git-receive-pack":
	default:
		op = ""
	}
	return RepoPath{Owner: owner, Name: name, Op: op}, nil
}

const (
	uploadPack  = "git-upload-pack"
	receivePack = "git-receive-pack"
	dumbRefusal = "This server only speaks git's smart HTTP protocol; dumb HTTP is not supported.\n" +
		"Use a git client (version 1.6.6 or later).\n"
)

// fail answers err through the one classifier (apperr.Classify): its
// status and user-safe message, which git shows; an internal error's cause
// is logged with what failed.
func (h *HTTP) fail(w http.ResponseWriter, r *http.Request, err error, what string) {
	c := apperr.Classify(err)
	switch log := h.logger(r.Context()); {
	case c.Internal():
		log.Error().Err(c.Log).Msg(what)
	case c.Log != nil:
		log.Warn().Err(c.Log).Msg(what)
	}
	textError(w, c.Status, c.Message+"\n")
}

// textError answers a request git will show: text/plain, one message.
func textError(w http.ResponseWriter, status int, msg string) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, msg) //nolint:gosec // G705: text/plain with nosniff; messages are the server's own.
}

func (h *HTTP) logger(ctx context.Context) *zerolog.Logger {
	if l := zerolog.Ctx(ctx); l.GetLevel() != zerolog.Disabled {
		return l
	}
	return &h.d.Logger
}

// serveGit is every route of Patterns.
func (h *HTTP) serveGit(w http.ResponseWriter, r *http.Request) {
	rp, err := ParseRepoPath(r.URL.Path)
	switch {
	case errors.Is(err, ErrNotGitPath):
		textError(w, http.StatusNotFound, "not found\n")
		return
	case err != nil:
		textError(w, http.StatusBadRequest, "invalid repository path\n")
		return
	}
	var service string
	switch rp.Op {
	case "info/refs":
		service = r.URL.Query().Get("service")
		if service == "" {
			textError(w, http.StatusForbidden, dumbRefusal)
			return
		}
		if service != uploadPack && service != receivePack {
			textError(w, http.StatusForbidden, "unsupported service\n")
			return
		}
	case "":
		textError(w, http.StatusForbidden, dumbRefusal)
		return
	default:
		service = rp.Op
	}
	proj, ok := h.authorize(w, r, rp, service)
	if !ok {
		return
	}
	release, err := h.slots.acquire(r.Context(), proj.ID, h.limits.Wait)
	if err != nil {
		switch {
		case errors.Is(err, errRepoBusy):
			w.Header().Set("Retry-After", "5")
			textError(w, http.StatusTooManyRequests, "too many git operations on this repository; retry later\n")
		case errors.Is(err, errServerBusy):
			w.Header().Set("Retry-After", "5")
			textError(w, http.StatusServiceUnavailable, "the server is busy; retry later\n")
		}
		return // or the client left
	}
	defer release()
	if rp.Op == "info/refs" {
		h.infoRefs(w, r, proj, service)
		return
	}
	h.rpc(w, r, proj, service)
}

// authorize resolves the project and checks the permission service needs;
// on refusal it has answered.
func (h *HTTP) authorize(w http.ResponseWriter, r *http.Request, rp RepoPath, service string) (HTTPProject, bool) {
	ctx := r.Context()
	p := access.PrincipalFrom(ctx)
	if p.ViaSession {
		// git clients never send cookies; a browser does, on its own and
		// cross-site, and git requests carry no CSRF token: a session
		// cookie is no credential here.
		p = access.AnonymousPrincipal
	}
	unauthorized := func(msg string) {
		w.Header().Set("WWW-Authenticate", `Basic realm="hearth", charset="UTF-8"`)
		textError(w, http.StatusUnauthorized, msg)
	}
	if access.AuthErrorFrom(ctx) != nil {
		unauthorized("authentication failed\n")
		return HTTPProject{}, false
	}
	if p.MustChangePassword {
		textError(w, http.StatusForbidden, "You must change your password first (sign in to the web console).\n")
		return HTTPProject{}, false
	}
	notFound := func() {
		if p.IsAnonymous() {
			// No existence oracle: anonymous callers are asked to sign in
			// whether the project exists or not.
			unauthorized("authentication required\n")
			return
		}
		textError(w, http.StatusNotFound, "repository not found\n")
	}
	proj, err := h.d.Projects.Resolve(ctx, rp.Owner, rp.Name)
	if err != nil {
		if apperr.KindOf(err) == apperr.KindNotFound {
			notFound()
			return HTTPProject{}, false
		}
		h.fail(w, r, err, "git http: resolving a project")
		return HTTPProject{}, false
	}
	check := func(perm access.Permission) bool {
		err := h.d.Authz.Authorize(ctx, p, perm, proj.ID)
		if err == nil {
			return true
		}
		e, ok := apperr.As(err)
		switch {
		case ok && e.Kind == apperr.KindUnauthenticated:
			unauthorized("authentication required\n")
		case ok && e.Kind == apperr.KindNotFound, ok && e.Kind == apperr.KindPermissionDenied && perm == access.RepoRead:
			notFound()
		case ok && e.Kind == apperr.KindPermissionDenied:
			textError(w, http.StatusForbidden, fmt.Sprintf("You may read %s/%s but not push to it.\n", rp.Owner, rp.Name))
		default:
			h.fail(w, r, err, "git http: authorizing")
		}
		return false
	}
	if !check(access.RepoRead) {
		return HTTPProject{}, false
	}
	if service == receivePack && !check(access.RepoWrite) {
		return HTTPProject{}, false
	}
	if service == receivePack && proj.Archived {
		// Refused at discovery (info/refs) already, so git shows the
		// message ("remote: ...") before sending any pack.
		textError(w, http.StatusForbidden, fmt.Sprintf("project %s/%s is archived: it is read-only until unarchived.\n", rp.Owner, rp.Name))
		return HTTPProject{}, false
	}
	return proj, true
}

// protocolEnv is GIT_PROTOCOL for git when the client's header is sound.
func protocolEnv(r *http.Request) (env []string, v2 bool) {
	v := r.Header.Get("Git-Protocol")
	if v == "" || len(v) > 512 || !gitProtocol.MatchString(v) {
		return nil, false
	}
	return []string{"GIT_PROTOCOL=" + v}, strings.HasPrefix(v, "version=2")
}

func noCache(w http.ResponseWriter, contentType string) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", "no-cache, max-age=0, must-revalidate")
	h.Set("Pragma", "no-cache")
	h.Set("Expires", "Fri, 01 Jan 1980 00:00:00 GMT")
}

// infoRefs answers the ref advertisement.
func (h *HTTP) infoRefs(w http.ResponseWriter, r *http.Request, proj HTTPProject, service string) {
	env, v2 := protocolEnv(r)
	var prefix []byte
	if !v2 {
		line := "# service=" + service + "\n"
		prefix = fmt.Appendf(nil, "%04x%s0000", len(line)+4, line)
	}
	out := &streamWriter{w: w, rc: http.NewResponseController(w), contentType: "application/x-" + service + "-advertisement", prefix: prefix}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	out.dog = newWatchdog(h.limits.IdleTimeout, cancel)
	defer out.dog.stop()
	cmd := h.d.Git.Git(strings.TrimPrefix(service, "git-"), "--stateless-rpc", "--advertise-refs", ".").
		Dir(h.d.Storage.Path(proj.ID)).Env(env...).Stdout(out).Timeout(h.limits.TotalTimeout)
	_, err := cmd.Run(ctx)
	h.finish(w, r, out, nil, err, service)
}

// rpc runs one upload-pack or receive-pack exchange.
func (h *HTTP) rpc(w http.ResponseWriter, r *http.Request, proj HTTPProject, service string) {
	if ct := r.Header.Get("Content-Type"); ct != "application/x-"+service+"-request" {
		textError(w, http.StatusUnsupportedMediaType, "expected Content-Type application/x-"+service+"-request\n")
		return
	}
	maxBody := h.limits.MaxRequestBytes
	if service == receivePack {
		maxBody = h.limits.MaxPushBytes + maxCommandBytes
	}
	if r.ContentLength > maxBody {
		textError(w, http.StatusRequestEntityTooLarge, "request too large\n")
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	// Not full duplex: upload-pack and receive-pack read the whole request
	// before they answer (keep-alives come after the pack is read).
	out := &streamWriter{w: w, rc: http.NewResponseController(w), contentType: "application/x-" + service + "-result"}
	out.dog = newWatchdog(h.limits.IdleTimeout, cancel)
	defer out.dog.stop()

	in := &bodyReader{r: r.Body, max: maxBody, dog: out.dog}
	switch enc := r.Header.Get("Content-Encoding"); enc {
	case "", "identity":
	case "gzip", "x-gzip":
		// Bounded twice: what comes off the wire (a stream of empty gzip
		// members inflates to nothing) and what it inflates to.
		wire := &bodyReader{r: r.Body, max: maxBody, dog: out.dog}
		gz, err := gzip.NewReader(wire)
		if err != nil {
			if wire.exceeded {
				textError(w, http.StatusRequestEntityTooLarge, "request too large\n")
				return
			}
			textError(w, http.StatusBadRequest, "bad gzip body\n")
			return
		}
		defer func() { _ = gz.Close() }()
		in = &bodyReader{r: gz, max: maxBody, dog: out.dog, wire: wire}
	default:
		textError(w, http.StatusUnsupportedMediaType, "unsupported Content-Encoding\n")
		return
	}
	env, _ := protocolEnv(r)
	dir := h.d.Storage.Path(proj.ID)
	if service == uploadPack {
		pv := &pktValidator{r: in}
		_, err := h.d.Git.Git("upload-pack", "--stateless-rpc", ".").Config("uploadpack.allowFilter", "true").
			Dir(dir).Env(env...).Stdin(pv).Stdout(out).Timeout(h.limits.TotalTimeout).Run(ctx)
		h.finish(w, r, out, in, errors.Join(err, pvErr(pv)), service)
		return
	}
	h.receivePack(ctx, w, r, proj, in, out, env)
}

func pvErr(pv *pktValidator) error {
	if pv.bad {
		return errBadPkt
	}
	return nil
}

// receivePack reads the push's commands, decides each ref for this
// pusher, runs receive-pack with the hook enforcing that, and records what
// moved.
func (h *HTTP) receivePack(ctx context.Context, w http.ResponseWriter, r *http.Request, proj HTTPProject, in *bodyReader, out *streamWriter, env []string) {
	cmds, raw, err := readCommands(in)
	if err != nil {
		h.finish(w, r, out, in, err, receivePack)
		return
	}
	policy, err := h.policy(ctx, proj)
	if err != nil {
		h.fail(w, r, err, "git http: loading ref rules")
		return
	}
	verdicts := make([]verdict, len(cmds))
	for i, c := range cmds {
		verdicts[i] = policy.decide(c)
	}
	f, err := os.CreateTemp("", "hearth-push-policy-*")
	if err != nil {
		h.fail(w, r, err, "git http: writing a push policy")
		return
	}
	defer func() { _ = os.Remove(f.Name()) }()
	_, err = f.Write(policyFile(cmds, verdicts))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		h.fail(w, r, err, "git http: writing a push policy")
		return
	}
	dir := h.d.Storage.Path(proj.ID)
	_, err = h.d.Git.Git("receive-pack", "--stateless-rpc", ".").
		Config("core.hooksPath", h.hooksDir).
		Config("receive.maxInputSize", strconv.FormatInt(h.limits.MaxPushBytes, 10)).
		Config("receive.denyNonFastForwards", "false").
		Config("receive.fsckObjects", "true").
		Dir(dir).Env(env...).Env("HEARTH_POLICY_FILE=" + f.Name()).
		Stdin(io.MultiReader(bytes.NewReader(raw), in)).Stdout(out).Timeout(h.limits.TotalTimeout).Run(ctx)
	h.finish(w, r, out, in, err, receivePack)
	if err != nil || len(cmds) == 0 {
		return
	}
	// The refs moved (or not) whatever happens to the client now: record
	// the event even if it has gone. The client hears the push succeeded
	// only when the response ends cleanly, after the event is durable (the
	// outbox the push worker turns into pipelines): if recording fails the
	// response is cut, and git reports the push as failed.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 30*time.Second)
	defer cancel()
	moved, err := h.moved(rctx, dir, cmds)
	if err != nil {
		h.logger(ctx).Error().Err(err).Msg("git http: reading refs after a push")
		panic(http.ErrAbortHandler)
	}
	if len(moved) == 0 || h.d.Events == nil {
		return
	}
	e := PushEvent{ProjectID: proj.ID, Refs: moved, At: time.Now()}
	if p := access.PrincipalFrom(ctx); p.Kind == access.User {
		e.PusherID = p.UserID
	}
	if err := h.d.Events.Trigger(rctx, e); err != nil {
		h.logger(ctx).Error().Err(err).Str(logfield.ProjectID, proj.ID.String()).Msg("git http: recording a push event")
		panic(http.ErrAbortHandler)
	}
}

// policy evaluates the project's rules for this request's principal.
func (h *HTTP) policy(ctx context.Context, proj HTTPProject) (refPolicy, error) {
	var rules []ProtectedRef
	if h.d.Rules != nil {
		var err error
		if rules, err = h.d.Rules.ProtectedRefs(ctx, proj.ID); err != nil {
			return refPolicy{}, err
		}
	}
	p := access.PrincipalFrom(ctx)
	held := map[access.Permission]bool{}
	return refPolicy{rules: rules, defaultBranch: proj.DefaultBranch, can: func(perm access.Permission) bool {
		ok, seen := held[perm]
		if !seen {
			ok = h.d.Authz.Authorize(ctx, p, perm, proj.ID) == nil
			held[perm] = ok
		}
		return ok
	}}, nil
}

// moved returns the commands whose ref now holds their new value.
func (h *HTTP) moved(ctx context.Context, dir string, cmds []RefCommand) ([]RefUpdate, error) {
	out, err := h.d.Git.Git("for-each-ref", "--format=%(objectname) %(refname)", "refs/heads/", "refs/tags/").
		Dir(dir).Timeout(time.Minute).Run(ctx)
	if err != nil {
		return nil, err
	}
	now := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		if id, ref, ok := strings.Cut(line, " "); ok {
			now[ref] = id
		}
	}
	var moved []RefUpdate
	for _, c := range cmds {
		if c.Old == c.New {
			continue
		}
		cur, exists := now[c.Ref]
		if (isZeroID(c.New) && !exists) || (exists && cur == c.New) {
			moved = append(moved, RefUpdate{Ref: c.Ref, Old: c.Old, New: c.New})
		}
	}
	return moved, nil
}

// finish reports a git call's failure: as an HTTP status when nothing was
// sent yet, in the log otherwise.
func (h *HTTP) finish(w http.ResponseWriter, r *http.Request, out *streamWriter, in *bodyReader, err error, service string) {
	if err == nil {
		if !out.started {
			out.start() // git said nothing (an empty advertisement is still a 200)
		}
		return
	}
	log := h.logger(r.Context())
	tooLarge := errors.Is(err, errTooLarge) || (in != nil && in.tooLarge())
	switch {
	case out.dog.fired.Load():
		log.Info().Str(logfield.Service, service).Msg("git http: idle timeout")
		if !out.started {
			textError(w, http.StatusRequestTimeout, "idle timeout\n")
		}
	case r.Context().Err() != nil:
		log.Debug().Str(logfield.Service, service).Msg("git http: client went away")
	case out.started:
		log.Warn().Err(err).Str(logfield.Service, service).Msg("git http: failed after the response started")
	case tooLarge:
		textError(w, http.StatusRequestEntityTooLarge, "request too large\n")
	case errors.Is(err, errTooManyCommand):
		textError(w, http.StatusRequestEntityTooLarge, "too many ref updates in one push\n")
	case errors.Is(err, errBadPkt), isGzipErr(err):
		textError(w, http.StatusBadRequest, "malformed git protocol request\n")
	default:
		var ge *Error
		if errors.As(err, &ge) && ge.ExitCode > 0 && strings.Contains(ge.Stderr, "protocol") {
			textError(w, http.StatusBadRequest, "malformed git protocol request\n")
			return
		}
		h.fail(w, r, err, "git http: git failed")
	}
}

func isGzipErr(err error) bool {
	return errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) || errors.Is(err, io.ErrUnexpectedEOF)
}

// streamWriter sends git's output as it comes: headers (200) on the first
// write, a flush after every write, progress to the watchdog.
type streamWriter struct {
	w           http.ResponseWriter
	rc          *http.ResponseController
	contentType string
	prefix      []byte
	dog         *watchdog
	started     bool
}

func (s *streamWriter) start() {
	s.started = true
	noCache(s.w, s.contentType)
	s.w.WriteHeader(http.StatusOK)
	if len(s.prefix) > 0 {
		_, _ = s.w.Write(s.prefix)
	}
}

func (s *streamWriter) Write(p []byte) (int, error) {
	if !s.started {
		s.start()
	}
	n, err := s.w.Write(p)
	if err != nil {
		return n, err
	}
	s.dog.touch()
	if err := s.rc.Flush(); err != nil {
		return n, err
	}
	return n, nil
}
