package server

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"

	"github.com/hearth-dev/hearth/controlplane/internal/audit"
	"github.com/hearth-dev/hearth/controlplane/internal/cluster"
	"github.com/hearth-dev/hearth/controlplane/internal/console"
	"github.com/hearth-dev/hearth/controlplane/internal/git"
	"github.com/hearth-dev/hearth/controlplane/internal/module"
	"github.com/hearth-dev/hearth/controlplane/internal/pipeline"
	"github.com/hearth-dev/hearth/controlplane/internal/project"
	"github.com/hearth-dev/hearth/controlplane/internal/rbac"
	"github.com/hearth-dev/hearth/controlplane/internal/supervisor"
	"github.com/hearth-dev/hearth/controlplane/internal/system"
	"github.com/hearth-dev/hearth/shared/logfield"
)

// features is the built feature modules and what the server itself needs
// of them: who authenticates and authorizes requests, the console, and
// hearth dev's join tokens.
type features struct {
	list      module.List
	authn     Authenticator
	authz     Authorizer
	console   http.Handler
	joinToken func(ctx context.Context, cluster string) (string, error)
}

// buildModules builds every feature in dependency order.
func buildModules(ctx context.Context, o Options, p *platform, publicURL string) (*features, error) {
	cfg, log := o.Config, o.Logger
	ident, err := newIdentity(ctx, o, p.db, p.redis)
	if err != nil {
		return nil, err
	}
	storage := git.Storage{Root: filepath.Join(cfg.DataDir, "repositories")}
	browser := git.Browser{Storage: storage, Git: storage.Git}
	gitStore := git.NewPGStore(p.db)
	repositories, err := git.NewRepositories(browser, gitStore)
	if err != nil {
		return nil, err
	}
	projects, err := project.New(project.Deps{
		DB: p.db, Logger: log.With().Str(logfield.Component, "project").Logger(), Repositories: repositories, Roles: ident.rbac,
		Memberships: ident.rbac, Users: ident.auth,
	})
	if err != nil {
		return nil, err
	}
	gitProjects := projectResolver{projects}
	clusters, err := cluster.New(cluster.Deps{
		DB: p.db, Logger: log.With().Str(logfield.Component, "cluster").Logger(),
	})
	if err != nil {
		return nil, err
	}
	pl, err := newPipelines(pipelineDeps{
		cfg: cfg, log: log, db: p.db, redis: p.redis, objects: p.objects, auth: ident.auth, authz: ident.rbac, clusters: clusters,
		projects: pipelineProjects{svc: projects, publicURL: strings.TrimRight(publicURL, "/")},
		repos:    repositories,
	})
	if err != nil {
		return nil, err
	}
	pushes := &pushTrigger{store: gitStore, pipelines: pl.service}
	mergeRequests, err := project.NewMergeRequests(projects, project.MergeRequestDeps{
		Logger: log.With().Str(logfield.Component, "merge-requests").Logger(),
		Repos:  repositories, Pipelines: mergeRequestPipelines{pl.service},
		Committers: committers{ident.auth}, Pushes: pushes, BeforeMerge: o.BeforeMerge,
	})
	if err != nil {
		return nil, err
	}
	pushes.mergeRequests = mergeRequests
	pushWorkers, err := pushes.workers(!cfg.Git.NoPushWorker, log)
	if err != nil {
		return nil, err
	}
	webConsole, err := console.New()
	if err != nil {
		return nil, err
	}
	if !webConsole.Built() {
		log.Info().Msg("this binary has no web console build: / explains how to make one (make console)")
	}
	gitHTTP, err := git.NewHTTP(git.HTTPDeps{
		Storage: storage, Git: storage.Git, Projects: gitProjects, Authz: ident.rbac,
		Events: pushes, Rules: gitStore, Fallback: webConsole,
		Logger: log.With().Str(logfield.Component, "git").Logger(),
		Limits: git.Limits{MaxPushBytes: cfg.Git.MaxPushBytes, Global: cfg.Git.MaxProcesses, PerRepo: cfg.Git.MaxPerRepo},
	})
	if err != nil {
		return nil, err
	}
	sessionAPI, userAPI, tokenAPI := ident.authAPI.Services()
	list := module.List{
		{Name: "system", APIs: []module.API{system.NewAPI(o.Version)}},
		{
			Name: "identity", APIs: []module.API{
				sessionAPI, userAPI, tokenAPI, rbac.NewRoleAPI(ident.rbac), rbac.NewDelegationAPI(ident.rbac), audit.NewAPI(ident.audit),
			},
			LeaderWorkers: ident.leaderWorkers,
		},
		{
			Name: "project", APIs: []module.API{
				project.NewAPI(projects, publicURL), project.NewIssueAPI(projects),
				project.NewMergeRequestAPI(mergeRequests, repositories),
				project.NewGroupAPI(projects),
			},
			Workers: []supervisor.Worker{{Name: "merge-request-refresh", Run: mergeRequests.Run}},
		},
		{Name: "cluster", APIs: []module.API{cluster.NewAPI(clusters), cluster.NewRegistrationAPI(clusters)}},
		{
			Name: "pipeline", APIs: []module.API{pl.gateway, pipeline.NewAPI(pl.service)},
			Mounts: []module.Mount{func(mux *http.ServeMux) {
				pipeline.RegisterDownloads(mux, pipeline.DownloadDeps{Pipelines: pl.service, Authz: ident.rbac})
			}},
			Workers: pl.workers, LeaderWorkers: pl.leaderWorkers, Draining: []func(){pl.gateway.DrainAll},
		},
		{
			// Last: its catch-all "/" serves git smart HTTP paths and sends
			// everything else to the console (API-shaped paths 404).
			Name: "git", APIs: []module.API{git.NewRepositoryAPI(browser, gitProjects), git.NewRefRuleAPI(gitStore, gitProjects)},
			Mounts: []module.Mount{
				func(mux *http.ServeMux) {
					git.RegisterDownloads(mux, git.DownloadDeps{Browser: browser, Projects: gitProjects, Authz: ident.rbac})
				},
				gitHTTP.Register,
			},
			Workers: pushWorkers,
		},
	}
	return &features{
		list: list, authn: ident.auth, authz: ident.rbac, console: webConsole,
		joinToken: func(ctx context.Context, name string) (string, error) { return localJoinToken(ctx, clusters, name) },
	}, nil
}
