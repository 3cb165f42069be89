package observe

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"math"
	"net/http"
	"regexp"
	"strings"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/observe/columnar"
	"github.com/hearth-dev/hearth/controlplane/internal/observe/query"
	"github.com/hearth-dev/hearth/controlplane/internal/observe/record"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

// API implements hearthv1connect.ObserveServiceHandler.
type API struct{ svc *Service }

var _ hearthv1connect.ObserveServiceHandler = (*API)(nil)

// Handler returns the Connect handler and its path prefix.
func (a *API) Handler(opts ...connect.HandlerOption) (string, http.Handler) {
	return hearthv1connect.NewObserveServiceHandler(a, opts...)
}

// Rules declares what each RPC needs: observe:read on the project it names;
// managing alert rules and silences project:write.
func (a *API) Rules() access.Rules {
	read := access.Rule{Permission: access.ObserveRead, Project: a.projectOf}
	write := access.Rule{Permission: access.ProjectWrite, Project: a.projectOf}
	return access.Rules{
		hearthv1connect.ObserveServiceListAlertRulesProcedure:        read,
		hearthv1connect.ObserveServiceCreateAlertRuleProcedure:       write,
		hearthv1connect.ObserveServiceDeleteAlertRuleProcedure:       write,
		hearthv1connect.ObserveServiceListSilencesProcedure:          read,
		hearthv1connect.ObserveServiceCreateSilenceProcedure:         write,
		hearthv1connect.ObserveServiceDeleteSilenceProcedure:         write,
		hearthv1connect.ObserveServiceGetObserveSettingsProcedure:    read,
		hearthv1connect.ObserveServiceUpdateObserveSettingsProcedure: {Permission: access.ProjectAdmin, Project: a.projectOf},
		hearthv1connect.ObserveServiceQueryLogsProcedure:             read,
		hearthv1connect.ObserveServiceTailLogsProcedure:              read,
		hearthv1connect.ObserveServiceGetTraceProcedure:              read,
		hearthv1connect.ObserveServiceSearchTracesProcedure:          read,
		hearthv1connect.ObserveServiceQueryMetricsProcedure:          read,
		hearthv1connect.ObserveServiceListMetricsProcedure:           read,
	}
}

type projectNamed interface {
	GetOwner() string
	GetName() string
}

func (a *API) projectOf(ctx context.Context, req any) (uuid.UUID, error) {
	r, ok := req.(projectNamed)
	if !ok {
		return uuid.Nil, apperr.NotFound("project not found")
	}
	return a.svc.d.Projects.ProjectID(ctx, r.GetOwner(), r.GetName())
}

// tenant is the project the (authorized) request names, as rows name it.
func (a *API) tenant(ctx context.Context, r projectNamed) (string, error) {
	id, err := a.svc.d.Projects.ProjectID(ctx, r.GetOwner(), r.GetName())
	return id.String(), err
}

const (
	defaultWindow = time.Hour
	traceWindow   = 7 * 24 * time.Hour
	maxWindow     = 400 * 24 * time.Hour
)

// window is [start, end) in nanoseconds: start defaults to def before
// end, or before now; end to the latest time ingest accepts (senders'
// clocks run ahead of ours).
func (a *API) window(start, end *timestamppb.Timestamp, def time.Duration) (int64, int64, error) {
	now := a.svc.now()
	to, from := now.Add(a.svc.d.Config.Limits.MaxFuture), now.Add(-def)
	if end != nil {
		to = end.AsTime()
		from = to.Add(-def)
	}
	if start != nil {
		from = start.AsTime()
	}
	if !from.Before(to) {
		return 0, 0, apperr.Invalid("start_time must be before end_time")
	}
	if to.Sub(from) > maxWindow {
		return 0, 0, apperr.Invalid("the time range may span at most 400 days")
	}
	return from.UnixNano(), to.UnixNano(), nil
}

// pairs parses "key=value" filters.
func pairs(field string, in []string) (map[string]string, error) {
	if len(in) == 0 {
		return nil, nil //nolint:nilnil // no filter
	}
	if len(in) > 20 {
		return nil, apperr.Invalid("%s: at most 20 filters", field)
	}
	out := make(map[string]string, len(in))
	for _, p := range in {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return nil, apperr.Invalid("%s: %q is not key=value", field, p)
		}
		out[k] = v
	}
	return out, nil
}

