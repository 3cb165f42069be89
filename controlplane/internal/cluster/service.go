package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/audit"
	"github.com/hearth-dev/hearth/controlplane/internal/cluster/internal/db"
	"github.com/hearth-dev/hearth/controlplane/internal/store"
)

// ProtocolVersion is the agent protocol version this control plane speaks.
const ProtocolVersion = 1

const (
	// DefaultCredentialOverlap is how long a rotated-out credential keeps
	// working.
	DefaultCredentialOverlap = 24 * time.Hour
	// MaxJoinTokenLifetime bounds a join token's expiry.
	MaxJoinTokenLifetime = 30 * 24 * time.Hour
	// MaxJoinTokenUses bounds a multi-use token.
	MaxJoinTokenUses = 10000

	maxLabels      = 32
	maxDescription = 200
	// clockSlack tolerates a client clock slightly ahead when it asks for
	// the longest lifetime.
	clockSlack = time.Minute
)

// Deps is what the service needs.
type Deps struct {
	DB     *store.DB
	Logger zerolog.Logger
	// CredentialOverlap: how long the credential presented to
	// RotateCredential stays valid (0: DefaultCredentialOverlap).
	CredentialOverlap time.Duration
	// Now is the clock (nil: time.Now); tests inject theirs.
	Now func() time.Time
}

// Service manages clusters, join tokens, agents and their credentials.
type Service struct {
	db      *store.DB
	q       *db.Queries
	log     zerolog.Logger
	overlap time.Duration
	now     func() time.Time
}

// New builds the service.
func New(d Deps) (*Service, error) {
	if d.DB == nil {
		return nil, errors.New("cluster: DB is required")
	}
	if d.CredentialOverlap < 0 {
		return nil, errors.New("cluster: CredentialOverlap must not be negative")
	}
	s := &Service{db: d.DB, q: db.New(d.DB), log: d.Logger, overlap: d.CredentialOverlap, now: d.Now}
	if s.overlap == 0 {
		s.overlap = DefaultCredentialOverlap
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}

// Cluster is a named group of agents.
type Cluster struct {
	ID        uuid.UUID
	Name      string
	Labels    map[string]string
	CreatedAt time.Time
}

// JoinToken describes a join token without its secret.
type JoinToken struct {
	ID          uuid.UUID
	ClusterID   uuid.UUID
	Prefix      string
	Description string
	// MaxUses: 1 single-use, 0 unlimited.
	MaxUses   int
	Uses      int
	CreatedAt time.Time
	ExpiresAt time.Time
	RevokedAt *time.Time
}

// Agent is a registered node agent.
type Agent struct {
	ID              uuid.UUID
	ClusterID       uuid.UUID
	Name            string
	Labels          map[string]string
	RunnerKind      string
	ProtocolVersion int
	CreatedAt       time.Time
	LastSeenAt      *time.Time
	RevokedAt       *time.Time
}

var (
	validClusterName = regexp.MustCompile(`^[a-z][a-z0-9-]{1,62}$`)
	validLabelKey    = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9._/-]{0,61}[A-Za-z0-9])?$`)
	validLabelValue  = regexp.MustCompile(`^[A-Za-z0-9._/-]{0,63}$`)
	validAgentName   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$`)
	validRunnerKind  = regexp.MustCompile(`^[a-z][a-z0-9-]{0,31}$`)
)

// ValidClusterName reports whether name may name a cluster.
func ValidClusterName(name string) bool { return validClusterName.MatchString(name) }

// ValidateLabels checks labels for clusters and agents.
func ValidateLabels(labels map[string]string) error {
	if len(labels) > maxLabels {
		return apperr.Invalid("at most %d labels", maxLabels)
	}
	for k, v := range labels {
		if !validLabelKey.MatchString(k) {
			return apperr.Invalid("label key %q: use 1-63 letters, digits, '.', '_', '/' or '-', starting and ending with a letter or digit", truncate(k))
		}
		if !validLabelValue.MatchString(v) {
			return apperr.Invalid("label %q: the value may hold at most 63 letters, digits, '.', '_', '/' or '-'", k)
		}
	}
	return nil
}

