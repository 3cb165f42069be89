package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hearth-dev/hearth/controlplane/servertest"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

// otlpJobBuild builds the job program that sends telemetry
// (internal/otlpjob) once per test binary.
var otlpJobBuild = sync.OnceValues(func() (string, error) {
	bin := filepath.Join(binDir, "otlpjob")
	out, err := exec.Command("go", "build", "-o", bin, "./internal/otlpjob").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("building otlpjob: %w\n%s", err, out)
	}
	return bin, nil
})

// otlpURL is the agent's OTLP receiver, from its log.
func (a *agentProc) otlpURL(t testing.TB) string {
	t.Helper()
	var url string
	waitFor(t, time.Minute, "the agent's OTLP receiver", func() bool {
		a.mu.Lock()
		out := a.out.String()
		a.mu.Unlock()
		for _, line := range strings.Split(out, "\n") {
			var l struct{ Message, URL string }
			if json.Unmarshal([]byte(line), &l) == nil && l.Message == "OTLP receiver listening" {
				url = l.URL
				return true
			}
		}
		return false
	})
	return url
}

func (w *world) observe() hearthv1connect.ObserveServiceClient {
	return hearthv1connect.NewObserveServiceClient(http.DefaultClient, w.base, servertest.BearerOption(w.admin))
}

