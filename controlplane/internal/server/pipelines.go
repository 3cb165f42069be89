package server

import (
	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/controlplane/internal/auth"
	"github.com/hearth-dev/hearth/controlplane/internal/cache"
	"github.com/hearth-dev/hearth/controlplane/internal/cluster"
	"github.com/hearth-dev/hearth/controlplane/internal/config"
	"github.com/hearth-dev/hearth/controlplane/internal/objectstore"
	"github.com/hearth-dev/hearth/controlplane/internal/pipeline"
	"github.com/hearth-dev/hearth/controlplane/internal/pipeline/artifact"
	"github.com/hearth-dev/hearth/controlplane/internal/pipeline/joblog"
	"github.com/hearth-dev/hearth/controlplane/internal/store"
	"github.com/hearth-dev/hearth/controlplane/internal/supervisor"
	"github.com/hearth-dev/hearth/shared/logfield"
)

type pipelineDeps struct {
	cfg      config.Config
	log      zerolog.Logger
	db       *store.DB
	redis    *cache.Cache
	objects  *objectstore.Store
	auth     *auth.Service
	authz    pipeline.Authorizer
	clusters *cluster.Service
	projects pipelineProjects
	repos    pipeline.Repositories
}

// pipelines is CI wired together: job logs, artifacts, the pipeline
// service, the agent gateway in front of it, and their workers.
type pipelines struct {
	service       *pipeline.Service
	gateway       *cluster.Gateway
	workers       []supervisor.Worker
	leaderWorkers []supervisor.Worker
}

func newPipelines(d pipelineDeps) (*pipelines, error) {
	component := func(name string) zerolog.Logger { return d.log.With().Str(logfield.Component, name).Logger() }
	logs, err := joblog.New(joblog.Deps{DB: d.db, Objects: d.objects, PubSub: d.redis, Logger: component("joblog")})
	if err != nil {
		return nil, err
	}
	arts, err := artifact.New(artifact.Deps{DB: d.db, Objects: d.objects, Logger: component("artifact"), MaxBytes: d.cfg.Pipeline.MaxArtifactBytes})
	if err != nil {
		return nil, err
	}
	svc, err := pipeline.New(pipeline.Deps{
		DB: d.db, Logger: component("pipeline"), Projects: d.projects, Repositories: d.repos,
		JobTokens: jobTokens{d.auth}, Logs: logs, Artifacts: arts, Authz: d.authz,
	})
	if err != nil {
		return nil, err
	}
	gw, err := cluster.NewGateway(cluster.GatewayDeps{
		Service: d.clusters, Jobs: svc, Logger: component("agent-gateway"),
		HeartbeatInterval: d.cfg.Pipeline.AgentHeartbeat, MaxStreamAge: d.cfg.Pipeline.MaxStreamAge, StreamAgeJitter: 0.2,
		Epochs: d.db, // Welcome carries the newest leadership epoch
	})
	if err != nil {
		return nil, err
	}
	workers, leaderWorkers := svc.Workers(gw, d.cfg.Pipeline.ReaperGrace)
	return &pipelines{service: svc, gateway: gw, workers: workers, leaderWorkers: leaderWorkers}, nil
}
