package session

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/hearth-dev/hearth/nodeagent/internal/gatewaytest"
	"github.com/hearth-dev/hearth/nodeagent/internal/runner"
	"github.com/hearth-dev/hearth/nodeagent/internal/runner/fake"
	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
)

const otlpEndpoint = "http://127.0.0.1:4318"

// recordingRunner is the fake runner, keeping the RunJob each job was
// started with.
type recordingRunner struct {
	*fake.Runner
	mu   sync.Mutex
	jobs map[string]*agentv1.RunJob
}

func (r *recordingRunner) Start(ctx context.Context, job *agentv1.RunJob, dir string) (runner.Handle, error) {
	r.mu.Lock()
	r.jobs[job.GetJobId()] = job
	r.mu.Unlock()
	return r.Runner.Start(ctx, job, dir)
}

func (r *recordingRunner) job(id string) *agentv1.RunJob {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.jobs[id]
}

func withTelemetryRunner(endpoint string) (*recordingRunner, option) {
	rec := &recordingRunner{Runner: fake.New(fake.Options{}), jobs: map[string]*agentv1.RunJob{}}
	return rec, func(d *Deps) { d.Runner, d.OTLPEndpoint = rec, endpoint }
}

// TestJobGetsTheOTLPExporterVariables: a job with a token is pointed at
// the agent's receiver; the token travels as a secret variable, never in
// job.json, and the job's log masks it.
func TestJobGetsTheOTLPExporterVariables(t *testing.T) {
	gw := gatewaytest.New(t, gatewaytest.Options{})
	dir := t.TempDir()
	rec, opt := withTelemetryRunner(otlpEndpoint)
	startAgent(t, gw, dir, opt)
	waitConnects(t, gw, 1)
	// The step prints the token in two writes (the script must not hold
	// it: job.json does).
	j := newRunJob("job-otel", "env OTEL_EXPORTER_OTLP_ENDPOINT\nenv OTEL_EXPORTER_OTLP_PROTOCOL\n"+
		`print "header Authorization=Bearer%20secr"`+"\n"+`print "et-token\n"`+"\n"+
		`print "raw secr"`+"\n"+`print "et-token\n"`+"\ngate go")
	j.Env = map[string]string{"A": "1"}
	gw.RunJob(j)
	waitState(t, gw, "job-otel", agentv1.JobState_JOB_STATE_RUNNING)
	got := rec.job("job-otel")
	if got.GetEnv()[EnvOTLPEndpoint] != otlpEndpoint || got.GetEnv()[EnvOTLPProtocol] != "http/protobuf" || got.GetEnv()["A"] != "1" {
		t.Fatalf("env %v", got.GetEnv())
	}
	if h := got.GetSecretEnv()[EnvOTLPHeaders]; h != "Authorization=Bearer%20secret-token" {
		t.Fatalf("%s = %q", EnvOTLPHeaders, h)
	}
	if _, ok := got.GetEnv()[EnvOTLPHeaders]; ok {
		t.Fatal("the token is in env, not secret_env")
	}
	b, err := os.ReadFile(filepath.Join(dir, JobsDir, "job-otel", runner.JobFile))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte("secret-token")) || !bytes.Contains(b, []byte(EnvOTLPEndpoint)) {
		t.Fatalf("job.json: %s", b)
	}
	rec.OpenGate("go")
	waitState(t, gw, "job-otel", agentv1.JobState_JOB_STATE_SUCCESS)
	log := string(gw.Log("job-otel", 1))
	if !strings.Contains(log, EnvOTLPEndpoint+"="+otlpEndpoint+"\n") || !strings.Contains(log, EnvOTLPProtocol+"=http/protobuf\n") {
		t.Fatalf("log %q", log)
	}
	if strings.Contains(log, "secret-token") || !strings.Contains(log, "header ") || !strings.Contains(log, "raw ") {
		t.Fatalf("the token is not masked in the log: %q", log)
	}
	noViolations(t, gw)
}

// TestJobOTLPVariablesOnlyWhenTheyApply: nothing is added without a
// receiver, without a token, or when the job configures its exporter
// itself (its own endpoint would receive the token).
func TestJobOTLPVariablesOnlyWhenTheyApply(t *testing.T) {
	cases := []struct {
		name     string
		endpoint string
		edit     func(j *agentv1.RunJob)
	}{
		{"no receiver", "", func(*agentv1.RunJob) {}},
		{"no token", otlpEndpoint, func(j *agentv1.RunJob) { j.CloneToken = "" }},
		{"own endpoint", otlpEndpoint, func(j *agentv1.RunJob) {
			j.Env = map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://collector.example"}
		}},
		{"own headers", otlpEndpoint, func(j *agentv1.RunJob) {
			j.SecretEnv = map[string]string{EnvOTLPHeaders: "x-api-key=abcdefgh12345"}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			gw := gatewaytest.New(t, gatewaytest.Options{})
			rec, opt := withTelemetryRunner(c.endpoint)
			startAgent(t, gw, t.TempDir(), opt)
			waitConnects(t, gw, 1)
			j := newRunJob("job-x", "echo hi")
			c.edit(j)
			gw.RunJob(j)
			waitState(t, gw, "job-x", agentv1.JobState_JOB_STATE_SUCCESS)
			got := rec.job("job-x")
			if got.GetEnv()[EnvOTLPEndpoint] != "" || got.GetEnv()[EnvOTLPProtocol] != "" || strings.Contains(got.GetSecretEnv()[EnvOTLPHeaders], "Bearer") {
				t.Fatalf("env %v, secret env names %d", got.GetEnv(), len(got.GetSecretEnv()))
			}
		})
	}
}

// TestAgentServiceClient: other parts of the agent get the session's
// AgentService client once it has an identity; it carries the agent's
// credential.
func TestAgentServiceClient(t *testing.T) {
	gw := gatewaytest.New(t, gatewaytest.Options{})
	a := startAgent(t, gw, t.TempDir())
	client, err := a.s.AgentService(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	res, err := client.ExportTelemetry(t.Context(), &agentv1.ExportTelemetryRequest{
		Signal: agentv1.TelemetrySignal_TELEMETRY_SIGNAL_LOGS, Payload: []byte{}, Token: "tok", BatchId: "q/1",
	})
	if err != nil || res.GetDuplicate() {
		t.Fatalf("%v %v", res, err)
	}
	ex := gw.Exports()
	if len(ex) != 1 || ex[0].AgentID == "" || ex[0].Token != "tok" || ex[0].BatchID != "q/1" {
		t.Fatalf("exports %+v", ex)
	}
	if err := a.stop(); err != nil {
		t.Fatal(err)
	}

	// A session that stops without an identity answers with an error, as
	// does a caller's ended context.
	b := startAgent(t, gw, t.TempDir(), func(d *Deps) { d.JoinToken = "" })
	if _, err := b.s.AgentService(t.Context()); !errors.Is(err, errSessionStopped) {
		t.Fatalf("AgentService of a stopped session: %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	fresh, err := New(Deps{Server: gw.URL, DataDir: t.TempDir(), Runner: fake.New(fake.Options{})})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fresh.AgentService(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("AgentService with an ended context: %v", err)
	}
}
