package observe_test

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	collogspb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hearth-dev/hearth/controlplane/internal/config"
	"github.com/hearth-dev/hearth/controlplane/servertest"
	"github.com/hearth-dev/hearth/controlplane/testsvc"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

func TestMain(m *testing.M) { testsvc.Main(m) }

// world is a server with two projects and who may do what in them.
type world struct {
	srv   *servertest.Server
	admin string
	// app and other are project ids; appWriter and otherWriter their
	// observe:write tokens.
	app, other             string
	appWriter, otherWriter string
	reads                  hearthv1connect.ObserveServiceClient
}

func newWorld(t *testing.T, opts ...servertest.Option) *world {
	t.Helper()
	srv := servertest.Start(t, opts...)
	w := &world{srv: srv, admin: srv.AdminToken(t)}
	projects := hearthv1connect.NewProjectServiceClient(http.DefaultClient, srv.URL, servertest.BearerOption(w.admin))
	for _, p := range []struct {
		name string
		id   *string
	}{{"app", &w.app}, {"other", &w.other}} {
		res, err := projects.CreateProject(t.Context(), &hearthv1.CreateProjectRequest{Name: p.name})
		if err != nil {
			t.Fatal(err)
		}
		*p.id = res.GetProject().GetId()
	}
	w.appWriter = srv.ProjectToken(t, "admin", srv.AdminPassword, w.app, "observe:write")
	w.otherWriter = srv.ProjectToken(t, "admin", srv.AdminPassword, w.other, "observe:write")
	w.reads = hearthv1connect.NewObserveServiceClient(http.DefaultClient, srv.URL, servertest.BearerOption(w.admin))
	return w
}

func randomID(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func resource(service string, extra ...*commonpb.KeyValue) *resourcepb.Resource {
	return &resourcepb.Resource{Attributes: append([]*commonpb.KeyValue{str("service.name", service)}, extra...)}
}

func str(k, v string) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}}
}

func logsRequest(service string, now time.Time, bodies ...string) *collogspb.ExportLogsServiceRequest {
	var recs []*logspb.LogRecord
	for i, b := range bodies {
		recs = append(recs, &logspb.LogRecord{
			TimeUnixNano: uint64(now.Add(time.Duration(i) * time.Millisecond).UnixNano()), SeverityNumber: logspb.SeverityNumber_SEVERITY_NUMBER_WARN,
			SeverityText: "WARN", Body: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: b}},
			Attributes: []*commonpb.KeyValue{str("n", fmt.Sprint(i))},
		})
	}
	return &collogspb.ExportLogsServiceRequest{ResourceLogs: []*logspb.ResourceLogs{{
		Resource: resource(service), ScopeLogs: []*logspb.ScopeLogs{{LogRecords: recs}},
	}}}
}

