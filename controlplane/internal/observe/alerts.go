package observe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/audit"
	"github.com/hearth-dev/hearth/controlplane/internal/event"
	"github.com/hearth-dev/hearth/controlplane/internal/observe/columnar"
	"github.com/hearth-dev/hearth/controlplane/internal/observe/internal/db"
	"github.com/hearth-dev/hearth/controlplane/internal/observe/query"
	"github.com/hearth-dev/hearth/controlplane/internal/store"
	"github.com/hearth-dev/hearth/shared/logfield"
)

// LogMatch selects the log records a rule counts.
type LogMatch struct {
	Services    []string `json:"services,omitempty"`
	MinSeverity int32    `json:"min_severity,omitempty"`
	Attributes  []string `json:"attributes,omitempty"`
	Contains    string   `json:"contains,omitempty"`
	Regexp      string   `json:"regexp,omitempty"`
}

// MetricMatch is the aggregate a rule compares.
type MetricMatch struct {
	Metric      string   `json:"metric"`
	Labels      []string `json:"labels,omitempty"`
	Aggregation string   `json:"aggregation,omitempty"`
	Quantile    float64  `json:"quantile,omitempty"`
}

// AlertRule is a condition over a project's telemetry: value (a count of
// log records, or a metric's aggregate, over Window) compared with
// Threshold, true for For before it fires.
type AlertRule struct {
	ID, ProjectID uuid.UUID
	Name          string
	// Signal is "logs" or "metrics": which of Logs and Metrics is set.
	Signal      string
	Logs        *LogMatch
	Metrics     *MetricMatch
	Comparator  string
	Threshold   float64
	Window, For time.Duration
	Labels      map[string]string
	CreatedBy   uuid.UUID
	CreatedAt   time.Time
	State       AlertState
}

// AlertState is where a rule's alert stands ("" State: never evaluated).
type AlertState struct {
	State       string
	Since       time.Time
	Value       float64
	EvaluatedAt time.Time
	Silenced    bool
}

// Alert states.
const (
	stateInactive = "inactive"
	statePending  = "pending"
	stateFiring   = "firing"
)