func logFilter(services []string, minSeverity int32, attrs []string, contains, re string) (columnar.LogFilter, error) {
	f := columnar.LogFilter{Services: services, MinSeverity: minSeverity, Contains: contains}
	var err error
	if f.Attributes, err = pairs("attributes", attrs); err != nil {
		return f, err
	}
	if re != "" {
		if len(re) > 1000 {
			return f, apperr.Invalid("regexp: at most 1000 characters")
		}
		if f.Regexp, err = regexp.Compile(re); err != nil {
			return f, apperr.Invalid("regexp: %v", err)
		}
	}
	return f, nil
}

// QueryLogs pages through log records, newest first.
func (a *API) QueryLogs(ctx context.Context, req *hearthv1.QueryLogsRequest) (*hearthv1.QueryLogsResponse, error) {
	project, err := a.tenant(ctx, req)
	if err != nil {
		return nil, err
	}
	f, err := logFilter(req.GetServices(), req.GetMinSeverity(), req.GetAttributes(), req.GetContains(), req.GetRegexp())
	if err != nil {
		return nil, err
	}
	if f.From, f.To, err = a.window(req.GetStartTime(), req.GetEndTime(), defaultWindow); err != nil {
		return nil, err
	}
	limit := int(req.GetPageSize())
	if limit <= 0 {
		limit = 100
	}
	if limit > 1000 {
		return nil, apperr.Invalid("page_size: at most 1000")
	}
	q := query.LogQuery{Filter: f, Limit: limit}
	if req.GetPageToken() != "" {
		c, err := parseCursor(req.GetPageToken())
		if err != nil {
			return nil, err
		}
		q.After = &c
	}
	res, err := a.svc.engine.Logs(ctx, project, q)
	if err != nil {
		return nil, err
	}
	out := &hearthv1.QueryLogsResponse{Logs: make([]*hearthv1.LogRecord, len(res.Logs)), Stats: statsProto(res.Stats)}
	for i := range res.Logs {
		out.Logs[i] = logProto(&res.Logs[i])
	}
	if res.Next != nil {
		out.NextPageToken = cursorToken(*res.Next)
	}
	return out, nil
}

// TailLogs streams new log records of the project.
func (a *API) TailLogs(ctx context.Context, req *hearthv1.TailLogsRequest, stream *connect.ServerStream[hearthv1.TailLogsResponse]) error {
	project, err := a.tenant(ctx, req)
	if err != nil {
		return err
	}
	f, err := logFilter(req.GetServices(), req.GetMinSeverity(), req.GetAttributes(), req.GetContains(), req.GetRegexp())
	if err != nil {
		return err
	}
	return a.svc.Tail(ctx, project, f, func(logs []record.Log, dropped int64) error {
		msg := &hearthv1.TailLogsResponse{Dropped: dropped, Logs: make([]*hearthv1.LogRecord, len(logs))}
		for i := range logs {
			msg.Logs[i] = logProto(&logs[i])
		}
		return stream.Send(msg)
	})
}

// GetTrace returns one trace's spans.
func (a *API) GetTrace(ctx context.Context, req *hearthv1.GetTraceRequest) (*hearthv1.GetTraceResponse, error) {
	project, err := a.tenant(ctx, req)
	if err != nil {
		return nil, err
	}
	id, err := hex.DecodeString(req.GetTraceId())
	if err != nil || len(id) != 16 {
		return nil, apperr.Invalid("trace_id must be 32 hex digits")
	}
	from, to, err := a.window(req.GetStartTime(), req.GetEndTime(), traceWindow)
	if err != nil {
		return nil, err
	}
	spans, stats, err := a.svc.engine.Trace(ctx, project, id, from, to)
	if err != nil {
		return nil, err
	}
	out := &hearthv1.GetTraceResponse{Spans: make([]*hearthv1.Span, len(spans)), Stats: statsProto(stats)}
	for i := range spans {
		out.Spans[i] = spanProto(&spans[i])
	}
	return out, nil
}

var statusNames = map[string]int32{"unset": 0, "ok": 1, "error": 2}

