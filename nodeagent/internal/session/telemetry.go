package session

import (
	"context"
	"errors"
	"net/url"
	"strings"

	"github.com/rs/zerolog"
	"google.golang.org/protobuf/proto"

	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1/agentv1connect"
)

// The OpenTelemetry SDK variables a job gets when the agent receives OTLP
// (Deps.OTLPEndpoint): every SDK reads them, so a job's telemetry reaches
// the agent without configuration.
const (
	EnvOTLPEndpoint = "OTEL_EXPORTER_OTLP_ENDPOINT"
	EnvOTLPProtocol = "OTEL_EXPORTER_OTLP_PROTOCOL"
	EnvOTLPHeaders  = "OTEL_EXPORTER_OTLP_HEADERS"
	// otlpEnvPrefix: a job that sets any exporter variable itself
	// configures its exporter alone.
	otlpEnvPrefix = "OTEL_EXPORTER_OTLP_"
)

// withTelemetry returns rj with the OTLP exporter variables pointing at
// the agent's receiver: the endpoint and protocol in env, and the job's
// token (its clone token, which the control plane lets write the
// project's telemetry too) as the Authorization header in secret_env, so
// the runners deliver it as a secret, job.json never holds it and the
// job's log masks it. rj is unchanged (and returned) when the agent
// receives no OTLP, the job has no token, or the job sets an
// OTEL_EXPORTER_OTLP_* variable itself: with its own endpoint (even for
// one signal), the token would go wherever that points.
func (s *Session) withTelemetry(rj *agentv1.RunJob, log zerolog.Logger) *agentv1.RunJob {
	if s.d.OTLPEndpoint == "" || rj.GetCloneToken() == "" {
		return rj
	}
	for _, vars := range []map[string]string{rj.GetEnv(), rj.GetSecretEnv()} {
		for k := range vars {
			if strings.HasPrefix(k, otlpEnvPrefix) {
				log.Debug().Msg("the job configures its OTLP exporter itself; not pointing it at the agent")
				return rj
			}
		}
	}
	out := proto.CloneOf(rj)
	if out.Env == nil {
		out.Env = map[string]string{}
	}
	if out.SecretEnv == nil {
		out.SecretEnv = map[string]string{}
	}
	out.Env[EnvOTLPEndpoint] = s.d.OTLPEndpoint
	out.Env[EnvOTLPProtocol] = "http/protobuf"
	out.SecretEnv[EnvOTLPHeaders] = otlpHeaders(rj.GetCloneToken())
	return out
}

// otlpHeaders is EnvOTLPHeaders for token. The variable is a
// comma-separated list of key=value with percent-encoded values (the
// OpenTelemetry specification's W3C Baggage form): the space after Bearer
// is %20.
func otlpHeaders(token string) string {
	return "Authorization=" + strings.ReplaceAll(url.PathEscape("Bearer "+token), ",", "%2C")
}

// exposedToken is the job's token when withTelemetry gave it to the
// steps (in EnvOTLPHeaders), so that the log masks it alone too, not
// only inside the whole variable.
func exposedToken(rj *agentv1.RunJob) []byte {
	tok := rj.GetCloneToken()
	if tok != "" && rj.GetSecretEnv()[EnvOTLPHeaders] == otlpHeaders(tok) {
		return []byte(tok)
	}
	return nil
}

// errSessionStopped: AgentService was asked after Run returned without
// an identity.
var errSessionStopped = errors.New("the session stopped before the agent had an identity")

// AgentService returns the AgentService client Run uses, for other parts
// of the agent (the OTLP forwarder): it carries the agent's credential,
// read at each call so rotations apply, over the session's HTTP/2
// connection. It waits until Run has the agent's identity (registering
// first, on a first start); an error if ctx ends or Run returns first.
// The client is usable until Run returns.
func (s *Session) AgentService(ctx context.Context) (agentv1connect.AgentServiceClient, error) {
	select {
	case <-s.ready:
		return s.agents, nil
	default:
	}
	select {
	case <-s.ready:
		return s.agents, nil
	case <-s.ended:
		return nil, errSessionStopped
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