// postOTLP sends one OTLP/HTTP request and returns the status and body.
func postOTLP(t *testing.T, url, token, contentType string, body []byte, gz bool) (int, []byte) {
	t.Helper()
	if gz {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		_, _ = zw.Write(body)
		_ = zw.Close()
		body = buf.Bytes()
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	if gz {
		req.Header.Set("Content-Encoding", "gzip")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = res.Body.Close() }()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, out
}

func (w *world) logs(t *testing.T, project string, req *hearthv1.QueryLogsRequest) *hearthv1.QueryLogsResponse {
	t.Helper()
	req.Owner, req.Name = "admin", project
	res, err := w.reads.QueryLogs(t.Context(), req)
	if err != nil {
		t.Fatalf("QueryLogs: %v", err)
	}
	return res
}

func bodies(res *hearthv1.QueryLogsResponse) []string {
	var out []string
	for _, l := range res.GetLogs() {
		out = append(out, l.GetBody())
	}
	return out
}

// TestLogsOverEveryTransport: log records sent over OTLP/HTTP protobuf,
// gzip'd protobuf, JSON and OTLP/gRPC are all queryable at once (from
// memory), newest first, filtered, and the same after the flusher wrote
// them to Parquet on S3 (the answer then reads files).
func TestLogsOverEveryTransport(t *testing.T) {
	w := newWorld(t, servertest.WithConfig(func(c *config.Config) { c.Observe.FlushInterval = 500 * time.Millisecond }))
	now := time.Now()
	pb, err := proto.Marshal(logsRequest("web", now, "plain protobuf"))
	if err != nil {
		t.Fatal(err)
	}
	if code, body := postOTLP(t, w.srv.URL+"/v1/logs", w.appWriter, "application/x-protobuf", pb, false); code != http.StatusOK {
		t.Fatalf("protobuf: %d %s", code, body)
	}
	gz, _ := proto.Marshal(logsRequest("web", now.Add(time.Second), "gzip protobuf"))
	if code, body := postOTLP(t, w.srv.URL+"/v1/logs", w.appWriter, "application/x-protobuf", gz, true); code != http.StatusOK {
		t.Fatalf("gzip: %d %s", code, body)
	}
	traceID := hex.EncodeToString(randomID(t, 16))
	js := fmt.Sprintf(`{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"worker"}}]},
		"scopeLogs":[{"logRecords":[{"timeUnixNano":"%d","severityNumber":17,"body":{"stringValue":"json error"},"traceId":"%s"}]}]}]}`,
		now.Add(2*time.Second).UnixNano(), traceID)
	if code, body := postOTLP(t, w.srv.URL+"/v1/logs", w.appWriter, "application/json", []byte(js), false); code != http.StatusOK {
		t.Fatalf("json: %d %s", code, body)
	}
	conn, err := grpc.NewClient(strings.TrimPrefix(w.srv.URL, "http://"), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	ctx := metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer "+w.appWriter)
	if _, err := collogspb.NewLogsServiceClient(conn).Export(ctx, logsRequest("web", now.Add(3*time.Second), "grpc")); err != nil {
		t.Fatalf("gRPC: %v", err)
	}

	want := []string{"grpc", "json error", "gzip protobuf", "plain protobuf"}
	window := &hearthv1.QueryLogsRequest{StartTime: timestamppb.New(now.Add(-time.Minute)), EndTime: timestamppb.New(now.Add(time.Minute))}
	if got := bodies(w.logs(t, "app", proto.CloneOf(window))); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("hot logs = %q, want %q", got, want)
	}
	q := proto.CloneOf(window)
	q.MinSeverity = 17
	res := w.logs(t, "app", q)
	if got := bodies(res); fmt.Sprint(got) != "[json error]" || res.GetLogs()[0].GetTraceId() != traceID || res.GetLogs()[0].GetService() != "worker" {
		t.Fatalf("severity ≥ error: %v", res.GetLogs())
	}
	q = proto.CloneOf(window)
	q.Contains, q.Services = "protobuf", []string{"web"}
	if got := bodies(w.logs(t, "app", q)); fmt.Sprint(got) != "[gzip protobuf plain protobuf]" {
		t.Fatalf("contains+service = %q", got)
	}

	// Once flushed, the same answers come from Parquet files.
	testsvc.WaitFor(t, "the logs in Parquet", func() bool {
		st := w.logs(t, "app", proto.CloneOf(window)).GetStats()
		return st.GetFilesScanned() > 0 && st.GetHotRowsScanned() == 0
	})
	res = w.logs(t, "app", proto.CloneOf(window))
	if got := bodies(res); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("cold logs = %q, want %q", got, want)
	}
	if res.GetStats().GetBytesRead() == 0 {
		t.Fatalf("cold stats read nothing: %v", res.GetStats())
	}

	// Paging: two by two, no record twice, none lost.
	var paged []string
	q = proto.CloneOf(window)
	q.PageSize = 2
	for range 5 {
		page := w.logs(t, "app", q)
		paged = append(paged, bodies(page)...)
		if page.GetNextPageToken() == "" {
			break
		}
		q.PageToken = page.GetNextPageToken()
	}
	if fmt.Sprint(paged) != fmt.Sprint(want) {
		t.Fatalf("paged = %q, want %q", paged, want)
	}
}

