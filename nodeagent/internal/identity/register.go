package identity

import (
	"context"
	"errors"
	"fmt"
	"time"

	"connectrpc.com/connect"
	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/shared/backoff"
	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1/agentv1connect"
	"github.com/hearth-dev/hearth/shared/logfield"
)

// ProtocolVersion is the agent protocol version this agent speaks.
const ProtocolVersion = 1

// Registration is what Register sends besides the join token.
type Registration struct {
	JoinToken  string // "hjt_…"; never logged
	Name       string
	Labels     map[string]string
	RunnerKind string
}

// Register exchanges r.JoinToken for an identity, saves it in store and
// returns it. It retries retryable failures with p until ctx ends; a final
// refusal of the token wraps ErrUnauthenticated.
func Register(ctx context.Context, client agentv1connect.RegistrationServiceClient, store Store, r Registration, p backoff.Policy, log zerolog.Logger) (Identity, error) {
	req := &agentv1.RegisterRequest{
		JoinToken: r.JoinToken, AgentName: r.Name, Labels: r.Labels,
		RunnerKind: r.RunnerKind, ProtocolVersion: ProtocolVersion,
	}
	for attempt := 0; ; attempt++ {
		res, err := client.Register(ctx, req)
		if err == nil {
			id := Identity{
				AgentID: res.GetAgentId(), ClusterID: res.GetClusterId(),
				Credential: res.GetCredential(), IssuedAt: time.Now().UTC(),
			}
			if err := id.Validate(); err != nil {
				return Identity{}, fmt.Errorf("registering: the control plane answered an incomplete identity: %w", err)
			}
			// Before anything else: the join token may have been single-use.
			if err := store.Save(ctx, id); err != nil {
				return Identity{}, fmt.Errorf("registered as agent %s but saving the identity failed: %w", id.AgentID, err)
			}
			log.Info().Str(logfield.AgentID, id.AgentID).Str(logfield.ClusterID, id.ClusterID).Msg("registered with the control plane")
			return id, nil
		}
		if ctx.Err() != nil {
			return Identity{}, ctx.Err()
		}
		code := connect.CodeOf(err)
		switch code {
		case connect.CodeUnavailable, connect.CodeDeadlineExceeded, connect.CodeResourceExhausted:
		case connect.CodeUnauthenticated:
			return Identity{}, fmt.Errorf("registering: the join token was refused (unknown, expired, revoked or used up; a Register whose answer was lost also uses it up): %w", errors.Join(ErrUnauthenticated, err))
		default:
			return Identity{}, fmt.Errorf("registering: %w", err)
		}
		log.Warn().Err(err).Int(logfield.Attempt, attempt+1).Msg("registering failed; retrying")
		if !p.Sleep(ctx, attempt) {
			return Identity{}, ctx.Err()
		}
	}
}
