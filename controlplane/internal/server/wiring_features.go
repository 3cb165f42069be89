package server

// Adapters of the secrets and notifications features (see wiring.go).

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/auth"
	"github.com/hearth-dev/hearth/controlplane/internal/cluster"
	"github.com/hearth-dev/hearth/controlplane/internal/config"
	"github.com/hearth-dev/hearth/controlplane/internal/event"
	"github.com/hearth-dev/hearth/controlplane/internal/git"
	"github.com/hearth-dev/hearth/controlplane/internal/notify"
	"github.com/hearth-dev/hearth/controlplane/internal/notify/email"
	"github.com/hearth-dev/hearth/controlplane/internal/observe"
	"github.com/hearth-dev/hearth/controlplane/internal/observe/record"
	"github.com/hearth-dev/hearth/controlplane/internal/pipeline"
	"github.com/hearth-dev/hearth/controlplane/internal/project"
	"github.com/hearth-dev/hearth/controlplane/internal/secret"
	"github.com/hearth-dev/hearth/controlplane/internal/secret/envelope"
)

// projectDirectory is the project feature as secrets and notifications
// look projects and groups up.
type projectDirectory struct{ svc *project.Service }

func (s projectDirectory) GroupOf(ctx context.Context, projectID uuid.UUID) (uuid.UUID, error) {
	pr, err := s.svc.ByID(ctx, projectID)
	if err != nil || pr.OwnerKind != project.OwnedByGroup {
		return uuid.Nil, err
	}
	return pr.OwnerID, nil
}

func (s projectDirectory) ProjectID(ctx context.Context, owner, name string) (uuid.UUID, error) {
	pr, err := s.svc.ByPath(ctx, owner, name)
	return pr.ID, err
}

func (s projectDirectory) ProjectPath(ctx context.Context, id uuid.UUID) (string, error) {
	pr, err := s.svc.ByID(ctx, id)
	return pr.Owner + "/" + pr.Name, err
}

func (s projectDirectory) GroupID(ctx context.Context, name string) (uuid.UUID, error) {
	g, err := s.svc.GroupByName(ctx, name)
	return g.ID, err
}

// pipelineSecrets is the secrets feature as pipelines resolve a job's.
type pipelineSecrets struct{ svc *secret.Service }

func (p pipelineSecrets) ForPipeline(ctx context.Context, projectID uuid.UUID, names []string) ([]pipeline.SecretValue, error) {
	rs, err := p.svc.Resolve(ctx, projectID, "", secret.UsagePipeline, names)
	if err != nil {
		return nil, err
	}
	out := make([]pipeline.SecretValue, len(rs))
	for i, r := range rs {
		out[i] = pipeline.SecretValue{Name: r.Name, Value: r.Value, Protected: r.Protected, Version: r.Version}
	}
	return out, nil
}

// refRules is git's protection rules as pipelines ask whether a ref is
// protected.
type refRules struct{ store *git.PGStore }

func (r refRules) RefProtected(ctx context.Context, projectID uuid.UUID, defaultBranch, ref string) (bool, error) {
	rules, err := r.store.ProtectedRefs(ctx, projectID)
	if err != nil {
		return false, err
	}
	return git.RefProtected(rules, defaultBranch, ref), nil
}

// secretsKeyring loads the root keys --secrets-root-key-file (or
// HEARTH_SECRETS_ROOT_KEY) and --secrets-previous-root-key-file name.
func secretsKeyring(cfg config.Secrets) (*envelope.Keyring, error) {
	var primary envelope.RootKey
	var err error
	switch {
	case cfg.RootKeyFile != "":
		primary, err = envelope.ReadKeyFile(cfg.RootKeyFile)
	case cfg.RootKey != "":
		if primary, err = envelope.ParseKey(cfg.RootKey); err != nil {
			err = fmt.Errorf("HEARTH_SECRETS_ROOT_KEY: %w", err)
		}
	default:
		err = errors.New("no secrets root key: give --secrets-root-key-file or HEARTH_SECRETS_ROOT_KEY")
	}
	if err != nil {
		return nil, fmt.Errorf("secrets root key: %w", err)
	}
	var previous []envelope.RootKey
	if cfg.PreviousRootKeyFile != "" {
		old, err := envelope.ReadKeyFile(cfg.PreviousRootKeyFile)
		if err != nil {
			return nil, fmt.Errorf("previous secrets root key: %w", err)
		}
		previous = append(previous, old)
	}
	return envelope.NewKeyring(primary, previous...)
}

// projectEvents keeps project events where the project feature keeps them
// and hands them to notifications, in the same transaction (it converts;
// nothing here queries another connection while the transaction waits).
type projectEvents struct{}

