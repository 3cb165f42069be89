package pipeline

import (
	"net/http"
	"time"

	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/controlplane/internal/event"
	"github.com/hearth-dev/hearth/controlplane/internal/module"
	"github.com/hearth-dev/hearth/controlplane/internal/pipeline/artifact"
	"github.com/hearth-dev/hearth/controlplane/internal/pipeline/joblog"
	"github.com/hearth-dev/hearth/controlplane/internal/store"
	"github.com/hearth-dev/hearth/shared/logfield"
)

// Module is what the server mounts of CI: the pipeline API, the raw log
// and artifact downloads, and the workers (Workers) — the listener that
// reaches agents through agents, and the leader's reaper (reapGrace),
// schedules and artifact expiry.
func (s *Service) Module(agents Agents, reapGrace time.Duration) module.Module {
	everyReplica, leaderOnly := s.Workers(agents, reapGrace)
	return module.Module{
		Name: "pipeline",
		APIs: []module.API{NewAPI(s)},
		Mounts: []module.Mount{func(mux *http.ServeMux) {
			RegisterDownloads(mux, DownloadDeps{Pipelines: s, Authz: s.authz})
		}},
		Workers:       everyReplica,
		LeaderWorkers: leaderOnly,
	}
}

// OpenDeps is what Open needs: the stores, the other features' parts the
// service uses, and the artifact size limit.
type OpenDeps struct {
	DB      *store.DB
	Objects interface {
		joblog.Objects
		artifact.Objects
	}
	// PubSub fans job log appends out to followers on other replicas.
	PubSub joblog.PubSub
	// Logger is the server's; the feature names its components.
	Logger           zerolog.Logger
	Projects         Projects
	Repositories     Repositories
	JobTokens        JobTokens
	Authz            Authorizer
	Secrets          Secrets
	RefRules         RefRules
	Events           event.Publisher
	Spans            Spans
	MaxArtifactBytes int64
}

// Open builds the pipeline service on its job log and artifact stores.
func Open(d OpenDeps) (*Service, error) {
	component := func(name string) zerolog.Logger { return d.Logger.With().Str(logfield.Component, name).Logger() }
	logs, err := joblog.New(joblog.Deps{DB: d.DB, Objects: d.Objects, PubSub: d.PubSub, Logger: component("joblog")})
	if err != nil {
		return nil, err
	}
	arts, err := artifact.New(artifact.Deps{DB: d.DB, Objects: d.Objects, Logger: component("artifact"), MaxBytes: d.MaxArtifactBytes})
	if err != nil {
		return nil, err
	}
	return New(Deps{
		DB: d.DB, Logger: component("pipeline"), Projects: d.Projects, Repositories: d.Repositories,
		JobTokens: d.JobTokens, Logs: logs, Artifacts: arts, Authz: d.Authz, Secrets: d.Secrets, RefRules: d.RefRules, Events: d.Events,
		Spans: d.Spans,
	})
}