// CreateCluster creates a cluster.
func (s *Service) CreateCluster(ctx context.Context, name string, labels map[string]string) (Cluster, error) {
	if !ValidClusterName(name) {
		return Cluster{}, apperr.Invalid("cluster name %q: use 2-63 lowercase letters, digits or '-', starting with a letter", truncate(name))
	}
	if err := ValidateLabels(labels); err != nil {
		return Cluster{}, err
	}
	raw, err := marshalLabels(labels)
	if err != nil {
		return Cluster{}, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Cluster{}, err
	}
	var out Cluster
	err = s.db.InTx(ctx, func(tx pgx.Tx) error {
		row, err := s.q.WithTx(tx).CreateCluster(ctx, db.CreateClusterParams{ID: id, Name: name, Labels: raw, CreatedAt: s.now()})
		if err != nil {
			if errors.Is(err, store.ErrConflict) {
				return apperr.Conflict("a cluster named %q already exists", name)
			}
			return err
		}
		if out, err = clusterFrom(row); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{
			Action: "cluster.create", Resource: clusterResource(id),
			Detail: map[string]any{"name": name, "labels": labels},
		})
	})
	if err != nil {
		return Cluster{}, err
	}
	return out, nil
}

// ListClusters lists every cluster by name.
func (s *Service) ListClusters(ctx context.Context) ([]Cluster, error) {
	rows, err := s.q.ListClusters(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Cluster, len(rows))
	for i, r := range rows {
		if out[i], err = clusterFrom(r); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// GetCluster finds a cluster by id.
func (s *Service) GetCluster(ctx context.Context, id uuid.UUID) (Cluster, error) {
	row, err := s.q.GetCluster(ctx, id)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return Cluster{}, apperr.NotFound("cluster not found")
		}
		return Cluster{}, err
	}
	return clusterFrom(row)
}

// NewJoinToken describes a join token to create.
type NewJoinToken struct {
	Description string
	// ExpiresAt is required, at most MaxJoinTokenLifetime ahead.
	ExpiresAt time.Time
	// MaxUses: 1 single-use, 0 unlimited, at most MaxJoinTokenUses.
	MaxUses int
}

// CreateJoinToken creates a join token for a cluster and returns it with
// its secret, which is never shown again.
func (s *Service) CreateJoinToken(ctx context.Context, clusterID uuid.UUID, in NewJoinToken) (JoinToken, string, error) {
	in.Description = strings.TrimSpace(in.Description)
	if !utf8.ValidString(in.Description) || utf8.RuneCountInString(in.Description) > maxDescription ||
		strings.ContainsFunc(in.Description, unicode.IsControl) {
		return JoinToken{}, "", apperr.Invalid("description: at most %d printable characters", maxDescription)
	}
	if in.MaxUses < 0 || in.MaxUses > MaxJoinTokenUses {
		return JoinToken{}, "", apperr.Invalid("max uses: 1 for a single-use token, 0 for unlimited, at most %d", MaxJoinTokenUses)
	}
	now := s.now()
	switch {
	case in.ExpiresAt.IsZero():
		return JoinToken{}, "", apperr.Invalid("a join token needs an expiry time")
	case !in.ExpiresAt.After(now):
		return JoinToken{}, "", apperr.Invalid("the expiry time must be in the future")
	case in.ExpiresAt.Sub(now) > MaxJoinTokenLifetime+clockSlack:
		return JoinToken{}, "", apperr.Invalid("a join token expires within 30 days")
	}
	if _, err := s.GetCluster(ctx, clusterID); err != nil {
		return JoinToken{}, "", err
	}
	secret, err := newSecret(JoinTokenPrefix)
	if err != nil {
		return JoinToken{}, "", err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return JoinToken{}, "", err
	}
	var row db.ClusterJoinToken
	err = s.db.InTx(ctx, func(tx pgx.Tx) error {
		var err error
		row, err = s.q.WithTx(tx).CreateJoinToken(ctx, db.CreateJoinTokenParams{
			ID: id, ClusterID: clusterID, TokenHash: hashSecret(secret),
			Prefix:      secret[len(JoinTokenPrefix) : len(JoinTokenPrefix)+displayPrefixLen],
			Description: in.Description, MaxUses: int32(in.MaxUses), CreatedAt: now, ExpiresAt: in.ExpiresAt, //nolint:gosec // G115: bounded by MaxJoinTokenUses above.
		})
		if err != nil {
			if errors.Is(err, store.ErrConflict) {
				return apperr.NotFound("cluster not found") // deleted meanwhile
			}
			return err
		}
		return audit.Record(ctx, tx, audit.Event{
			Action: "cluster.join_token.create", Resource: joinTokenResource(clusterID, id),
			Detail: map[string]any{"max_uses": in.MaxUses, "expires_at": in.ExpiresAt.UTC().Format(time.RFC3339)},
		})
	})
	if err != nil {
		return JoinToken{}, "", err
	}
	return joinTokenFrom(row), secret, nil
}

