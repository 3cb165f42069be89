package git

import (
	"net/http"
	"path/filepath"

	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/controlplane/internal/module"
	"github.com/hearth-dev/hearth/controlplane/internal/store"
	"github.com/hearth-dev/hearth/controlplane/internal/supervisor"
	"github.com/hearth-dev/hearth/shared/logfield"
)

// Core is what the git feature is built on and what other features are
// given before it is mounted: where repositories live, its rows (push
// outbox, ref rules) and the Repositories facade.
type Core struct {
	Browser      Browser
	Store        *PGStore
	Repositories *Repositories
}

// NewCore opens the repositories under dataDir/repositories and the git
// feature's rows in db.
func NewCore(dataDir string, db *store.DB) (*Core, error) {
	storage := Storage{Root: filepath.Join(dataDir, "repositories")}
	c := &Core{Browser: Browser{Storage: storage, Git: storage.Git}, Store: NewPGStore(db)}
	var err error
	c.Repositories, err = NewRepositories(c.Browser, c.Store)
	return c, err
}

// ModuleDeps is what the git module needs of other features.
type ModuleDeps struct {
	// Projects resolves owner/name paths (the project feature).
	Projects interface {
		ProjectResolver
		BrowseProjects
	}
	Authz interface {
		Authorizer
		BrowseAuthorizer
	}
	// Pipelines and MergeRequests consume the push outbox.
	Pipelines     PushConsumer
	MergeRequests PushRefresher
	// ConsumePushes runs the push outbox worker on this replica
	// (--push-worker).
	ConsumePushes bool
	// Console serves what the catch-all "/" receives that is not git.
	Console http.Handler
	// Logger is the server's; the module names its components.
	Logger zerolog.Logger
	Limits Limits
}

// Module is what the server mounts of git: the repository and ref rule
// APIs, archive and raw downloads, smart HTTP on the catch-all "/" (so it
// goes last in the module list) and the push outbox worker.
func (c *Core) Module(d ModuleDeps) (module.Module, error) {
	smart, err := NewHTTP(HTTPDeps{
		Storage: c.Browser.Storage, Git: c.Browser.Git, Projects: d.Projects, Authz: d.Authz,
		Events: c.Store, Rules: c.Store, Fallback: d.Console, Limits: d.Limits,
		Logger: d.Logger.With().Str(logfield.Component, "git").Logger(),
	})
	if err != nil {
		return module.Module{}, err
	}
	m := module.Module{
		Name: "git",
		APIs: []module.API{NewRepositoryAPI(c.Browser, d.Projects), NewRefRuleAPI(c.Store, d.Projects)},
		Mounts: []module.Mount{
			func(mux *http.ServeMux) {
				RegisterDownloads(mux, DownloadDeps{Browser: c.Browser, Projects: d.Projects, Authz: d.Authz})
			},
			smart.Register,
		},
	}
	if d.ConsumePushes {
		w, err := NewPushWorker(PushWorkerDeps{
			Store: c.Store, Pipelines: d.Pipelines, MergeRequests: d.MergeRequests,
			Logger: d.Logger.With().Str(logfield.Component, "push-worker").Logger(),
		})
		if err != nil {
			return module.Module{}, err
		}
		m.Workers = []supervisor.Worker{{Name: "push-outbox", Run: w.Run}}
	}
	return m, nil
}
