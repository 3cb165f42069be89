package server

import (
	"cmp"
	"context"
	"net/http"
	"path/filepath"
	"strings"

	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/controlplane/internal/cluster"
	"github.com/hearth-dev/hearth/controlplane/internal/console"
	"github.com/hearth-dev/hearth/controlplane/internal/git"
	"github.com/hearth-dev/hearth/controlplane/internal/module"
	"github.com/hearth-dev/hearth/controlplane/internal/notify"
	"github.com/hearth-dev/hearth/controlplane/internal/notify/webhook"
	"github.com/hearth-dev/hearth/controlplane/internal/observe"
	"github.com/hearth-dev/hearth/controlplane/internal/pipeline"
	"github.com/hearth-dev/hearth/controlplane/internal/project"
	"github.com/hearth-dev/hearth/controlplane/internal/secret"
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
	// self is Hearth's own telemetry (nil: off).
	self *observe.SelfTelemetry
}

// buildModules builds every feature in dependency order and lists what
// each one mounts and runs. A feature is one line of the list; what it
// needs of the others it declares as its own interfaces, which the
// services built here satisfy (wiring.go converts where types differ).
func buildModules(ctx context.Context, o Options, p *platform, publicURL string) (*features, error) {
	f, err := buildServices(ctx, o, p, publicURL)
	if err != nil {
		return nil, err
	}
	feats, err := f.modules(o, publicURL)
	if err != nil {
		_ = f.observe.Close()
		return nil, err
	}
	return feats, nil
}

// modules lists what each built service mounts and runs.
func (f *services) modules(o Options, publicURL string) (*features, error) {
	cfg := o.Config
	webConsole, err := console.New()
	if err != nil {
		return nil, err
	}
	if !webConsole.Built() {
		o.Logger.Info().Msg("this binary has no web console build: / explains how to make one (make console)")
	}
	gitModule, err := f.git.Module(git.ModuleDeps{
		Projects: projectResolver{f.projects}, Authz: f.ident.rbac, Console: webConsole, Logger: o.Logger,
		Pipelines: pushPipelines{f.pipelines}, MergeRequests: pushRefresher{f.mergeRequests}, ConsumePushes: !cfg.Git.NoPushWorker,
		Limits: git.Limits{MaxPushBytes: cfg.Git.MaxPushBytes, Global: cfg.Git.MaxProcesses, PerRepo: cfg.Git.MaxPerRepo},
	})
	if err != nil {
		return nil, err
	}
	list := module.List{
		system.Module(o.Version),
		f.ident.audit.Module(),
		f.ident.rbac.Module(),
		f.ident.auth.Module(newClientPolicy(cfg).alwaysHTTPS),
		f.projects.Module(publicURL),
		f.mergeRequests.Module(f.git.Repositories),
		f.gateway.Module(f.clusters),
		f.secrets.Module(),
		f.notify.Module(),
		f.pipelines.Module(f.gateway, cfg.Pipeline.ReaperGrace),
		f.observe.Module(),
		gitModule, // last: its catch-all "/" serves git and hands the rest to the console
	}
	return &features{
		list: list, authn: f.ident.auth, authz: f.ident.rbac, console: webConsole, self: f.observe.Self(),
		joinToken: func(ctx context.Context, name string) (string, error) { return localJoinToken(ctx, f.clusters, name) },
	}, nil
}

// services are the features' services, built in dependency order.
type services struct {
	ident         *identity
	git           *git.Core
	projects      *project.Service
	mergeRequests *project.MergeRequests
	secrets       *secret.Service
	notify        *notify.Service
	pipelines     *pipeline.Service
	clusters      *cluster.Service
	gateway       *cluster.Gateway
	observe       *observe.Service
}