// ListJoinTokens lists a cluster's join tokens, newest first.
func (s *Service) ListJoinTokens(ctx context.Context, clusterID uuid.UUID) ([]JoinToken, error) {
	if _, err := s.GetCluster(ctx, clusterID); err != nil {
		return nil, err
	}
	rows, err := s.q.ListJoinTokens(ctx, clusterID)
	if err != nil {
		return nil, err
	}
	out := make([]JoinToken, len(rows))
	for i, r := range rows {
		out[i] = joinTokenFrom(r)
	}
	return out, nil
}

// RevokeJoinToken ends a join token of the cluster. Revoking a revoked
// token succeeds and changes nothing.
func (s *Service) RevokeJoinToken(ctx context.Context, clusterID, id uuid.UUID) error {
	err := s.db.InTx(ctx, func(tx pgx.Tx) error {
		q := s.q.WithTx(tx)
		if _, err := q.RevokeJoinToken(ctx, db.RevokeJoinTokenParams{ID: id, ClusterID: clusterID, Now: s.now()}); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				if _, err := q.GetJoinToken(ctx, db.GetJoinTokenParams{ID: id, ClusterID: clusterID}); err != nil {
					return err
				}
				return nil // already revoked
			}
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "cluster.join_token.revoke", Resource: joinTokenResource(clusterID, id)})
	})
	if errors.Is(err, store.ErrNotFound) {
		return apperr.NotFound("join token not found")
	}
	return err
}