func (projectEvents) Publish(ctx context.Context, tx pgx.Tx, e project.Event) error {
	if err := (project.RecordedEvents{}).Publish(ctx, tx, e); err != nil {
		return err
	}
	path := e.Project
	out := event.Event{
		ID: e.ID, Type: event.Type(e.Kind), ProjectID: e.ProjectID, Project: path, ActorID: e.ActorID, Actor: e.Actor,
		Subject: e.Subject, Title: path + e.Subject + " " + strings.ReplaceAll(string(e.Kind), "_", " "), Data: e.Detail,
		Participants: []uuid.UUID{e.ActorID}, Recipients: e.Recipients,
	}
	if title, ok := e.Detail["title"].(string); ok {
		out.Title += ": " + title
	}
	if n := strings.TrimLeft(e.Subject, "#!"); n != "" {
		kind := "issues"
		if strings.HasPrefix(e.Subject, "!") {
			kind = "merge_requests"
		}
		out.Path = "/" + path + "/-/" + kind + "/" + n
	}
	return notify.Outbox{}.Publish(ctx, tx, out)
}

// notifyUsers is auth as notifications reach users.
type notifyUsers struct{ auth *auth.Service }

func (n notifyUsers) Contact(ctx context.Context, id uuid.UUID) (notify.Contact, error) {
	u, err := n.auth.GetUser(ctx, id)
	if err != nil {
		return notify.Contact{}, err
	}
	return notify.Contact{Username: u.Username, Name: u.DisplayName, Email: u.Email, Active: u.Active()}, nil
}

// mailer builds the email channel from --smtp-* (nil without a host).
func mailer(cfg config.Notify) (notify.Mailer, error) {
	if cfg.SMTPHost == "" {
		return nil, nil //nolint:nilnil // no host: no email channel, not an error
	}
	m, err := email.New(email.Config{
		Host: cfg.SMTPHost, Port: cfg.SMTPPort, TLS: email.TLSMode(cfg.SMTPTLS), Username: cfg.SMTPUsername,
		Password: cfg.SMTPPassword, From: cfg.SMTPFrom,
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// forwardedTelemetry is observability as the agent gateway stores the
// telemetry agents forward: the workload's token is authenticated by the
// server's one authenticator.
type forwardedTelemetry struct {
	svc   *observe.Service
	authn observe.Authenticator
}

func (f forwardedTelemetry) IngestForwarded(ctx context.Context, e cluster.ForwardedExport) (cluster.ForwardResult, error) {
	r, err := f.svc.IngestForwarded(ctx, f.authn, observe.Forwarded{
		Cluster: e.Cluster, Signal: e.Signal, Payload: e.Payload, Token: e.Token, BatchID: e.BatchID,
	})
	return cluster.ForwardResult{Rejected: r.Rejected, Message: r.Message, Duplicate: r.Duplicate}, err
}

// selfProjects is the project feature as self-telemetry finds, or creates
// for its owner, the project Hearth's own telemetry goes to.
type selfProjects struct {
	projects *project.Service
	users    *auth.Service
}

func (s selfProjects) EnsureProject(ctx context.Context, owner, name string) (uuid.UUID, error) {
	pr, err := s.projects.ByPath(ctx, owner, name)
	if err == nil {
		return pr.ID, nil
	}
	if apperr.KindOf(err) != apperr.KindNotFound {
		return uuid.Nil, err
	}
	id, username, err := s.users.UserByName(ctx, owner)
	if err != nil {
		return uuid.Nil, fmt.Errorf("the owner of the self-telemetry project: %w", err)
	}
	created, err := s.projects.Create(ctx, access.Principal{Kind: access.User, UserID: id, Username: username}, name,
		"Hearth's own traces and logs (--self-telemetry-project).", access.Private, "main")
	if apperr.KindOf(err) == apperr.KindConflict {
		pr, err = s.projects.ByPath(ctx, owner, name)
		return pr.ID, err
	}
	return created.ID, err
}

// pipelineSpans is self-telemetry as pipelines report finished jobs and
// pipelines: a pipeline is a trace (its id the trace id), its jobs the
// root span's children. Nil when self-telemetry is off.
func pipelineSpans(self *observe.SelfTelemetry) pipeline.Spans {
	if self == nil {
		return nil
	}
	return selfPipelineSpans{self}
}

type selfPipelineSpans struct{ self *observe.SelfTelemetry }

func (p selfPipelineSpans) Finished(f pipeline.FinishedSpan) {
	root := sha256.Sum256(f.PipelineID[:])
	sp := record.Span{
		TraceID: f.PipelineID[:], SpanID: root[:8], Name: f.Name, Kind: 1, // internal
		StartNano: f.Start.UnixNano(), DurationNano: max(f.End.Sub(f.Start).Nanoseconds(), 0), Attributes: f.Attributes,
	}
	if f.JobID != uuid.Nil {
		sp.SpanID, sp.ParentSpanID = f.JobID[8:], root[:8]
	}
	if f.Failed {
		sp.StatusCode = 2 // error
	}
	p.self.Span(sp)
}