func buildServices(ctx context.Context, o Options, p *platform, publicURL string) (_ *services, err error) {
	cfg := o.Config
	named := func(c string) zerolog.Logger { return o.Logger.With().Str(logfield.Component, c).Logger() }
	var s services
	defer func() {
		if err != nil && s.observe != nil {
			_ = s.observe.Close() // its WAL's lock, for the next start in this process
		}
	}()
	if s.ident, err = newIdentity(ctx, o, p.db, p.redis); err != nil {
		return nil, err
	}
	if s.git, err = git.NewCore(cfg.DataDir, p.db); err != nil {
		return nil, err
	}
	if s.projects, err = project.New(project.Deps{
		DB: p.db, Logger: named("project"), Repositories: s.git.Repositories,
		Roles: s.ident.rbac, Memberships: s.ident.rbac, Users: s.ident.auth, Events: projectEvents{},
	}); err != nil {
		return nil, err
	}
	keys, err := secretsKeyring(cfg.Secrets)
	if err != nil {
		return nil, &StartupError{Err: err}
	}
	if s.secrets, err = secret.New(secret.Deps{DB: p.db, Keys: keys, Projects: projectDirectory{s.projects}, Logger: named("secret")}); err != nil {
		return nil, err
	}
	if err := s.secrets.Verify(ctx); err != nil {
		return nil, &StartupError{Err: err}
	}
	mail, err := mailer(cfg.Notify)
	if err != nil {
		return nil, &StartupError{Err: err}
	}
	if s.notify, err = notify.New(notify.Deps{
		DB: p.db, Logger: named("notify"), Projects: projectDirectory{s.projects}, Authz: s.ident.rbac, Users: notifyUsers{s.ident.auth}, PubSub: p.redis,
		Mailer: mail, Sender: webhook.NewSender(webhook.Options{Policy: webhook.Policy{Allow: cfg.Notify.WebhookAllow}}),
		Sealer: s.secrets, PublicURL: strings.TrimRight(publicURL, "/"),
		Email: notify.EmailPolicy{Coalesce: cfg.Notify.EmailCoalesce, MinInterval: cfg.Notify.EmailMinInterval},
		Webhooks: notify.WebhookPolicy{
			MaxAttempts: cfg.Notify.WebhookMaxAttempts, FirstRetry: cfg.Notify.WebhookFirstRetry, DisableAfter: cfg.Notify.WebhookDisableAfter,
			PerSecond: cfg.Notify.WebhookRate,
		},
	}); err != nil {
		return nil, err
	}
	if s.observe, err = observe.New(ctx, observe.Deps{
		DB: p.db, Objects: p.objects, Authz: s.ident.rbac, Projects: projectDirectory{s.projects}, Logger: named("observe"),
		Registerer: p.registry, Config: observe.Config{
			WALDir: cmp.Or(cfg.Observe.WALDir, filepath.Join(cfg.DataDir, "observe-wal")), Replica: cfg.Raft.NodeID, SegmentBytes: cfg.Observe.SegmentBytes,
			FlushInterval: cfg.Observe.FlushInterval, Retention: cfg.Observe.Retention, MaxRequestBytes: cfg.Observe.MaxRequestBytes,
			Rate: cfg.Observe.Rate, Burst: cfg.Observe.Burst, AlertInterval: cfg.Observe.AlertInterval,
		},
		Events:      notify.Outbox{},
		SelfProject: cfg.Observe.SelfProject, SelfProjects: selfProjects{projects: s.projects, users: s.ident.auth},
	}); err != nil {
		return nil, &StartupError{Err: err}
	}
	if s.pipelines, err = pipeline.Open(pipeline.OpenDeps{
		DB: p.db, Objects: p.objects, PubSub: p.redis, Logger: o.Logger, Authz: s.ident.rbac,
		Projects:     pipelineProjects{svc: s.projects, publicURL: strings.TrimRight(publicURL, "/")},
		Repositories: s.git.Repositories, JobTokens: jobTokens{s.ident.auth}, MaxArtifactBytes: cfg.Pipeline.MaxArtifactBytes,
		Secrets: pipelineSecrets{s.secrets}, RefRules: refRules{s.git.Store}, Events: notify.Outbox{},
		Spans: pipelineSpans(s.observe.Self()),
	}); err != nil {
		return nil, err
	}
	if s.clusters, err = cluster.New(cluster.Deps{DB: p.db, Logger: named("cluster")}); err != nil {
		return nil, err
	}
	if s.gateway, err = cluster.NewGateway(cluster.GatewayDeps{
		Service: s.clusters, Jobs: s.pipelines, Logger: named("agent-gateway"),
		HeartbeatInterval: cfg.Pipeline.AgentHeartbeat, MaxStreamAge: cfg.Pipeline.MaxStreamAge, StreamAgeJitter: 0.2,
		Epochs:    p.db, // Welcome carries the newest leadership epoch
		Telemetry: forwardedTelemetry{svc: s.observe, authn: s.ident.auth},
	}); err != nil {
		return nil, err
	}
	if s.mergeRequests, err = project.NewMergeRequests(s.projects, project.MergeRequestDeps{
		Logger: named("merge-requests"), Repos: s.git.Repositories, Pipelines: mergeRequestPipelines{s.pipelines},
		Committers: committers{s.ident.auth}, Pushes: pushOutbox{s.git.Store}, BeforeMerge: o.BeforeMerge,
	}); err != nil {
		return nil, err
	}
	return &s, nil
}