// ListAgents lists a cluster's agents, newest first.
func (s *Service) ListAgents(ctx context.Context, clusterID uuid.UUID) ([]Agent, error) {
	if _, err := s.GetCluster(ctx, clusterID); err != nil {
		return nil, err
	}
	rows, err := s.q.ListAgents(ctx, clusterID)
	if err != nil {
		return nil, err
	}
	out := make([]Agent, len(rows))
	for i, r := range rows {
		if out[i], err = agentFrom(r); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// RevokeAgent cuts an agent of the cluster off: every credential it holds
// is refused from now on. Revoking a revoked agent changes nothing.
func (s *Service) RevokeAgent(ctx context.Context, clusterID, id uuid.UUID) (Agent, error) {
	var out Agent
	err := s.db.InTx(ctx, func(tx pgx.Tx) error {
		q := s.q.WithTx(tx)
		now := s.now()
		row, err := q.RevokeAgent(ctx, db.RevokeAgentParams{ID: id, ClusterID: clusterID, Now: now})
		if err != nil {
			if errors.Is(err, store.ErrNotFound) {
				row, err = q.GetAgentInCluster(ctx, db.GetAgentInClusterParams{ID: id, ClusterID: clusterID})
				if err != nil {
					return err
				}
				out, err = agentFrom(row)
				return err // already revoked
			}
			return err
		}
		// The agent's revocation alone refuses its credentials; expiring
		// them too keeps the credentials table truthful.
		if err := q.ExpireAgentCredentials(ctx, db.ExpireAgentCredentialsParams{AgentID: id, Now: now}); err != nil {
			return err
		}
		if out, err = agentFrom(row); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{
			Action: "cluster.agent.revoke", Resource: agentResource(clusterID, id),
			Detail: map[string]any{"agent_id": id.String(), "name": row.Name},
		})
	})
	if errors.Is(err, store.ErrNotFound) {
		return Agent{}, apperr.NotFound("agent not found")
	}
	return out, err
}

// Registration is what an agent sends to register.
type Registration struct {
	JoinToken       string
	Name            string
	Labels          map[string]string
	RunnerKind      string
	ProtocolVersion int
}

// errJoinToken is the one answer for every unusable join token, so a
// caller learns nothing about which tokens exist.
func errJoinToken() error {
	return apperr.Unauthenticated("invalid, expired, revoked or used-up join token")
}

// Register consumes one use of the join token and creates the agent and
// its first credential, in one transaction: a failed Register consumed
// nothing. It returns the agent and its credential, shown this once.
func (s *Service) Register(ctx context.Context, r Registration) (Agent, string, error) {
	if !wellFormed(r.JoinToken, JoinTokenPrefix) {
		return Agent{}, "", errJoinToken()
	}
	if r.ProtocolVersion != ProtocolVersion {
		return Agent{}, "", apperr.FailedPrecondition("agent protocol version %d is not supported: this control plane speaks version %d", r.ProtocolVersion, ProtocolVersion)
	}
	if !validAgentName.MatchString(r.Name) {
		return Agent{}, "", apperr.Invalid("agent name %q: use 1-253 letters, digits, '.', '_' or '-', starting with a letter or digit", truncate(r.Name))
	}
	if !validRunnerKind.MatchString(r.RunnerKind) {
		return Agent{}, "", apperr.Invalid("runner kind %q: use a lowercase name such as process or kubernetes", truncate(r.RunnerKind))
	}
	if err := ValidateLabels(r.Labels); err != nil {
		return Agent{}, "", err
	}
	labels, err := marshalLabels(r.Labels)
	if err != nil {
		return Agent{}, "", err
	}
	credential, err := newSecret(CredentialPrefix)
	if err != nil {
		return Agent{}, "", err
	}
	agentID, err := uuid.NewV7()
	if err != nil {
		return Agent{}, "", err
	}
	credID, err := uuid.NewV7()
	if err != nil {
		return Agent{}, "", err
	}
	var out Agent
	err = s.db.InTx(ctx, func(tx pgx.Tx) error {
		q := s.q.WithTx(tx)
		now := s.now()
		tok, err := q.ConsumeJoinToken(ctx, db.ConsumeJoinTokenParams{TokenHash: hashSecret(r.JoinToken), Now: now})
		if err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return errJoinToken()
			}
			return err
		}
		row, err := q.CreateAgent(ctx, db.CreateAgentParams{
			ID: agentID, ClusterID: tok.ClusterID, JoinTokenID: &tok.ID, Name: r.Name, Labels: labels,
			RunnerKind: r.RunnerKind, ProtocolVersion: int32(r.ProtocolVersion), CreatedAt: now, //nolint:gosec // G115: checked equal to ProtocolVersion above.
		})
		if err != nil {
			return err
		}
		if err := q.CreateCredential(ctx, db.CreateCredentialParams{ID: credID, AgentID: agentID, CredentialHash: hashSecret(credential), CreatedAt: now}); err != nil {
			return err
		}
		if out, err = agentFrom(row); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{
			Action: "cluster.agent.register", Resource: agentResource(tok.ClusterID, agentID),
			Detail: map[string]any{
				"agent_id": agentID.String(), "name": r.Name, "join_token_id": tok.ID.String(),
				"runner_kind": r.RunnerKind, "protocol_version": r.ProtocolVersion,
			},
		})
	})
	if err != nil {
		return Agent{}, "", err
	}
	return out, credential, nil
}

// errCredential is the one answer for every unusable credential.
func errCredential() error {
	return apperr.Unauthenticated("invalid, expired or revoked agent credential")
}

// AuthenticateAgent returns the agent a credential belongs to, for the
// agent gateway. The credential is looked up by its hash (no secret is
// compared in Go); unknown, malformed, rotated-out past the overlap and
// revoked credentials are all refused with the same Unauthenticated error.
func (s *Service) AuthenticateAgent(ctx context.Context, credential string) (Agent, error) {
	a, _, err := s.authenticate(ctx, s.q, credential)
	return a, err
}

func (s *Service) authenticate(ctx context.Context, q *db.Queries, credential string) (Agent, uuid.UUID, error) {
	if !wellFormed(credential, CredentialPrefix) {
		return Agent{}, uuid.Nil, errCredential()
	}
	row, err := q.AgentByCredential(ctx, hashSecret(credential))
	if errors.Is(err, pgx.ErrNoRows) {
		return Agent{}, uuid.Nil, errCredential()
	}
	if err != nil {
		return Agent{}, uuid.Nil, err
	}
	now := s.now()
	if row.ClusterAgent.RevokedAt != nil || (row.CredentialExpiresAt != nil && !now.Before(*row.CredentialExpiresAt)) {
		return Agent{}, uuid.Nil, errCredential()
	}
	a, err := agentFrom(row.ClusterAgent)
	return a, row.CredentialID, err
}

