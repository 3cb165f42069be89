package audit

import (
	"context"
	"net/http"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

// API implements hearthv1connect.AuditServiceHandler.
type API struct {
	svc *Service
}

var _ hearthv1connect.AuditServiceHandler = (*API)(nil)

// NewAPI serves svc.
func NewAPI(svc *Service) *API { return &API{svc: svc} }

// Handler returns the Connect handler and its path prefix.
func (a *API) Handler(opts ...connect.HandlerOption) (string, http.Handler) {
	return hearthv1connect.NewAuditServiceHandler(a, opts...)
}

// Rules declares what each RPC needs.
func (a *API) Rules() access.Rules {
	return access.Rules{
		hearthv1connect.AuditServiceListAuditEventsProcedure: {Permission: access.AdminAudit},
	}
}

// ListAuditEvents pages through the log.
func (a *API) ListAuditEvents(ctx context.Context, req *hearthv1.ListAuditEventsRequest) (*hearthv1.ListAuditEventsResponse, error) {
	f := Filter{ActionPrefix: req.GetActionPrefix(), Limit: int(req.GetPageSize())}
	var err error
	if f.ActorID, err = optionalID("actor_id", req.GetActorId()); err != nil {
		return nil, err
	}
	if f.ProjectID, err = optionalID("project_id", req.GetProjectId()); err != nil {
		return nil, err
	}
	if req.GetSince() != nil {
		f.Since = req.GetSince().AsTime()
	}
	entries, next, err := a.svc.List(ctx, f, req.GetPageToken())
	if err != nil {
		return nil, err
	}
	res := &hearthv1.ListAuditEventsResponse{NextPageToken: next}
	for _, e := range entries {
		ev := &hearthv1.AuditEvent{
			Id: e.ID.String(), OccurTime: timestamppb.New(e.OccurredAt), ActorName: e.ActorName,
			Action: e.Action, Resource: e.Resource, UserAgent: e.Client.UserAgent,
		}
		if e.ActorID != uuid.Nil {
			ev.ActorId = e.ActorID.String()
		}
		if e.ProjectID != uuid.Nil {
			ev.ProjectId = e.ProjectID.String()
		}
		if e.Client.IP.IsValid() {
			ev.ClientIp = e.Client.IP.String()
		}
		detail := &structpb.Struct{}
		if err := detail.UnmarshalJSON(e.Detail); err == nil {
			ev.Detail = detail
		}
		res.Events = append(res.Events, ev)
	}
	return res, nil
}

func optionalID(field, s string) (uuid.UUID, error) {
	if s == "" {
		return uuid.Nil, nil
	}
	id, err := uuid.Parse(s)
	if err != nil {
		return uuid.Nil, apperr.Invalid("%s is not a valid id", field)
	}
	return id, nil
}