// TestTenancy: the token's project is the tenant: a resource attribute
// naming another project does not move data there, another project's
// reader sees nothing, and callers without a project token, anonymous
// ones or ones without observe:write are refused.
func TestTenancy(t *testing.T) {
	w := newWorld(t)
	now := time.Now()
	req := logsRequest("spoofer", now, "spoofed")
	req.ResourceLogs[0].Resource.Attributes = append(req.ResourceLogs[0].Resource.Attributes, str("hearth.project", w.app), str("hearth.project_id", w.app))
	pb, _ := proto.Marshal(req)
	code, body := postOTLP(t, w.srv.URL+"/v1/logs", w.otherWriter, "application/x-protobuf", pb, false)
	if code != http.StatusOK {
		t.Fatalf("other's export: %d %s", code, body)
	}
	var answer collogspb.ExportLogsServiceResponse
	if err := proto.Unmarshal(body, &answer); err != nil || !strings.Contains(answer.GetPartialSuccess().GetErrorMessage(), "hearth.") {
		t.Fatalf("the answer does not report the removed attributes: %v %v", &answer, err)
	}
	window := &hearthv1.QueryLogsRequest{StartTime: timestamppb.New(now.Add(-time.Minute)), EndTime: timestamppb.New(now.Add(time.Minute))}
	if got := bodies(w.logs(t, "app", proto.CloneOf(window))); len(got) != 0 {
		t.Fatalf("app sees %q", got)
	}
	res := w.logs(t, "other", proto.CloneOf(window))
	if got := bodies(res); fmt.Sprint(got) != "[spoofed]" {
		t.Fatalf("other sees %q", got)
	}
	for k := range res.GetLogs()[0].GetResourceAttributes() {
		if strings.HasPrefix(k, "hearth.project") {
			t.Fatalf("the spoofing attribute %s was stored", k)
		}
	}

	// A user who may not read "other" gets NotFound for it.
	w.srv.CreateUser(t, w.admin, "eve", "eve-password-123", false)
	eve := hearthv1connect.NewObserveServiceClient(http.DefaultClient, w.srv.URL,
		servertest.BearerOption(w.srv.Token(t, "eve", "eve-password-123", "api")))
	if _, err := eve.QueryLogs(t.Context(), &hearthv1.QueryLogsRequest{Owner: "admin", Name: "other"}); connect.CodeOf(err) != connect.CodeNotFound {
		t.Fatalf("eve reading other: %v", err)
	}
	anon := hearthv1connect.NewObserveServiceClient(http.DefaultClient, w.srv.URL)
	if _, err := anon.QueryLogs(t.Context(), &hearthv1.QueryLogsRequest{Owner: "admin", Name: "other"}); connect.CodeOf(err) != connect.CodeUnauthenticated {
		t.Fatalf("anonymous reading other: %v", err)
	}
	// The writer token may not read (nor see the private project).
	writer := hearthv1connect.NewObserveServiceClient(http.DefaultClient, w.srv.URL, servertest.BearerOption(w.appWriter))
	if _, err := writer.QueryLogs(t.Context(), &hearthv1.QueryLogsRequest{Owner: "admin", Name: "app"}); connect.CodeOf(err) != connect.CodeNotFound {
		t.Fatalf("an observe:write token reading: %v", err)
	}

	for name, tc := range map[string]struct {
		token string
		want  int
	}{
		"anonymous":          {"", http.StatusUnauthorized},
		"no project":         {w.admin, http.StatusForbidden},
		"read-only scope":    {w.srv.ProjectToken(t, "admin", w.srv.AdminPassword, w.app, "observe:read"), http.StatusForbidden},
		"revoked or made up": {"hth_" + strings.Repeat("x", 43), http.StatusUnauthorized},
	} {
		if code, body := postOTLP(t, w.srv.URL+"/v1/logs", tc.token, "application/x-protobuf", pb, false); code != tc.want {
			t.Errorf("%s: %d %s, want %d", name, code, body, tc.want)
		}
	}
	// A refused credential is told why, not asked for one.
	if _, body := postOTLP(t, w.srv.URL+"/v1/logs", "hth_"+strings.Repeat("x", 43), "application/x-protobuf", pb, false); strings.Contains(string(body), "send telemetry with") {
		t.Errorf("a made-up token's answer: %s", body)
	}
	conn, err := grpc.NewClient(strings.TrimPrefix(w.srv.URL, "http://"), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	_, err = coltracepb.NewTraceServiceClient(conn).Export(t.Context(), &coltracepb.ExportTraceServiceRequest{})
	if status.Code(err) != codes.Unauthenticated {
		t.Fatalf("anonymous gRPC export: %v", err)
	}
}

// TestTraces: spans sent over gRPC come back as one trace by id, ordered
// by start, from memory and from Parquet, and a search finds the trace.
func TestTraces(t *testing.T) {
	w := newWorld(t, servertest.WithConfig(func(c *config.Config) { c.Observe.FlushInterval = 500 * time.Millisecond }))
	now := time.Now()
	tid, root, child := randomID(t, 16), randomID(t, 8), randomID(t, 8)
	span := func(id, parent []byte, name string, start time.Time, d time.Duration, code tracepb.Status_StatusCode) *tracepb.Span {
		return &tracepb.Span{
			TraceId: tid, SpanId: id, ParentSpanId: parent, Name: name, Kind: tracepb.Span_SPAN_KIND_SERVER,
			StartTimeUnixNano: uint64(start.UnixNano()), EndTimeUnixNano: uint64(start.Add(d).UnixNano()),
			Status: &tracepb.Status{Code: code}, Attributes: []*commonpb.KeyValue{str("http.route", "/"+name)},
		}
	}
	req := &coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{
		Resource: resource("api"),
		ScopeSpans: []*tracepb.ScopeSpans{{Spans: []*tracepb.Span{
			span(child, root, "query", now.Add(10*time.Millisecond), 50*time.Millisecond, tracepb.Status_STATUS_CODE_ERROR),
			span(root, nil, "GET /", now, 100*time.Millisecond, tracepb.Status_STATUS_CODE_OK),
		}}},
	}}}
	conn, err := grpc.NewClient(strings.TrimPrefix(w.srv.URL, "http://"), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	ctx := metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer "+w.appWriter)
	if _, err := coltracepb.NewTraceServiceClient(conn).Export(ctx, req); err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		res, err := w.reads.GetTrace(t.Context(), &hearthv1.GetTraceRequest{Owner: "admin", Name: "app", TraceId: hex.EncodeToString(tid)})
		if err != nil {
			t.Fatalf("%s: %v", when, err)
		}
		var names []string
		for _, s := range res.GetSpans() {
			names = append(names, s.GetName())
		}
		if fmt.Sprint(names) != "[GET / query]" || res.GetSpans()[1].GetStatus() != "error" ||
			res.GetSpans()[1].GetParentSpanId() != hex.EncodeToString(root) || res.GetSpans()[0].GetDuration().AsDuration() != 100*time.Millisecond {
			t.Fatalf("%s: spans %v", when, res.GetSpans())
		}
		found, err := w.reads.SearchTraces(t.Context(), &hearthv1.SearchTracesRequest{
			Owner: "admin", Name: "app", Service: "api", Status: "error",
			StartTime: timestamppb.New(now.Add(-time.Minute)), EndTime: timestamppb.New(now.Add(time.Minute)),
		})
		if err != nil {
			t.Fatalf("%s: search: %v", when, err)
		}
		if len(found.GetTraces()) != 1 || found.GetTraces()[0].GetSpanCount() != 2 || found.GetTraces()[0].GetRootName() != "GET /" ||
			found.GetTraces()[0].GetErrorCount() != 1 {
			t.Fatalf("%s: search found %v", when, found.GetTraces())
		}
	}
	check("hot")
	testsvc.WaitFor(t, "the spans in Parquet", func() bool {
		res, err := w.reads.GetTrace(t.Context(), &hearthv1.GetTraceRequest{Owner: "admin", Name: "app", TraceId: hex.EncodeToString(tid)})
		return err == nil && res.GetStats().GetFilesScanned() > 0 && res.GetStats().GetHotRowsScanned() == 0
	})
	check("cold")
	other := randomID(t, 16)
	if res, err := w.reads.GetTrace(t.Context(), &hearthv1.GetTraceRequest{Owner: "admin", Name: "app", TraceId: hex.EncodeToString(other)}); err != nil || len(res.GetSpans()) != 0 {
		t.Fatalf("an unknown trace: %v %v", res, err)
	}
}