// SearchTraces finds traces.
func (a *API) SearchTraces(ctx context.Context, req *hearthv1.SearchTracesRequest) (*hearthv1.SearchTracesResponse, error) {
	project, err := a.tenant(ctx, req)
	if err != nil {
		return nil, err
	}
	f := columnar.SpanFilter{Name: req.GetOperation()}
	if req.GetService() != "" {
		f.Services = []string{req.GetService()}
	}
	if f.From, f.To, err = a.window(req.GetStartTime(), req.GetEndTime(), defaultWindow); err != nil {
		return nil, err
	}
	if f.Attributes, err = pairs("attributes", req.GetAttributes()); err != nil {
		return nil, err
	}
	f.MinDuration = req.GetMinDuration().AsDuration().Nanoseconds()
	if req.GetMaxDuration() != nil {
		f.MaxDuration = req.GetMaxDuration().AsDuration().Nanoseconds()
	}
	if st := req.GetStatus(); st != "" {
		code, ok := statusNames[st]
		if !ok {
			return nil, apperr.Invalid("status: want ok, error or unset")
		}
		f.StatusCode = &code
	}
	limit := int(req.GetLimit())
	if limit <= 0 {
		limit = 20
	}
	if limit > 200 {
		return nil, apperr.Invalid("limit: at most 200")
	}
	found, stats, err := a.svc.engine.SearchTraces(ctx, project, query.TraceSearch{Filter: f, Limit: limit})
	if err != nil {
		return nil, err
	}
	out := &hearthv1.SearchTracesResponse{Stats: statsProto(stats)}
	for _, t := range found {
		out.Traces = append(out.Traces, &hearthv1.TraceSummary{
			TraceId: hex.EncodeToString(t.TraceID), RootService: t.RootService, RootName: t.RootName,
			StartTime: nanoTime(t.StartNano), Duration: durationpb.New(time.Duration(t.EndNano - t.StartNano)),
			SpanCount: int32(min(t.Spans, math.MaxInt32)), ErrorCount: int32(min(t.Errors, math.MaxInt32)), //nolint:gosec // G115: clamped
		})
	}
	return out, nil
}

// QueryMetrics aggregates a metric.
func (a *API) QueryMetrics(ctx context.Context, req *hearthv1.QueryMetricsRequest) (*hearthv1.QueryMetricsResponse, error) {
	project, err := a.tenant(ctx, req)
	if err != nil {
		return nil, err
	}
	if req.GetMetric() == "" {
		return nil, apperr.Invalid("metric is required")
	}
	f := columnar.MetricFilter{Name: req.GetMetric()}
	if f.From, f.To, err = a.window(req.GetStartTime(), req.GetEndTime(), defaultWindow); err != nil {
		return nil, err
	}
	labels, err := pairs("labels", req.GetLabels())
	if err != nil {
		return nil, err
	}
	if svc, ok := labels["service"]; ok {
		f.Services = []string{svc}
		delete(labels, "service")
	}
	f.Labels = labels
	agg, err := query.ParseAggregation(req.GetAggregation())
	if err != nil {
		return nil, apperr.Invalid("%v", err)
	}
	if q := req.GetQuantile(); agg == query.AggQuantile && (q < 0 || q > 1 || q != q) {
		return nil, apperr.Invalid("quantile must be between 0 and 1")
	}
	step := req.GetStep().AsDuration().Nanoseconds()
	if step <= 0 {
		step = max((f.To-f.From)/60, int64(time.Second))
	}
	if (f.To-f.From)/step > 11000 {
		return nil, apperr.Invalid("step: at most 11,000 steps per series")
	}
	if len(req.GetGroupBy()) > 10 {
		return nil, apperr.Invalid("group_by: at most 10 labels")
	}
	series, stats, err := a.svc.engine.Metrics(ctx, project, query.MetricQuery{Filter: f, AggregateRequest: query.AggregateRequest{
		From: f.From, To: f.To, Step: step, Agg: agg, Quantile: req.GetQuantile(), GroupBy: req.GetGroupBy(),
	}})
	if err != nil {
		return nil, err
	}
	out := &hearthv1.QueryMetricsResponse{Stats: statsProto(stats)}
	for _, s := range series {
		ps := &hearthv1.MetricSeries{Labels: s.Labels, Points: make([]*hearthv1.MetricPoint, len(s.Points))}
		for i, p := range s.Points {
			ps.Points[i] = &hearthv1.MetricPoint{Time: nanoTime(p.Time), Value: p.Value}
		}
		out.Series = append(out.Series, ps)
	}
	return out, nil
}