// TouchAgent records that the agent was heard from now (last_seen_at).
// The gateway calls it when a stream opens and, throttled, on heartbeats.
func (s *Service) TouchAgent(ctx context.Context, id uuid.UUID) error {
	return s.q.TouchAgent(ctx, db.TouchAgentParams{ID: id, Now: s.now()})
}

// RotateCredential issues a new credential for the agent that presents
// credential. The presented credential stays valid until the overlap ends
// (never longer than it already would); every other credential of the
// agent stops working now, so at most two are valid.
func (s *Service) RotateCredential(ctx context.Context, credential string) (string, error) {
	next, err := newSecret(CredentialPrefix)
	if err != nil {
		return "", err
	}
	credID, err := uuid.NewV7()
	if err != nil {
		return "", err
	}
	err = s.db.InTx(ctx, func(tx pgx.Tx) error {
		q := s.q.WithTx(tx)
		a, usedID, err := s.authenticate(ctx, q, credential)
		if err != nil {
			return err
		}
		// Serialise rotations of one agent, then check again: a revocation
		// or another rotation may have committed meanwhile.
		if _, err := q.LockAgent(ctx, a.ID); err != nil {
			return err
		}
		if _, _, err := s.authenticate(ctx, q, credential); err != nil {
			return err
		}
		now := s.now()
		if err := q.ExpireOtherCredentials(ctx, db.ExpireOtherCredentialsParams{AgentID: a.ID, KeepID: usedID, Now: now}); err != nil {
			return err
		}
		if err := q.SetCredentialExpiry(ctx, db.SetCredentialExpiryParams{ID: usedID, Until: now.Add(s.overlap)}); err != nil {
			return err
		}
		if err := q.CreateCredential(ctx, db.CreateCredentialParams{ID: credID, AgentID: a.ID, CredentialHash: hashSecret(next), CreatedAt: now}); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{
			Action: "cluster.agent.rotate_credential", Resource: agentResource(a.ClusterID, a.ID),
			Detail: map[string]any{"agent_id": a.ID.String(), "previous_valid_until": now.Add(s.overlap).UTC().Format(time.RFC3339)},
		})
	})
	if err != nil {
		return "", err
	}
	return next, nil
}

func marshalLabels(labels map[string]string) ([]byte, error) {
	if labels == nil {
		labels = map[string]string{}
	}
	return json.Marshal(labels)
}

func unmarshalLabels(raw []byte) (map[string]string, error) {
	out := map[string]string{}
	if len(raw) == 0 {
		return out, nil
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("labels: %w", err)
	}
	return out, nil
}

func clusterFrom(r db.Cluster) (Cluster, error) {
	labels, err := unmarshalLabels(r.Labels)
	return Cluster{ID: r.ID, Name: r.Name, Labels: labels, CreatedAt: r.CreatedAt}, err
}

func joinTokenFrom(r db.ClusterJoinToken) JoinToken {
	return JoinToken{
		ID: r.ID, ClusterID: r.ClusterID, Prefix: r.Prefix, Description: r.Description,
		MaxUses: int(r.MaxUses), Uses: int(r.Uses), CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt, RevokedAt: r.RevokedAt,
	}
}

func agentFrom(r db.ClusterAgent) (Agent, error) {
	labels, err := unmarshalLabels(r.Labels)
	return Agent{
		ID: r.ID, ClusterID: r.ClusterID, Name: r.Name, Labels: labels, RunnerKind: r.RunnerKind,
		ProtocolVersion: int(r.ProtocolVersion), CreatedAt: r.CreatedAt, LastSeenAt: r.LastSeenAt, RevokedAt: r.RevokedAt,
	}, err
}

func clusterResource(id uuid.UUID) string { return "cluster/" + id.String() }

func joinTokenResource(cluster, id uuid.UUID) string {
	return clusterResource(cluster) + "/join-token/" + id.String()
}

func agentResource(cluster, id uuid.UUID) string {
	return clusterResource(cluster) + "/agent/" + id.String()
}

func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
