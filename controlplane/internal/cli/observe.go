package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

func observeClient(s *session) hearthv1connect.ObserveServiceClient {
	return hearthv1connect.NewObserveServiceClient(s.http, s.server, s.options()...)
}

// severities are the lowest OTLP severity number of each level name.
var severities = map[string]int32{"trace": 1, "debug": 5, "info": 9, "warn": 13, "error": 17, "fatal": 21}

// timeWindow is --since (a duration back from now) or --from/--to.
type timeWindow struct{ since, from, to *string }

func windowFlags(fs *flag.FlagSet, def string) timeWindow {
	return timeWindow{
		since: fs.String("since", def, "how far back from now (e.g. 15m, 6h)"),
		from:  fs.String("from", "", "start time (RFC 3339); overrides --since"),
		to:    fs.String("to", "", "end time (RFC 3339; default now)"),
	}
}

func (w timeWindow) parse() (*timestamppb.Timestamp, *timestamppb.Timestamp, error) {
	end := time.Now()
	if *w.to != "" {
		t, err := time.Parse(time.RFC3339, *w.to)
		if err != nil {
			return nil, nil, fmt.Errorf("--to: %w", err)
		}
		end = t
	}
	var start time.Time
	if *w.from != "" {
		t, err := time.Parse(time.RFC3339, *w.from)
		if err != nil {
			return nil, nil, fmt.Errorf("--from: %w", err)
		}
		start = t
	} else {
		d, err := time.ParseDuration(*w.since)
		if err != nil || d <= 0 {
			return nil, nil, fmt.Errorf("--since %q: want a positive duration such as 1h", *w.since)
		}
		start = end.Add(-d)
	}
	return timestamppb.New(start), timestamppb.New(end), nil
}