var kindNames = map[record.MetricKind]string{record.Gauge: "gauge", record.Sum: "sum", record.Histogram: "histogram"}

// ListMetrics lists metric names.
func (a *API) ListMetrics(ctx context.Context, req *hearthv1.ListMetricsRequest) (*hearthv1.ListMetricsResponse, error) {
	project, err := a.tenant(ctx, req)
	if err != nil {
		return nil, err
	}
	from, to, err := a.window(req.GetStartTime(), req.GetEndTime(), defaultWindow)
	if err != nil {
		return nil, err
	}
	names, err := a.svc.engine.MetricNames(ctx, project, from, to)
	if err != nil {
		return nil, err
	}
	out := &hearthv1.ListMetricsResponse{}
	for _, m := range names {
		out.Metrics = append(out.Metrics, &hearthv1.MetricInfo{Name: m.Name, Kind: kindNames[m.Kind], Unit: m.Unit})
	}
	return out, nil
}

func nanoTime(n int64) *timestamppb.Timestamp { return timestamppb.New(time.Unix(0, n)) }

func hexOrEmpty(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return hex.EncodeToString(b)
}

func logProto(l *record.Log) *hearthv1.LogRecord {
	return &hearthv1.LogRecord{
		Time: nanoTime(l.TimeNano), ObservedTime: nanoTime(l.ObservedNano), SeverityNumber: l.Severity, SeverityText: l.SeverityText,
		Body: l.Body, TraceId: hexOrEmpty(l.TraceID), SpanId: hexOrEmpty(l.SpanID), Service: l.Service,
		Attributes: l.Attributes, ResourceAttributes: l.Resource,
	}
}

var spanKinds = []string{"unspecified", "internal", "server", "client", "producer", "consumer"}

func spanProto(s *record.Span) *hearthv1.Span {
	kind := "unspecified"
	if s.Kind >= 0 && int(s.Kind) < len(spanKinds) {
		kind = spanKinds[s.Kind]
	}
	status := "unset"
	for name, code := range statusNames {
		if code == s.StatusCode {
			status = name
		}
	}
	out := &hearthv1.Span{
		TraceId: hexOrEmpty(s.TraceID), SpanId: hexOrEmpty(s.SpanID), ParentSpanId: hexOrEmpty(s.ParentSpanID), Name: s.Name,
		Kind: kind, Status: status, StatusMessage: s.StatusMessage, StartTime: nanoTime(s.StartNano),
		Duration: durationpb.New(time.Duration(s.DurationNano)), Service: s.Service, Attributes: s.Attributes, ResourceAttributes: s.Resource,
	}
	for _, e := range s.Events {
		out.Events = append(out.Events, &hearthv1.SpanEvent{Time: nanoTime(e.TimeNano), Name: e.Name, Attributes: e.Attributes})
	}
	return out
}

func statsProto(s query.Stats) *hearthv1.QueryStats {
	return &hearthv1.QueryStats{
		FilesConsidered: s.FilesConsidered, FilesScanned: s.FilesScanned, RowGroupsScanned: s.RowGroupsScanned,
		RowGroupsSkipped: s.RowGroupsSkipped, RowsScanned: s.RowsScanned, BytesRead: s.BytesRead, HotRowsScanned: s.HotRowsScanned,
	}
}

// A page token is the cursor, opaque to clients.
func cursorToken(c query.Cursor) string {
	b := binary.AppendVarint(nil, c.Time)
	b = binary.AppendUvarint(b, uint64(max(c.Skip, 0)))
	return base64.RawURLEncoding.EncodeToString(b)
}

func parseCursor(tok string) (query.Cursor, error) {
	bad := apperr.Invalid("page_token is not one this server gave")
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return query.Cursor{}, bad
	}
	t, n := binary.Varint(b)
	if n <= 0 {
		return query.Cursor{}, bad
	}
	skip, m := binary.Uvarint(b[n:])
	if m <= 0 || n+m != len(b) || skip > 1<<20 {
		return query.Cursor{}, bad
	}
	return query.Cursor{Time: t, Skip: int(skip)}, nil
}