// logBodies counts the bodies of the project's log records of the last
// hour containing tag.
func (w *world) logBodies(t testing.TB, project, tag string) map[string]int {
	t.Helper()
	out := map[string]int{}
	req := &hearthv1.QueryLogsRequest{Owner: w.owner, Name: project, Contains: tag, PageSize: 1000,
		StartTime: timestamppb.New(time.Now().Add(-time.Hour))}
	for {
		res, err := w.observe().QueryLogs(t.Context(), req)
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

var traceLine = regexp.MustCompile(`trace ([0-9a-f]{32})`)

// TestJobTelemetry: a job's program sends a trace and log records to its
// node agent's OTLP endpoint (from its environment, with its job token);
// they are stored under the job's project, stamped with the agent's
// cluster, queryable through the API, and invisible to a user who may not
// read the project and to the project's neighbours.
func TestJobTelemetry(t *testing.T) {
	w := newWorld(t)
	w.startAgent(t, 1)
	bin, err := otlpJobBuild()
	if err != nil {
		t.Fatal(err)
	}
	sha := w.push(t, "main", map[string]string{".hearth.yml": "jobs:\n  emit:\n    steps:\n      - " + bin + " -service builder -tag e2e-job-telemetry -logs 3\n"})
	p := w.waitPipeline(t, 2*time.Minute, func(p *hearthv1.Pipeline) bool { return p.GetCommitSha() == sha && finished(p) })
	job := jobNamed(t, p, "emit")
	log := w.rawLog(t, job.GetId())
	if p.GetState() != hearthv1.PipelineState_PIPELINE_STATE_SUCCESS {
		t.Fatalf("the pipeline %s:\n%s", p.GetState(), log)
	}
	m := traceLine.FindSubmatch(log)
	if m == nil {
		t.Fatalf("the job printed no trace id:\n%s", log)
	}
	if bytes.Contains(log, []byte("hth_")) {
		t.Fatalf("the job token reached the log:\n%s", log)
	}
	traceID := string(m[1])

	waitFor(t, time.Minute, "the job's log records", func() bool { return len(w.logBodies(t, w.project, "e2e-job-telemetry")) == 3 })
	res, err := w.observe().QueryLogs(t.Context(), &hearthv1.QueryLogsRequest{Owner: w.owner, Name: w.project, Contains: "e2e-job-telemetry"})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range res.GetLogs() {
		if l.GetService() != "builder" || l.GetResourceAttributes()["hearth.cluster"] != "e2e" || l.GetTraceId() != traceID {
			t.Fatalf("a job's record as stored: %v", l)
		}
	}
	var spans []*hearthv1.Span
	waitFor(t, time.Minute, "the job's trace", func() bool {
		tr, err := w.observe().GetTrace(t.Context(), &hearthv1.GetTraceRequest{Owner: w.owner, Name: w.project, TraceId: traceID})
		spans = tr.GetSpans()
		return err == nil && len(spans) == 2
	})
	if spans[0].GetName() != "build" || spans[1].GetParentSpanId() != spans[0].GetSpanId() {
		t.Fatalf("the trace: %v", spans)
	}

	// Nobody else sees them.
	projects := hearthv1connect.NewProjectServiceClient(http.DefaultClient, w.base, servertest.BearerOption(w.admin))
	if _, err := projects.CreateProject(t.Context(), &hearthv1.CreateProjectRequest{Name: "neighbour"}); err != nil {
		t.Fatal(err)
	}
	if got := w.logBodies(t, "neighbour", "e2e-job-telemetry"); len(got) != 0 {
		t.Fatalf("the neighbour project holds %v", got)
	}
	users := hearthv1connect.NewUserServiceClient(http.DefaultClient, w.base, servertest.BearerOption(w.admin))
	if _, err := users.CreateUser(t.Context(), &hearthv1.CreateUserRequest{Username: "outsider", Password: "outsider-password-1", Email: "o@example.test"}); err != nil {
		t.Fatal(err)
	}
	outsider := (&servertest.Server{URL: w.base}).Token(t, "outsider", "outsider-password-1", "api")
	_, err = hearthv1connect.NewObserveServiceClient(http.DefaultClient, w.base, servertest.BearerOption(outsider)).
		QueryLogs(t.Context(), &hearthv1.QueryLogsRequest{Owner: w.owner, Name: w.project})
	if connect.CodeOf(err) != connect.CodeNotFound {
		t.Fatalf("an outsider reading the project's logs: %v", err)
	}
}

// TestAgentTelemetryOutage: while the agent cannot reach the control
// plane for 60 s (and the control plane restarts meanwhile), a workload
// keeps exporting to the agent, which buffers on disk; afterwards every
// record is stored, each exactly once.
func TestAgentTelemetryOutage(t *testing.T) {
	w := newWorld(t)
	a := w.startAgent(t, 1)
	endpoint := a.otlpURL(t)
	pr, err := hearthv1connect.NewProjectServiceClient(http.DefaultClient, w.base, servertest.BearerOption(w.admin)).
		GetProject(t.Context(), &hearthv1.GetProjectRequest{Owner: w.owner, Name: w.project})
	if err != nil {
		t.Fatal(err)
	}
	token := (&servertest.Server{URL: w.base, AdminPassword: w.srv.AdminPassword}).
		ProjectToken(t, servertest.AdminUsername, w.srv.AdminPassword, pr.GetProject().GetId(), "observe:write")
	sent := 0
	export := func(batch int) {
		t.Helper()
		bodies := make([]string, 10)
		for i := range bodies {
			bodies[i] = fmt.Sprintf("outage batch %d record %d", batch, i)
		}
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, endpoint+"/v1/logs", bytes.NewReader(otlpLogs(t, "worker", time.Now(), bodies)))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-protobuf")
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("the agent refused batch %d: %s", batch, res.Status)
		}
		sent += len(bodies)
	}
	export(0)
	waitFor(t, time.Minute, "the first batch stored", func() bool { return len(w.logBodies(t, w.project, "outage batch")) == 10 })

	// The control plane is out of reach for 60 s; the workload goes on.
	w.proxy.SetTarget("127.0.0.1:1")
	w.proxy.Cut()
	outage := time.Now()
	tick := time.NewTicker(10 * time.Second)
	defer tick.Stop()
	for batch := 1; batch <= 6; batch++ {
		export(batch)
		<-tick.C
	}
	if got := len(w.logBodies(t, w.project, "outage batch")); got != 10 {
		t.Fatalf("during the outage %d records arrived (the agent is cut off)", got)
	}
	w.restart(t) // the proxy leads to the new control plane again
	t.Logf("outage of %s", time.Since(outage).Round(time.Second))
	waitFor(t, 2*time.Minute, "every buffered record stored", func() bool { return len(w.logBodies(t, w.project, "outage batch")) == sent })
	for body, n := range w.logBodies(t, w.project, "outage batch") {
		if n != 1 {
			t.Fatalf("%q stored %d times", body, n)
		}
	}
}
