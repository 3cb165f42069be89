package observe

import (
	"context"
	"net/http"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/observe/otlpconv"
	"github.com/hearth-dev/hearth/controlplane/internal/observe/record"
)

// ClusterAttribute is the resource attribute naming the cluster whose
// node agent forwarded the data. Senders cannot set it (every "hearth."
// attribute they send is removed).
const ClusterAttribute = "hearth.cluster"

// Forwarded is one OTLP export a node agent forwarded for a workload.
type Forwarded struct {
	Cluster string
	// Signal is "traces", "logs" or "metrics".
	Signal  string
	Payload []byte
	// Token is the workload's credential: its project is the tenant.
	Token string
	// BatchID makes retries idempotent.
	BatchID string
}

// ForwardResult is OTLP's partial success, and whether the batch was a
// retry of one stored before.
type ForwardResult struct {
	Rejected  int64
	Message   string
	Duplicate bool
}

// IngestForwarded stores a forwarded export. The workload's token goes
// through the same authentication and authorization as a direct export's
// (authn is the server's authenticator).
func (s *Service) IngestForwarded(ctx context.Context, authn Authenticator, f Forwarded) (ForwardResult, error) {
	if int64(len(f.Payload)) > s.d.Config.MaxRequestBytes {
		return ForwardResult{}, apperr.ResourceExhausted("the export is larger than %d bytes", s.d.Config.MaxRequestBytes)
	}
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, "/", http.NoBody)
	if err != nil {
		return ForwardResult{}, err
	}
	r.Header.Set("Authorization", "Bearer "+f.Token)
	p, err := authn.Authenticate(ctx, r)
	if err != nil {
		return ForwardResult{}, err
	}
	ctx = access.WithPrincipal(ctx, p)
	extra := map[string]string{ClusterAttribute: f.Cluster}
	var a accepted
	switch f.Signal {
	case "traces":
		a, err = forwardSignal(ctx, s, tracesSignal, f, extra)
	case "logs":
		a, err = forwardSignal(ctx, s, logsSignal, f, extra)
	case "metrics":
		a, err = forwardSignal(ctx, s, metricsSignal, f, extra)
	default:
		err = apperr.Invalid("signal %q: want traces, logs or metrics", f.Signal)
	}
	return ForwardResult{Rejected: a.rejected, Message: a.message, Duplicate: a.duplicate}, err
}

func forwardSignal[Req, Res any](ctx context.Context, s *Service, o otlpSignal[Req, Res], f Forwarded, extra map[string]string) (accepted, error) {
	req := new(Req)
	msg, _ := any(req).(proto.Message)
	if err := proto.Unmarshal(f.Payload, msg); err != nil {
		return accepted{}, apperr.Invalid("the payload is not a valid OTLP %s export: %v", o.signal, err)
	}
	return s.ingest(ctx, o.signal, f.BatchID, extra, func(t otlpconv.Tenant, now time.Time) (*record.Batch, otlpconv.Drops) {
		return o.convert(s, t, req, now)
	})
}

// Authenticator turns a request's credentials into a principal (the
// server's, for forwarded workloads' tokens).
type Authenticator interface {
	Authenticate(ctx context.Context, r *http.Request) (access.Principal, error)
}