// TestSelfTelemetry: with --self-telemetry-project, the project is
// created for its owner and Hearth's own requests are traced into it
// (the Connect procedure as the span name), ingest requests excepted.
func TestSelfTelemetry(t *testing.T) {
	w := newWorld(t, servertest.WithConfig(func(c *config.Config) { c.Observe.SelfProject = "admin/hearth" }))
	const procedure = "/hearth.v1.ProjectService/CreateProject"
	testsvc.WaitFor(t, "the self-telemetry project and a span of the projects created", func() bool {
		res, err := w.reads.SearchTraces(t.Context(), &hearthv1.SearchTracesRequest{Owner: "admin", Name: "hearth", Operation: procedure,
			StartTime: timestamppb.New(time.Now().Add(-time.Hour))})
		return err == nil && len(res.GetTraces()) == 2 && res.GetTraces()[0].GetRootService() == "hearth"
	})
	pb, _ := proto.Marshal(logsRequest("x", time.Now(), "ingested"))
	if code, body := postOTLP(t, w.srv.URL+"/v1/logs", w.appWriter, "application/x-protobuf", pb, false); code != http.StatusOK {
		t.Fatalf("export: %d %s", code, body)
	}
	res, err := w.reads.SearchTraces(t.Context(), &hearthv1.SearchTracesRequest{Owner: "admin", Name: "hearth", Operation: "HTTP POST",
		StartTime: timestamppb.New(time.Now().Add(-time.Hour))})
	if err != nil || len(res.GetTraces()) != 0 {
		t.Fatalf("ingest requests traced: %v %v", res.GetTraces(), err)
	}
}

