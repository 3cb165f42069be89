package notify

import (
	"context"
	"net/http"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/event"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

// Projects resolves the owner/name a request names (an unknown one is
// apperr NotFound), and names a project for people ("owner/name").
type Projects interface {
	ProjectID(ctx context.Context, owner, name string) (uuid.UUID, error)
	ProjectPath(ctx context.Context, id uuid.UUID) (string, error)
}

// NotificationAPI implements hearthv1connect.NotificationServiceHandler.
type NotificationAPI struct {
	svc      *Service
	projects Projects
}

var _ hearthv1connect.NotificationServiceHandler = (*NotificationAPI)(nil)

// Handler returns the Connect handler and its path prefix.
func (a *NotificationAPI) Handler(opts ...connect.HandlerOption) (string, http.Handler) {
	return hearthv1connect.NewNotificationServiceHandler(a, opts...)
}

// Rules declares what each RPC needs: a signed-in caller reads and
// changes only their own notifications; subscribing to a project needs project:participate on
// it (so nobody learns of a project they may not read).
func (a *NotificationAPI) Rules() access.Rules {
	own := access.Rule{Authenticated: true}
	return access.Rules{
		hearthv1connect.NotificationServiceListNotificationsProcedure:     own,
		hearthv1connect.NotificationServiceMarkNotificationsReadProcedure: own,
		hearthv1connect.NotificationServiceWatchNotificationsProcedure:    own,
		hearthv1connect.NotificationServiceListSubscriptionsProcedure:     own,
		hearthv1connect.NotificationServiceSetSubscriptionProcedure: {
			Permission: access.ProjectParticipate, Project: projectOf(a.projects),
		},
	}
}

func projectOf(p Projects) func(ctx context.Context, req any) (uuid.UUID, error) {
	return func(ctx context.Context, req any) (uuid.UUID, error) {
		r, ok := req.(interface {
			GetOwner() string
			GetName() string
		})
		if !ok {
			return uuid.Nil, apperr.NotFound("project not found")
		}
		if r.GetOwner() == "" && r.GetName() == "" {
			return uuid.Nil, nil // installation-wide
		}
		return p.ProjectID(ctx, r.GetOwner(), r.GetName())
	}
}

func caller(ctx context.Context) (uuid.UUID, error) {
	p := access.PrincipalFrom(ctx)
	if p.UserID == uuid.Nil {
		return uuid.Nil, errNoUser
	}
	return p.UserID, nil
}

// ListNotifications lists the caller's notifications.
func (a *NotificationAPI) ListNotifications(ctx context.Context, req *hearthv1.ListNotificationsRequest) (*hearthv1.ListNotificationsResponse, error) {
	user, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	list, next, err := a.svc.List(ctx, user, req.GetUnreadOnly(), int(req.GetPageSize()), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	unread, err := a.svc.Unread(ctx, user)
	if err != nil {
		return nil, err
	}
	res := &hearthv1.ListNotificationsResponse{NextPageToken: next, UnreadCount: unread}
	for i := range list {
		res.Notifications = append(res.Notifications, notificationProto(&list[i]))
	}
	return res, nil
}

// MarkNotificationsRead marks the caller's notifications read.
func (a *NotificationAPI) MarkNotificationsRead(ctx context.Context, req *hearthv1.MarkNotificationsReadRequest) (*hearthv1.MarkNotificationsReadResponse, error) {
	user, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	ids := make([]uuid.UUID, 0, len(req.GetIds()))
	for _, s := range req.GetIds() {
		id, err := uuid.Parse(s)
		if err != nil {
			return nil, apperr.Invalid("%q is not a notification id", s)
		}
		ids = append(ids, id)
	}
	n, err := a.svc.MarkRead(ctx, user, ids)
	if err != nil {
		return nil, err
	}
	unread, err := a.svc.Unread(ctx, user)
	return &hearthv1.MarkNotificationsReadResponse{Marked: n, UnreadCount: unread}, err
}

// WatchNotifications streams the caller's new notifications.
func (a *NotificationAPI) WatchNotifications(ctx context.Context, _ *hearthv1.WatchNotificationsRequest, stream *connect.ServerStream[hearthv1.WatchNotificationsResponse]) error {
	user, err := caller(ctx)
	if err != nil {
		return err
	}
	return a.svc.Watch(ctx, user, func(n *Notification, unread int64) error {
		msg := &hearthv1.WatchNotificationsResponse{UnreadCount: unread}
		if n != nil {
			msg.Notification = notificationProto(n)
		}
		return stream.Send(msg)
	})
}

// SetSubscription sets the caller's level on a project or thread.
func (a *NotificationAPI) SetSubscription(ctx context.Context, req *hearthv1.SetSubscriptionRequest) (*hearthv1.SetSubscriptionResponse, error) {
	user, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	project, err := a.projects.ProjectID(ctx, req.GetOwner(), req.GetName())
	if err != nil {
		return nil, err
	}
	return &hearthv1.SetSubscriptionResponse{}, a.svc.Subscribe(ctx, user, project, req.GetSubject(), req.GetLevel())
}

// ListSubscriptions lists the caller's subscriptions.
func (a *NotificationAPI) ListSubscriptions(ctx context.Context, _ *hearthv1.ListSubscriptionsRequest) (*hearthv1.ListSubscriptionsResponse, error) {
	if _, err := caller(ctx); err != nil {
		return nil, err
	}
	subs, err := a.svc.Subscriptions(ctx, access.PrincipalFrom(ctx))
	if err != nil {
		return nil, err
	}
	res := &hearthv1.ListSubscriptionsResponse{}
	for _, s := range subs {
		res.Subscriptions = append(res.Subscriptions, &hearthv1.Subscription{
			ProjectId: s.ProjectID.String(), Subject: s.Subject, Level: s.Level, UpdateTime: timestamppb.New(s.UpdatedAt),
		})
	}
	return res, nil
}

func notificationProto(n *Notification) *hearthv1.Notification {
	out := &hearthv1.Notification{
		Id: n.ID.String(), Type: n.Type, Title: n.Title, Path: n.Path, Subject: n.Subject, Actor: n.Actor, Reason: n.Reason,
		CreateTime: timestamppb.New(n.CreatedAt), Count: n.Count,
	}
	if n.ProjectID != uuid.Nil {
		out.ProjectId = n.ProjectID.String()
	}
	if n.ReadAt != nil {
		out.ReadTime = timestamppb.New(*n.ReadAt)
	}
	return out
}

// WebhookAPI implements hearthv1connect.WebhookServiceHandler.
type WebhookAPI struct {
	svc      *Service
	projects Projects
}

var _ hearthv1connect.WebhookServiceHandler = (*WebhookAPI)(nil)

// Handler returns the Connect handler and its path prefix.
func (a *WebhookAPI) Handler(opts ...connect.HandlerOption) (string, http.Handler) {
	return hearthv1connect.NewWebhookServiceHandler(a, opts...)
}

// Rules declares what each RPC needs: project:admin on the project the
// request names, or installation-wide when it names none.
func (a *WebhookAPI) Rules() access.Rules {
	admin := access.Rule{Permission: access.ProjectAdmin, Project: projectOf(a.projects)}
	return access.Rules{
		hearthv1connect.WebhookServiceCreateWebhookProcedure:         admin,
		hearthv1connect.WebhookServiceListWebhooksProcedure:          admin,
		hearthv1connect.WebhookServiceDeleteWebhookProcedure:         admin,
		hearthv1connect.WebhookServiceSetWebhookActiveProcedure:      admin,
		hearthv1connect.WebhookServiceListWebhookDeliveriesProcedure: admin,
		hearthv1connect.WebhookServiceRedeliverWebhookProcedure:      admin,
	}
}

type projectNamed interface {
	GetOwner() string
	GetName() string
}

// scope is the project a request names (uuid.Nil: installation-wide).
func (a *WebhookAPI) scope(ctx context.Context, r projectNamed) (uuid.UUID, error) {
	return projectOf(a.projects)(ctx, r)
}

func parseID(what, s string) (uuid.UUID, error) {
	id, err := uuid.Parse(s)
	if err != nil {
		return uuid.Nil, apperr.NotFound("%s not found", what)
	}
	return id, nil
}

// CreateWebhook registers a webhook.
func (a *WebhookAPI) CreateWebhook(ctx context.Context, req *hearthv1.CreateWebhookRequest) (*hearthv1.CreateWebhookResponse, error) {
	project, err := a.scope(ctx, req)
	if err != nil {
		return nil, err
	}
	types := make([]event.Type, len(req.GetEvents()))
	for i, t := range req.GetEvents() {
		types[i] = event.Type(t)
	}
	w, secret, err := a.svc.CreateWebhook(ctx, project, req.GetUrl(), types, req.GetSecret())
	if err != nil {
		return nil, err
	}
	return &hearthv1.CreateWebhookResponse{Webhook: webhookProto(w), Secret: secret}, nil
}

// ListWebhooks lists the scope's webhooks.
func (a *WebhookAPI) ListWebhooks(ctx context.Context, req *hearthv1.ListWebhooksRequest) (*hearthv1.ListWebhooksResponse, error) {
	project, err := a.scope(ctx, req)
	if err != nil {
		return nil, err
	}
	list, err := a.svc.Webhooks(ctx, project)
	if err != nil {
		return nil, err
	}
	res := &hearthv1.ListWebhooksResponse{}
	for _, w := range list {
		res.Webhooks = append(res.Webhooks, webhookProto(w))
	}
	return res, nil
}

// DeleteWebhook deletes a webhook.
func (a *WebhookAPI) DeleteWebhook(ctx context.Context, req *hearthv1.DeleteWebhookRequest) (*hearthv1.DeleteWebhookResponse, error) {
	project, err := a.scope(ctx, req)
	if err != nil {
		return nil, err
	}
	id, err := parseID("webhook", req.GetId())
	if err != nil {
		return nil, err
	}
	return &hearthv1.DeleteWebhookResponse{}, a.svc.DeleteWebhook(ctx, project, id)
}

// SetWebhookActive turns a webhook on or off.
func (a *WebhookAPI) SetWebhookActive(ctx context.Context, req *hearthv1.SetWebhookActiveRequest) (*hearthv1.SetWebhookActiveResponse, error) {
	project, err := a.scope(ctx, req)
	if err != nil {
		return nil, err
	}
	id, err := parseID("webhook", req.GetId())
	if err != nil {
		return nil, err
	}
	w, err := a.svc.SetWebhookActive(ctx, project, id, req.GetActive())
	if err != nil {
		return nil, err
	}
	return &hearthv1.SetWebhookActiveResponse{Webhook: webhookProto(w)}, nil
}

// ListWebhookDeliveries pages through a webhook's deliveries.
func (a *WebhookAPI) ListWebhookDeliveries(ctx context.Context, req *hearthv1.ListWebhookDeliveriesRequest) (*hearthv1.ListWebhookDeliveriesResponse, error) {
	project, err := a.scope(ctx, req)
	if err != nil {
		return nil, err
	}
	id, err := parseID("webhook", req.GetId())
	if err != nil {
		return nil, err
	}
	var before uuid.UUID
	if req.GetPageToken() != "" {
		if before, err = decodeToken(req.GetPageToken()); err != nil {
			return nil, apperr.Invalid("page_token is not one this server issued")
		}
	}
	limit := int(req.GetPageSize())
	if limit <= 0 {
		limit = defaultPage
	}
	limit = min(limit, maxPage)
	list, err := a.svc.Deliveries(ctx, project, id, before, limit+1)
	if err != nil {
		return nil, err
	}
	res := &hearthv1.ListWebhookDeliveriesResponse{}
	if len(list) > limit {
		list = list[:limit]
		last := list[limit-1].ID
		res.NextPageToken = encodeToken(last)
	}
	for _, d := range list {
		res.Deliveries = append(res.Deliveries, deliveryProto(d))
	}
	return res, nil
}

// RedeliverWebhook queues a delivery again.
func (a *WebhookAPI) RedeliverWebhook(ctx context.Context, req *hearthv1.RedeliverWebhookRequest) (*hearthv1.RedeliverWebhookResponse, error) {
	project, err := a.scope(ctx, req)
	if err != nil {
		return nil, err
	}
	id, err := parseID("webhook", req.GetId())
	if err != nil {
		return nil, err
	}
	delivery, err := parseID("delivery", req.GetDeliveryId())
	if err != nil {
		return nil, err
	}
	newID, err := a.svc.Redeliver(ctx, project, id, delivery)
	if err != nil {
		return nil, err
	}
	return &hearthv1.RedeliverWebhookResponse{DeliveryId: newID.String()}, nil
}

func webhookProto(w Webhook) *hearthv1.Webhook {
	out := &hearthv1.Webhook{
		Id: w.ID.String(), Url: w.URL, Active: w.Active, DisabledReason: w.DisabledReason,
		ConsecutiveFailures: w.ConsecutiveFailures, CreatedBy: w.CreatedBy, CreateTime: timestamppb.New(w.CreatedAt),
	}
	for _, t := range w.Events {
		out.Events = append(out.Events, string(t))
	}
	return out
}

func deliveryProto(d Delivery) *hearthv1.WebhookDelivery {
	out := &hearthv1.WebhookDelivery{
		Id: d.ID.String(), EventId: d.EventID.String(), EventType: d.EventType, State: d.State, Attempts: d.Attempts,
		LastStatus: d.LastStatus, LastDuration: durationpb.New(d.LastDuration), LastError: d.LastError,
		CreateTime: timestamppb.New(d.CreatedAt),
	}
	if d.State == "pending" {
		out.NextAttemptTime = timestamppb.New(d.NextAttemptAt)
	}
	if d.RedeliveryOf != uuid.Nil {
		out.RedeliveryOf = d.RedeliveryOf.String()
	}
	if d.FinishedAt != nil {
		out.FinishTime = timestamppb.New(*d.FinishedAt)
	}
	return out
}

func encodeToken(id uuid.UUID) string { return base64URL(id[:]) }
