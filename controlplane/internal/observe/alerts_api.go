package observe

import (
	"context"

	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
)

func (a *API) projectID(ctx context.Context, r projectNamed) (uuid.UUID, error) {
	return a.svc.d.Projects.ProjectID(ctx, r.GetOwner(), r.GetName())
}

// ListAlertRules lists the project's rules and their state.
func (a *API) ListAlertRules(ctx context.Context, req *hearthv1.ListAlertRulesRequest) (*hearthv1.ListAlertRulesResponse, error) {
	project, err := a.projectID(ctx, req)
	if err != nil {
		return nil, err
	}
	rules, err := a.svc.AlertRules(ctx, project)
	if err != nil {
		return nil, err
	}
	out := &hearthv1.ListAlertRulesResponse{Rules: make([]*hearthv1.AlertRule, len(rules))}
	for i, r := range rules {
		out.Rules[i] = ruleProto(r)
	}
	return out, nil
}

// CreateAlertRule adds a rule.
func (a *API) CreateAlertRule(ctx context.Context, req *hearthv1.CreateAlertRuleRequest) (*hearthv1.CreateAlertRuleResponse, error) {
	project, err := a.projectID(ctx, req)
	if err != nil {
		return nil, err
	}
	in := req.GetRule()
	if in == nil {
		return nil, apperr.Invalid("rule is required")
	}
	r := AlertRule{
		Name: in.GetName(), Signal: in.GetSignal(), Comparator: in.GetComparator(), Threshold: in.GetThreshold(),
		Window: in.GetWindow().AsDuration(), For: in.GetPendingFor().AsDuration(), Labels: in.GetLabels(),
	}
	if l := in.GetLogs(); l != nil {
		r.Logs = &LogMatch{Services: l.GetServices(), MinSeverity: l.GetMinSeverity(), Attributes: l.GetAttributes(), Contains: l.GetContains(), Regexp: l.GetRegexp()}
	}
	if m := in.GetMetrics(); m != nil {
		r.Metrics = &MetricMatch{Metric: m.GetMetric(), Labels: m.GetLabels(), Aggregation: m.GetAggregation(), Quantile: m.GetQuantile()}
	}
	created, err := a.svc.CreateAlertRule(ctx, project, r)
	if err != nil {
		return nil, err
	}
	return &hearthv1.CreateAlertRuleResponse{Rule: ruleProto(created)}, nil
}

// DeleteAlertRule removes a rule.
func (a *API) DeleteAlertRule(ctx context.Context, req *hearthv1.DeleteAlertRuleRequest) (*hearthv1.DeleteAlertRuleResponse, error) {
	project, err := a.projectID(ctx, req)
	if err != nil {
		return nil, err
	}
	id, err := uuid.Parse(req.GetId())
	if err != nil {
		return nil, apperr.NotFound("alert rule not found")
	}
	return &hearthv1.DeleteAlertRuleResponse{}, a.svc.DeleteAlertRule(ctx, project, id)
}

// ListSilences lists the silences that have not ended.
func (a *API) ListSilences(ctx context.Context, req *hearthv1.ListSilencesRequest) (*hearthv1.ListSilencesResponse, error) {
	project, err := a.projectID(ctx, req)
	if err != nil {
		return nil, err
	}
	list, err := a.svc.Silences(ctx, project)
	if err != nil {
		return nil, err
	}
	out := &hearthv1.ListSilencesResponse{Silences: make([]*hearthv1.Silence, len(list))}
	for i, s := range list {
		out.Silences[i] = silenceProto(s)
	}
	return out, nil
}

// CreateSilence adds a silence.
func (a *API) CreateSilence(ctx context.Context, req *hearthv1.CreateSilenceRequest) (*hearthv1.CreateSilenceResponse, error) {
	project, err := a.projectID(ctx, req)
	if err != nil {
		return nil, err
	}
	in := req.GetSilence()
	if in == nil || in.GetEndTime() == nil {
		return nil, apperr.Invalid("silence with an end_time is required")
	}
	sil := Silence{Matchers: in.GetMatchers(), Comment: in.GetComment(), EndsAt: in.GetEndTime().AsTime()}
	if in.GetStartTime() != nil {
		sil.StartsAt = in.GetStartTime().AsTime()
	}
	created, err := a.svc.CreateSilence(ctx, project, sil)
	if err != nil {
		return nil, err
	}
	return &hearthv1.CreateSilenceResponse{Silence: silenceProto(created)}, nil
}

// DeleteSilence ends a silence now.
func (a *API) DeleteSilence(ctx context.Context, req *hearthv1.DeleteSilenceRequest) (*hearthv1.DeleteSilenceResponse, error) {
	project, err := a.projectID(ctx, req)
	if err != nil {
		return nil, err
	}
	id, err := uuid.Parse(req.GetId())
	if err != nil {
		return nil, apperr.NotFound("silence not found")
	}
	return &hearthv1.DeleteSilenceResponse{}, a.svc.EndSilence(ctx, project, id)
}

func ruleProto(r AlertRule) *hearthv1.AlertRule {
	out := &hearthv1.AlertRule{
		Id: r.ID.String(), Name: r.Name, Signal: r.Signal, Comparator: r.Comparator, Threshold: r.Threshold,
		Window: durationpb.New(r.Window), PendingFor: durationpb.New(r.For), Labels: r.Labels, CreateTime: timestamppb.New(r.CreatedAt),
	}
	if r.CreatedBy != uuid.Nil {
		out.CreatedBy = r.CreatedBy.String()
	}
	if l := r.Logs; l != nil {
		out.Logs = &hearthv1.LogMatch{Services: l.Services, MinSeverity: l.MinSeverity, Attributes: l.Attributes, Contains: l.Contains, Regexp: l.Regexp}
	}
	if m := r.Metrics; m != nil {
		out.Metrics = &hearthv1.MetricMatch{Metric: m.Metric, Labels: m.Labels, Aggregation: m.Aggregation, Quantile: m.Quantile}
	}
	st := r.State
	if st.State == "" {
		st.State = stateInactive
	}
	out.State = &hearthv1.AlertState{State: st.State, Value: st.Value, Silenced: st.Silenced}
	if !st.Since.IsZero() {
		out.State.Since = timestamppb.New(st.Since)
	}
	if !st.EvaluatedAt.IsZero() {
		out.State.EvaluateTime = timestamppb.New(st.EvaluatedAt)
	}
	return out
}

func silenceProto(s Silence) *hearthv1.Silence {
	out := &hearthv1.Silence{
		Id: s.ID.String(), Matchers: s.Matchers, Comment: s.Comment, StartTime: timestamppb.New(s.StartsAt), EndTime: timestamppb.New(s.EndsAt),
	}
	if s.CreatedBy != uuid.Nil {
		out.CreatedBy = s.CreatedBy.String()
	}
	return out
}
