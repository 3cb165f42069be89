package e2e

import (
	"bytes"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	collogspb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hearth-dev/hearth/controlplane/servertest"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

// otlpLogs is an OTLP/HTTP logs export of bodies from service.
func otlpLogs(t testing.TB, service string, at time.Time, bodies []string) []byte {
	t.Helper()
	recs := make([]*logspb.LogRecord, len(bodies))
	for i, b := range bodies {
		recs[i] = &logspb.LogRecord{
			TimeUnixNano: uint64(at.UnixNano()) + uint64(i), SeverityNumber: logspb.SeverityNumber_SEVERITY_NUMBER_INFO,
			Body: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: b}},
		}
	}
	body, err := proto.Marshal(&collogspb.ExportLogsServiceRequest{ResourceLogs: []*logspb.ResourceLogs{{
		Resource: &resourcepb.Resource{Attributes: []*commonpb.KeyValue{{
			Key: "service.name", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: service}},
		}}},
		ScopeLogs: []*logspb.ScopeLogs{{LogRecords: recs}},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// allLogBodies pages through every log record of the project in
// [from, to) and counts each body.
func allLogBodies(t testing.TB, base, admin, project string, from, to time.Time) map[string]int {
	t.Helper()
	client := hearthv1connect.NewObserveServiceClient(http.DefaultClient, base, servertest.BearerOption(admin))
	out := map[string]int{}
	req := &hearthv1.QueryLogsRequest{Owner: servertest.AdminUsername, Name: project, StartTime: timestamppb.New(from),
		EndTime: timestamppb.New(to), PageSize: 1000}
	for {
		res, err := client.QueryLogs(t.Context(), req)
		if err != nil {
			t.Fatalf("QueryLogs: %v", err)
		}
		for _, l := range res.GetLogs() {
			out[l.GetBody()]++
		}
		if res.GetNextPageToken() == "" {
			return out
		}
		req.PageToken = res.GetNextPageToken()
	}
}

// TestTelemetrySurvivesSIGKILL: eight senders export log records over
// OTLP/HTTP while the control plane is killed with SIGKILL. After a
// restart on the same state, every record whose export was acknowledged
// is queryable, and no record is there twice: the WAL was fsync'd before
// each answer and is replayed exactly once.
func TestTelemetrySurvivesSIGKILL(t *testing.T) {
	state := newServerState(t)
	srv := startServer(t, state)
	admin := srv.adminToken(t)
	res, err := hearthv1connect.NewProjectServiceClient(http.DefaultClient, srv.URL(), servertest.BearerOption(admin)).
		CreateProject(t.Context(), &hearthv1.CreateProjectRequest{Name: "tele"})
	if err != nil {
		t.Fatal(err)
	}
	writer := (&servertest.Server{URL: srv.URL(), AdminPassword: processAdminPassword}).
		ProjectToken(t, servertest.AdminUsername, processAdminPassword, res.GetProject().GetId(), "observe:write")

	start := time.Now()
	var (
		mu      sync.Mutex
		acked   []string
		ackedN  atomic.Int64
		senders sync.WaitGroup
		stop    = make(chan struct{})
	)
	const batch = 25
	for s := range 8 {
		senders.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				bodies := make([]string, batch)
				for j := range bodies {
					bodies[j] = fmt.Sprintf("sender %d batch %d record %d", s, i, j)
				}
				req, err := http.NewRequest(http.MethodPost, srv.URL()+"/v1/logs", bytes.NewReader(otlpLogs(t, "crash", time.Now(), bodies)))
				if err != nil {
					return
				}
				req.Header.Set("Content-Type", "application/x-protobuf")
				req.Header.Set("Authorization", "Bearer "+writer)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					return // the server is gone
				}
				_ = res.Body.Close()
				if res.StatusCode != http.StatusOK {
					continue
				}
				mu.Lock()
				acked = append(acked, bodies...)
				mu.Unlock()
				ackedN.Add(batch)
			}
		})
	}
	waitFor(t, faultWait, "4,000 acknowledged log records", func() bool { return ackedN.Load() >= 4000 })
	srv.kill9()
	close(stop)
	senders.Wait()
	mu.Lock()
	want := append([]string(nil), acked...)
	mu.Unlock()

	srv = startServer(t, state)
	got := allLogBodies(t, srv.URL(), srv.adminToken(t), "tele", start.Add(-time.Minute), time.Now().Add(time.Minute))
	missing := 0
	for _, b := range want {
		if got[b] == 0 {
			missing++
		}
	}
	twice := 0
	for _, n := range got {
		if n > 1 {
			twice++
		}
	}
	if missing > 0 || twice > 0 {
		t.Fatalf("after SIGKILL: %d of %d acknowledged records missing, %d records stored twice (%d stored)", missing, len(want), twice, len(got))
	}
	t.Logf("%d acknowledged records, %d stored (some unacknowledged ones made it too)", len(want), len(got))
}