// runLogs is `hearth logs`: a project's log records, newest first, or
// followed live with --follow.
func runLogs(ctx context.Context, args []string, std stdio) int {
	fs := flag.NewFlagSet("logs", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	project := fs.String("project", "", "owner/name")
	window := windowFlags(fs, "1h")
	var services, attrs listFlags
	fs.Var(&services, "service", "only this service (repeatable)")
	fs.Var(&attrs, "attr", "key=value on a record's or its resource's attributes (repeatable)")
	severity := fs.String("severity", "", "the lowest level shown: trace, debug, info, warn, error or fatal")
	contains := fs.String("grep", "", "only records whose body contains this text")
	re := fs.String("regexp", "", "only records whose body matches this RE2 expression")
	limit := fs.Int("limit", 100, "how many records (1-1000)")
	follow := fs.Bool("follow", false, "stream new records as they arrive")
	if code, done := parseFlags(fs, args, std, "hearth logs --project owner/name [--since 1h] [--service S] [--severity warn] [--grep TEXT] [--follow]"); done {
		return code
	}
	owner, name, err := splitProject(*project)
	if err != nil {
		return fail(std.err, ExitUsage, err)
	}
	minSeverity, ok := severities[strings.ToLower(*severity)]
	if !ok && *severity != "" {
		return fail(std.err, ExitUsage, fmt.Errorf("--severity %q: want trace, debug, info, warn, error or fatal", *severity))
	}
	s, code := connectSession(std)
	if s == nil {
		return code
	}
	if *follow {
		stream, err := observeClient(s).TailLogs(ctx, &hearthv1.TailLogsRequest{
			Owner: owner, Name: name, Services: services, MinSeverity: minSeverity, Attributes: attrs, Contains: *contains, Regexp: *re,
		})
		if err != nil {
			return fail(std.err, ExitFailure, errors.New(describe(err)))
		}
		defer func() { _ = stream.Close() }()
		for stream.Receive() {
			msg := stream.Msg()
			for _, l := range msg.GetLogs() {
				printLog(std.out, l)
			}
			if msg.GetDropped() > 0 {
				fmt.Fprintf(std.err, "hearth: %d records were dropped: this tail fell behind\n", msg.GetDropped())
			}
		}
		if err := stream.Err(); err != nil && ctx.Err() == nil {
			return fail(std.err, ExitFailure, errors.New(describe(err)))
		}
		return ExitOK
	}
	start, end, err := window.parse()
	if err != nil {
		return fail(std.err, ExitUsage, err)
	}
	res, err := observeClient(s).QueryLogs(ctx, &hearthv1.QueryLogsRequest{
		Owner: owner, Name: name, StartTime: start, EndTime: end, Services: services, MinSeverity: minSeverity,
		Attributes: attrs, Contains: *contains, Regexp: *re, PageSize: int32(min(max(*limit, 1), 1000)),
	})
	if err != nil {
		return fail(std.err, ExitFailure, errors.New(describe(err)))
	}
	for _, l := range res.GetLogs() {
		printLog(std.out, l)
	}
	return ExitOK
}

func printLog(w io.Writer, l *hearthv1.LogRecord) {
	sev := l.GetSeverityText()
	if sev == "" {
		sev = "-"
	}
	fmt.Fprintf(w, "%s %-5s %s %s\n", l.GetTime().AsTime().Local().Format("2006-01-02 15:04:05.000"), sev, l.GetService(), l.GetBody())
}

// runTraces is `hearth traces`: one trace as a waterfall (--trace ID), or
// a search.
func runTraces(ctx context.Context, args []string, std stdio) int {
	fs := flag.NewFlagSet("traces", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	project := fs.String("project", "", "owner/name")
	traceID := fs.String("trace", "", "show this trace (32 hex digits)")
	window := windowFlags(fs, "1h")
	service := fs.String("service", "", "traces with a span of this service")
	operation := fs.String("operation", "", "traces with a span of this name")
	minDuration := fs.Duration("min-duration", 0, "spans at least this long")
	status := fs.String("status", "", "ok, error or unset")
	var attrs listFlags
	fs.Var(&attrs, "attr", "key=value on a span's or its resource's attributes (repeatable)")
	limit := fs.Int("limit", 20, "how many traces (1-200)")
	if code, done := parseFlags(fs, args, std, "hearth traces --project owner/name [--trace ID | --service S --operation O --status error --since 1h]"); done {
		return code
	}
	owner, name, err := splitProject(*project)
	if err != nil {
		return fail(std.err, ExitUsage, err)
	}
	s, code := connectSession(std)
	if s == nil {
		return code
	}
	if *traceID != "" {
		res, err := observeClient(s).GetTrace(ctx, &hearthv1.GetTraceRequest{Owner: owner, Name: name, TraceId: *traceID})
		if err != nil {
			return fail(std.err, ExitFailure, errors.New(describe(err)))
		}
		printWaterfall(std.out, res.GetSpans())
		return ExitOK
	}
	start, end, err := window.parse()
	if err != nil {
		return fail(std.err, ExitUsage, err)
	}
	req := &hearthv1.SearchTracesRequest{
		Owner: owner, Name: name, StartTime: start, EndTime: end, Service: *service, Operation: *operation, Status: *status,
		Attributes: attrs, Limit: int32(min(max(*limit, 1), 200)),
	}
	if *minDuration > 0 {
		req.MinDuration = durationpb.New(*minDuration)
	}
	res, err := observeClient(s).SearchTraces(ctx, req)
	if err != nil {
		return fail(std.err, ExitFailure, errors.New(describe(err)))
	}
	var rows [][]string
	for _, t := range res.GetTraces() {
		rows = append(rows, []string{t.GetTraceId(), when(t.GetStartTime()), t.GetDuration().AsDuration().String(),
			t.GetRootService() + " " + t.GetRootName(), strconv.Itoa(int(t.GetSpanCount())), strconv.Itoa(int(t.GetErrorCount()))})
	}
	table(std.out, "TRACE\tSTART\tDURATION\tROOT\tSPANS\tERRORS", rows)
	return ExitOK
}

// printWaterfall prints spans indented under their parents.
func printWaterfall(w io.Writer, spans []*hearthv1.Span) {
	children := map[string][]*hearthv1.Span{}
	ids := map[string]bool{}
	for _, sp := range spans {
		ids[sp.GetSpanId()] = true
	}
	var roots []*hearthv1.Span
	for _, sp := range spans {
		if p := sp.GetParentSpanId(); p != "" && ids[p] {
			children[p] = append(children[p], sp)
		} else {
			roots = append(roots, sp)
		}
	}
	if len(spans) == 0 {
		return
	}
	origin := spans[0].GetStartTime().AsTime()
	var walk func(sp *hearthv1.Span, depth int)
	walk = func(sp *hearthv1.Span, depth int) {
		mark := ""
		if sp.GetStatus() == "error" {
			mark = "  ERROR " + sp.GetStatusMessage()
		}
		fmt.Fprintf(w, "%+10s %10s %s%s %s%s\n", sp.GetStartTime().AsTime().Sub(origin).Round(time.Microsecond),
			sp.GetDuration().AsDuration().Round(time.Microsecond), strings.Repeat("  ", depth), sp.GetService(), sp.GetName(), mark)
		for _, c := range children[sp.GetSpanId()] {
			walk(c, depth+1)
		}
	}
	for _, r := range roots {
		walk(r, 0)
	}
}

// runMetrics is `hearth metrics`: the metric names seen, or one metric
// aggregated (--metric NAME).
func runMetrics(ctx context.Context, args []string, std stdio) int {
	fs := flag.NewFlagSet("metrics", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	project := fs.String("project", "", "owner/name")
	metric := fs.String("metric", "", "the metric to aggregate (none: list the metrics)")
	window := windowFlags(fs, "1h")
	agg := fs.String("agg", "avg", "sum, avg, min, max, count, rate or quantile")
	quantile := fs.Float64("quantile", 0.99, "with --agg quantile: 0-1")
	step := fs.Duration("step", 0, "the width of one point (default: the range / 60)")
	var labels, by listFlags
	fs.Var(&labels, "label", "key=value (repeatable; service=S matches the service)")
	fs.Var(&by, "by", "a label to keep as a series (repeatable)")
	if code, done := parseFlags(fs, args, std, "hearth metrics --project owner/name [--metric NAME --agg rate --by route --since 1h]"); done {
		return code
	}
	owner, name, err := splitProject(*project)
	if err != nil {
		return fail(std.err, ExitUsage, err)
	}
	start, end, err := window.parse()
	if err != nil {
		return fail(std.err, ExitUsage, err)
	}
	s, code := connectSession(std)
	if s == nil {
		return code
	}
	if *metric == "" {
		res, err := observeClient(s).ListMetrics(ctx, &hearthv1.ListMetricsRequest{Owner: owner, Name: name, StartTime: start, EndTime: end})
		if err != nil {
			return fail(std.err, ExitFailure, errors.New(describe(err)))
		}
		var rows [][]string
		for _, m := range res.GetMetrics() {
			rows = append(rows, []string{m.GetName(), m.GetKind(), m.GetUnit()})
		}
		table(std.out, "METRIC\tKIND\tUNIT", rows)
		return ExitOK
	}
	req := &hearthv1.QueryMetricsRequest{
		Owner: owner, Name: name, Metric: *metric, StartTime: start, EndTime: end, Labels: labels, Aggregation: *agg,
		Quantile: *quantile, GroupBy: by,
	}
	if *step > 0 {
		req.Step = durationpb.New(*step)
	}
	res, err := observeClient(s).QueryMetrics(ctx, req)
	if err != nil {
		return fail(std.err, ExitFailure, errors.New(describe(err)))
	}
	var rows [][]string
	for _, series := range res.GetSeries() {
		var ls []string
		for _, k := range slices.Sorted(maps.Keys(series.GetLabels())) {
			ls = append(ls, k+"="+series.GetLabels()[k])
		}
		for _, p := range series.GetPoints() {
			rows = append(rows, []string{when(p.GetTime()), strings.Join(ls, ","), strconv.FormatFloat(p.GetValue(), 'g', 6, 64)})
		}
	}
	table(std.out, "TIME\tSERIES\tVALUE", rows)
	return ExitOK
}