var validRuleName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9 _.:/-]{0,99}$`)

// check validates r as a new rule.
func (r *AlertRule) check() error {
	if !validRuleName.MatchString(r.Name) {
		return apperr.Invalid("name: 1-100 letters, digits, spaces and _.:/- (starting with a letter or digit)")
	}
	switch r.Signal {
	case "logs":
		if r.Logs == nil || r.Metrics != nil {
			return apperr.Invalid("a logs rule has logs and no metrics")
		}
		if _, err := logFilter(r.Logs.Services, r.Logs.MinSeverity, r.Logs.Attributes, r.Logs.Contains, r.Logs.Regexp); err != nil {
			return err
		}
	case "metrics":
		if r.Metrics == nil || r.Logs != nil || r.Metrics.Metric == "" {
			return apperr.Invalid("a metrics rule has metrics (with a metric) and no logs")
		}
		if _, err := pairs("labels", r.Metrics.Labels); err != nil {
			return err
		}
		if _, err := query.ParseAggregation(r.Metrics.Aggregation); err != nil {
			return apperr.Invalid("%v", err)
		}
		if q := r.Metrics.Quantile; q < 0 || q > 1 {
			return apperr.Invalid("quantile must be between 0 and 1")
		}
	default:
		return apperr.Invalid("signal must be logs or metrics")
	}
	switch r.Comparator {
	case ">", ">=", "<", "<=":
	default:
		return apperr.Invalid("comparator must be >, >=, < or <=")
	}
	if r.Window < 10*time.Second || r.Window > 24*time.Hour || r.For < 0 || r.For > 24*time.Hour {
		return apperr.Invalid("window must be 10s-24h and pending_for 0-24h")
	}
	if len(r.Labels) > 20 {
		return apperr.Invalid("labels: at most 20")
	}
	for k, v := range r.Labels {
		if k == "" || len(k) > 100 || len(v) > 200 {
			return apperr.Invalid("labels: keys of 1-100 characters, values of at most 200")
		}
	}
	return nil
}

// CreateAlertRule adds a rule to project.
func (s *Service) CreateAlertRule(ctx context.Context, project uuid.UUID, r AlertRule) (AlertRule, error) {
	if err := r.check(); err != nil {
		return AlertRule{}, err
	}
	var match any = r.Logs
	if r.Signal == "metrics" {
		match = r.Metrics
	}
	m, err := json.Marshal(match)
	if err != nil {
		return AlertRule{}, err
	}
	labels, err := json.Marshal(r.Labels)
	if err != nil {
		return AlertRule{}, err
	}
	r.ID, r.ProjectID = uuid.Must(uuid.NewV7()), project
	p := access.PrincipalFrom(ctx)
	var by *uuid.UUID
	if p.UserID != uuid.Nil {
		by, r.CreatedBy = &p.UserID, p.UserID
	}
	err = s.d.DB.InTx(ctx, func(tx pgx.Tx) error {
		at, err := db.New(tx).InsertAlertRule(ctx, db.InsertAlertRuleParams{
			ID: r.ID, ProjectID: project, Name: r.Name, Signal: r.Signal, Match: m, Comparator: r.Comparator, Threshold: r.Threshold,
			Labels: labels, CreatedBy: by,
			WindowSeconds: int32(r.Window / time.Second), ForSeconds: int32(r.For / time.Second), //nolint:gosec // G115: check bounds both to a day
		})
		if err != nil {
			if errors.Is(err, store.ErrConflict) {
				return apperr.Conflict("an alert rule named %q exists in this project", r.Name)
			}
			return err
		}
		r.CreatedAt = at
		return audit.Record(ctx, tx, audit.Event{Action: "alert_rule.create", Resource: "alert-rule/" + r.ID.String(), ProjectID: project,
			Detail: map[string]any{"name": r.Name}})
	})
	return r, err
}

// DeleteAlertRule removes a rule of project.
func (s *Service) DeleteAlertRule(ctx context.Context, project, id uuid.UUID) error {
	return s.d.DB.InTx(ctx, func(tx pgx.Tx) error {
		n, err := db.New(tx).DeleteAlertRule(ctx, db.DeleteAlertRuleParams{ID: id, ProjectID: project})
		if err != nil {
			return err
		}
		if n == 0 {
			return apperr.NotFound("alert rule not found")
		}
		return audit.Record(ctx, tx, audit.Event{Action: "alert_rule.delete", Resource: "alert-rule/" + id.String(), ProjectID: project})
	})
}

// AlertRules lists project's rules with their state.
func (s *Service) AlertRules(ctx context.Context, project uuid.UUID) ([]AlertRule, error) {
	rows, err := db.New(s.d.DB).ListAlertRules(ctx, project)
	if err != nil {
		return nil, err
	}
	out := make([]AlertRule, 0, len(rows))
	for _, row := range rows {
		r, err := ruleOf(db.ObserveAlertRule{
			ID: row.ID, ProjectID: row.ProjectID, Name: row.Name, Signal: row.Signal, Match: row.Match, Comparator: row.Comparator,
			Threshold: row.Threshold, WindowSeconds: row.WindowSeconds, ForSeconds: row.ForSeconds, Labels: row.Labels,
			CreatedBy: row.CreatedBy, CreatedAt: row.CreatedAt,
		})
		if err != nil {
			return nil, err
		}
		if row.State != nil {
			r.State = AlertState{State: *row.State, Since: deref(row.Since), Value: deref(row.Value), EvaluatedAt: deref(row.EvaluatedAt), Silenced: deref(row.Silenced)}
		}
		out = append(out, r)
	}
	return out, nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func ruleOf(row db.ObserveAlertRule) (AlertRule, error) {
	r := AlertRule{
		ID: row.ID, ProjectID: row.ProjectID, Name: row.Name, Signal: row.Signal, Comparator: row.Comparator, Threshold: row.Threshold,
		Window: time.Duration(row.WindowSeconds) * time.Second, For: time.Duration(row.ForSeconds) * time.Second,
		CreatedBy: deref(row.CreatedBy), CreatedAt: row.CreatedAt,
	}
	var err error
	if r.Signal == "logs" {
		r.Logs = &LogMatch{}
		err = json.Unmarshal(row.Match, r.Logs)
	} else {
		r.Metrics = &MetricMatch{}
		err = json.Unmarshal(row.Match, r.Metrics)
	}
	if err == nil {
		err = json.Unmarshal(row.Labels, &r.Labels)
	}
	if err != nil {
		return r, fmt.Errorf("alert rule %s: %w", row.ID, err)
	}
	return r, nil
}

// value computes a rule's value at now: the matching log records in the
// window, or the metric's aggregate over it (ok false: no data).
func (s *Service) value(ctx context.Context, r AlertRule, now time.Time) (float64, bool, error) {
	from, to := now.Add(-r.Window).UnixNano(), now.UnixNano()
	project := r.ProjectID.String()
	if r.Logs != nil {
		f, err := logFilter(r.Logs.Services, r.Logs.MinSeverity, r.Logs.Attributes, r.Logs.Contains, r.Logs.Regexp)
		if err != nil {
			return 0, false, err
		}
		f.From, f.To = from, to
		n, _, err := s.engine.CountLogs(ctx, project, f)
		return float64(n), true, err
	}
	labels, err := pairs("labels", r.Metrics.Labels)
	if err != nil {
		return 0, false, err
	}
	f := columnar.MetricFilter{Name: r.Metrics.Metric, From: from, To: to}
	if svc, ok := labels["service"]; ok {
		f.Services = []string{svc}
		delete(labels, "service")
	}
	f.Labels = labels
	agg, err := query.ParseAggregation(r.Metrics.Aggregation)
	if err != nil {
		return 0, false, err
	}
	series, _, err := s.engine.Metrics(ctx, project, query.MetricQuery{Filter: f, AggregateRequest: query.AggregateRequest{
		From: from, To: to, Step: to - from, Agg: agg, Quantile: r.Metrics.Quantile,
	}})
	if err != nil || len(series) == 0 || len(series[0].Points) == 0 {
		return 0, false, err
	}
	pts := series[0].Points
	return pts[len(pts)-1].Value, true, nil
}

func (r AlertRule) holds(v float64) bool {
	switch r.Comparator {
	case ">":
		return v > r.Threshold
	case ">=":
		return v >= r.Threshold
	case "<":
		return v < r.Threshold
	case "<=":
		return v <= r.Threshold
	}
	return false
}

// silencedBy reports whether one of silences (active at now) matches r:
// every matcher equals r's label of that name, "alertname" being r's name.
func (r AlertRule) silencedBy(silences []Silence, now time.Time) bool {
	for _, sil := range silences {
		if now.Before(sil.StartsAt) || !now.Before(sil.EndsAt) {
			continue
		}
		all := true
		for k, v := range sil.Matchers {
			got, ok := r.Labels[k]
			if k == "alertname" {
				got, ok = r.Name, true
			}
			if !ok || got != v {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

// RunAlerts evaluates every rule every interval, on the leader only.
func (s *Service) RunAlerts(ctx context.Context) error {
	return every(ctx, s.d.Config.AlertInterval, func() error { return s.EvaluateAlerts(ctx) })
}

// EvaluateAlerts evaluates every rule once. A rule whose value cannot be
// computed keeps its state (logged); the pass goes on.
func (s *Service) EvaluateAlerts(ctx context.Context) error {
	rows, err := db.New(s.d.DB).AllAlertRules(ctx)
	if err != nil {
		return err
	}
	silences := map[uuid.UUID][]Silence{}
	for _, row := range rows {
		r, err := ruleOf(row)
		if err != nil {
			s.log.Error().Err(err).Msg("an alert rule cannot be read")
			continue
		}
		now := s.now()
		v, ok, err := s.value(ctx, r, now)
		if err != nil {
			if ctx.Err() != nil {
				return nil //nolint:nilerr // stopping, not failing: the next leader evaluates
			}
			s.log.Warn().Err(err).Str(logfield.RuleID, r.ID.String()).Msg("an alert rule could not be evaluated")
			continue
		}
		sils, seen := silences[r.ProjectID]
		if !seen {
			if sils, err = s.Silences(ctx, r.ProjectID); err != nil {
				return err
			}
			silences[r.ProjectID] = sils
		}
		if err := s.transition(ctx, r, ok && r.holds(v), v, r.silencedBy(sils, now), now); err != nil {
			return err
		}
	}
	return nil
}

// transition moves r's alert to its next state in one fenced transaction,
// with the event it causes: a deposed leader's transition fails, and a
// new leader starts from what was committed, so an alert fires once.
func (s *Service) transition(ctx context.Context, r AlertRule, holds bool, value float64, silenced bool, now time.Time) error {
	return s.d.DB.InTx(ctx, func(tx pgx.Tx) error {
		q := db.New(tx)
		cur, err := q.LockAlertState(ctx, r.ID)
		if errors.Is(err, store.ErrNotFound) {
			return nil // deleted meanwhile
		}
		if err != nil {
			return err
		}
		next, since, notified := cur.State, cur.Since, cur.Notified
		switch {
		case !holds:
			next = stateInactive
		case cur.State == statePending && now.Sub(cur.Since) >= r.For, cur.State != statePending && cur.State != stateFiring && r.For == 0:
			next = stateFiring
		case cur.State != statePending && cur.State != stateFiring:
			next = statePending
		}
		if next != cur.State {
			since = now
		}
		var publish event.Type
		switch {
		case next == stateFiring && !notified && !silenced:
			publish, notified = event.AlertFired, true
		case next != stateFiring && notified:
			publish, notified = event.AlertResolved, false
		}
		if err := q.SaveAlertState(ctx, db.SaveAlertStateParams{
			RuleID: r.ID, State: next, Since: since, Value: &value, EvaluatedAt: now, Silenced: next == stateFiring && silenced, Notified: notified,
		}); err != nil {
			return err
		}
		if publish == "" || s.d.Events == nil {
			return nil
		}
		return s.d.Events.Publish(ctx, tx, alertEvent(r, publish, value))
	})
}

func alertEvent(r AlertRule, t event.Type, value float64) event.Event {
	verb := "is firing"
	if t == event.AlertResolved {
		verb = "resolved"
	}
	e := event.Event{
		Type: t, ProjectID: r.ProjectID, Subject: "alert " + r.Name, Path: "-/alerts",
		Title: fmt.Sprintf("Alert %s %s: %g %s %g", r.Name, verb, value, r.Comparator, r.Threshold),
		Data:  map[string]any{"rule_id": r.ID.String(), "rule": r.Name, "value": value, "threshold": r.Threshold, "labels": r.Labels},
	}
	if r.CreatedBy != uuid.Nil {
		e.Recipients = []uuid.UUID{r.CreatedBy}
	}
	return e
}

// Silence mutes the alerts whose labels match until EndsAt.
type Silence struct {
	ID               uuid.UUID
	Matchers         map[string]string
	Comment          string
	CreatedBy        uuid.UUID
	StartsAt, EndsAt time.Time
}

// CreateSilence adds a silence to project.
func (s *Service) CreateSilence(ctx context.Context, project uuid.UUID, sil Silence) (Silence, error) {
	now := s.now()
	if sil.StartsAt.IsZero() {
		sil.StartsAt = now
	}
	switch {
	case len(sil.Matchers) == 0 || len(sil.Matchers) > 20:
		return Silence{}, apperr.Invalid("a silence has 1-20 matchers")
	case !sil.EndsAt.After(sil.StartsAt) || sil.EndsAt.After(now.Add(90*24*time.Hour)):
		return Silence{}, apperr.Invalid("end_time must be after start_time and at most 90 days ahead")
	case len(sil.Comment) > 1000:
		return Silence{}, apperr.Invalid("comment: at most 1000 characters")
	}
	for k, v := range sil.Matchers {
		if strings.TrimSpace(k) == "" || len(k) > 100 || len(v) > 200 {
			return Silence{}, apperr.Invalid("matchers: keys of 1-100 characters, values of at most 200")
		}
	}
	m, err := json.Marshal(sil.Matchers)
	if err != nil {
		return Silence{}, err
	}
	sil.ID = uuid.Must(uuid.NewV7())
	var by *uuid.UUID
	if p := access.PrincipalFrom(ctx); p.UserID != uuid.Nil {
		by, sil.CreatedBy = &p.UserID, p.UserID
	}
	err = s.d.DB.InTx(ctx, func(tx pgx.Tx) error {
		if err := db.New(tx).InsertSilence(ctx, db.InsertSilenceParams{
			ID: sil.ID, ProjectID: project, Matchers: m, Comment: sil.Comment, CreatedBy: by, StartsAt: sil.StartsAt, EndsAt: sil.EndsAt,
		}); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "silence.create", Resource: "silence/" + sil.ID.String(), ProjectID: project,
			Detail: map[string]any{"matchers": sil.Matchers, "ends_at": sil.EndsAt}})
	})
	return sil, err
}

// EndSilence ends a silence of project now.
func (s *Service) EndSilence(ctx context.Context, project, id uuid.UUID) error {
	return s.d.DB.InTx(ctx, func(tx pgx.Tx) error {
		n, err := db.New(tx).EndSilence(ctx, db.EndSilenceParams{ID: id, ProjectID: project, Now: s.now()})
		if err != nil {
			return err
		}
		if n == 0 {
			return apperr.NotFound("silence not found")
		}
		return audit.Record(ctx, tx, audit.Event{Action: "silence.end", Resource: "silence/" + id.String(), ProjectID: project})
	})
}

// Silences lists project's silences that have not ended.
func (s *Service) Silences(ctx context.Context, project uuid.UUID) ([]Silence, error) {
	rows, err := db.New(s.d.DB).ListSilences(ctx, db.ListSilencesParams{ProjectID: project, EndsAt: s.now()})
	if err != nil {
		return nil, err
	}
	out := make([]Silence, 0, len(rows))
	for _, r := range rows {
		sil := Silence{ID: r.ID, Comment: r.Comment, CreatedBy: deref(r.CreatedBy), StartsAt: r.StartsAt, EndsAt: r.EndsAt}
		if err := json.Unmarshal(r.Matchers, &sil.Matchers); err != nil {
			return nil, err
		}
		out = append(out, sil)
	}
	return out, nil
}