// TestGracefulStopFlushes: a replica that stops gracefully writes what
// it holds to Parquet first, so another replica (its own data directory)
// answers with it.
func TestGracefulStopFlushes(t *testing.T) {
	w := newWorld(t) // a flush interval of a minute: nothing flushes by itself
	now := time.Now()
	pb, _ := proto.Marshal(logsRequest("api", now, "held at stop"))
	if code, body := postOTLP(t, w.srv.URL+"/v1/logs", w.appWriter, "application/x-protobuf", pb, false); code != http.StatusOK {
		t.Fatalf("export: %d %s", code, body)
	}
	w.srv.Stop()
	next := servertest.Start(t, servertest.SharingStateWith(w.srv))
	reads := hearthv1connect.NewObserveServiceClient(http.DefaultClient, next.URL, servertest.BearerOption(next.AdminToken(t)))
	res, err := reads.QueryLogs(t.Context(), &hearthv1.QueryLogsRequest{Owner: "admin", Name: "app",
		StartTime: timestamppb.New(now.Add(-time.Minute)), EndTime: timestamppb.New(now.Add(time.Minute))})
	if err != nil || fmt.Sprint(bodies(res)) != "[held at stop]" || res.GetStats().GetFilesScanned() != 1 {
		t.Fatalf("the next replica: %v %v", res, err)
	}
}
