package kube

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/hearth-dev/hearth/nodeagent/kubetest"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
)

const dag = `jobs:
  build:
    labels: {region: one}
    steps:
      - echo building; cat README.md
      - i=1; while [ $i -le 50 ]; do echo "build line $i"; i=$((i+1)); done
  test:
    needs: [build]
    labels: {region: one}
    steps:
      - echo testing
`

func ok(s hearthv1.PipelineState) bool { return s == hearthv1.PipelineState_PIPELINE_STATE_SUCCESS }

// TestKubernetesRunner: a control plane, one cluster with a real node and
// an agent with the kubernetes runner, then a second cluster; the
// subtests share them and run in order.
func TestKubernetesRunner(t *testing.T) {
	tt := t
	w := newWorld(t)
	one := startKube(t, "one")
	agentOne := one.startAgent(t, w, w.cluster(t, "one", map[string]string{"region": "one"}), "4")

	t.Run("a push runs a two-job DAG as pods with complete logs", func(t *testing.T) {
		sha := w.push(t, "main", map[string]string{"README.md": "hello from the repository\n", ".hearth.yml": dag})
		p := w.pipelineFor(t, sha, 3*time.Minute, finished)
		build, test := jobNamed(t, p, "build"), jobNamed(t, p, "test")
		if !ok(p.GetState()) || !ok(build.GetState()) || !ok(test.GetState()) {
			t.Fatalf("pipeline %s: build %s (%s), test %s (%s)", p.GetState(), build.GetState(), build.GetMessage(), test.GetState(), test.GetMessage())
		}
		if test.GetStartTime().AsTime().Before(build.GetFinishTime().AsTime()) {
			t.Error("test started before build finished")
		}
		log := w.rawLog(t, build.GetId())
		var want strings.Builder
		for i := 1; i <= 50; i++ {
			fmt.Fprintf(&want, "build line %d\n", i)
		}
		if !strings.Contains(log, "building\nhello from the repository\n") || !strings.Contains(log, want.String()) || strings.Count(log, "build line") != 50 {
			t.Errorf("build log:\n%s", log)
		}
		if log := w.rawLog(t, test.GetId()); !strings.Contains(log, "testing\n") {
			t.Errorf("test log %q", log)
		}
		waitNoPods(t, one)
	})

	t.Run("an image that cannot be pulled fails fast with the reason", func(t *testing.T) {
		sha := w.push(t, "main", map[string]string{".hearth.yml": "jobs:\n  pull:\n    image: hearth/does-not-exist:1\n    labels: {region: one}\n    steps: [echo never]\n"})
		p := w.pipelineFor(t, sha, 2*time.Minute, finished)
		j := jobNamed(t, p, "pull")
		if j.GetState() != hearthv1.PipelineState_PIPELINE_STATE_FAILURE || !strings.Contains(j.GetMessage(), "ErrImageNeverPull") {
			t.Fatalf("job %s: %q", j.GetState(), j.GetMessage())
		}
		if log := w.rawLog(t, j.GetId()); !strings.Contains(log, "ErrImageNeverPull") {
			t.Errorf("the log does not say why: %q", log)
		}
		waitNoPods(t, one)
	})

	t.Run("cancel deletes the pod", func(t *testing.T) {
		sha := w.push(t, "main", map[string]string{".hearth.yml": "jobs:\n  slow:\n    labels: {region: one}\n    steps: [echo started; sleep 300]\n"})
		p := w.pipelineFor(t, sha, 2*time.Minute, func(p *hearthv1.Pipeline) bool {
			return strings.Contains(w.rawLogIfAny(t, jobNamed(t, p, "slow").GetId()), "started")
		})
		if len(one.pods(t)) != 1 {
			t.Fatalf("pods: %d", len(one.pods(t)))
		}
		if _, err := w.pipelines().CancelPipeline(t.Context(), &hearthv1.CancelPipelineRequest{Id: p.GetId()}); err != nil {
			t.Fatal(err)
		}
		p = w.pipelineFor(t, sha, time.Minute, finished)
		if p.GetState() != hearthv1.PipelineState_PIPELINE_STATE_CANCELLED {
			t.Fatalf("pipeline %s", p.GetState())
		}
		waitNoPods(t, one)
	})

	t.Run("an agent killed mid-job comes back, adopts its pod and collects an orphan", func(t *testing.T) {
		sha := w.push(t, "main", map[string]string{".hearth.yml": "jobs:\n  ticks:\n    labels: {region: one}\n    steps:\n      - i=1; while [ $i -le 80 ]; do echo \"tick $i\"; i=$((i+1)); sleep 0.05; done\n"})
		w.pipelineFor(t, sha, 2*time.Minute, func(p *hearthv1.Pipeline) bool {
			return strings.Contains(w.rawLogIfAny(t, jobNamed(t, p, "ticks").GetId()), "tick 10\n")
		})
		agentOne.kill9()
		orphan := orphanPod(t, one)
		agentOne.startFresh() // a replaced agent pod: a new, empty data directory
		p := w.pipelineFor(t, sha, 2*time.Minute, finished)
		j := jobNamed(t, p, "ticks")
		if !ok(j.GetState()) {
			t.Fatalf("job %s: %s", j.GetState(), j.GetMessage())
		}
		log := w.rawLog(t, j.GetId())
		var want strings.Builder
		for i := 1; i <= 80; i++ {
			fmt.Fprintf(&want, "tick %d\n", i)
		}
		if !strings.Contains(log, want.String()) || strings.Count(log, "tick ") != 80 {
			t.Errorf("the log has a gap or a duplicate:\n%s", log)
		}
		waitGone(t, one, orphan)
		waitNoPods(t, one)
	})

	t.Run("of two replicas one runs jobs, the other takes over when it dies", func(t *testing.T) {
		standby := one.startAgent(tt, w, "", "4") // the identity is in the Secret: no join token; it outlives the subtest
		waitFor(t, time.Minute, "the standby waits for the lease", func() bool {
			return strings.Contains(standby.output(), "another replica holds the lease; waiting")
		})
		sha := w.push(t, "main", map[string]string{".hearth.yml": "jobs:\n  first:\n    labels: {region: one}\n    steps: [echo by the holder]\n"})
		if p := w.pipelineFor(t, sha, 2*time.Minute, finished); !ok(p.GetState()) {
			t.Fatalf("pipeline %s", p.GetState())
		}
		if strings.Contains(standby.output(), "connected to the control plane") {
			t.Fatal("the standby connected while the holder held the lease")
		}
		agentOne.kill9()
		waitFor(t, time.Minute, "the standby takes the lease", func() bool {
			return strings.Contains(standby.output(), "holding the lease")
		})
		sha = w.push(t, "main", map[string]string{".hearth.yml": "jobs:\n  second:\n    labels: {region: one}\n    steps: [echo by the new holder]\n"})
		if p := w.pipelineFor(t, sha, 2*time.Minute, finished); !ok(p.GetState()) {
			t.Fatalf("pipeline %s: %s", p.GetState(), jobNamed(t, p, "second").GetMessage())
		}
	})

	t.Run("two clusters: labels route jobs, and a cluster going away fails only its own", func(t *testing.T) {
		two := startKube(t, "two")
		agentTwo := two.startAgent(t, w, w.cluster(t, "two", map[string]string{"region": "two"}), "4")
		sha := w.push(t, "main", map[string]string{".hearth.yml": `jobs:
  here:
    labels: {region: one}
    steps: [echo in one]
  there:
    labels: {region: two}
    steps: [echo in two]
`})
		p := w.pipelineFor(t, sha, 3*time.Minute, finished)
		here, there := jobNamed(t, p, "here"), jobNamed(t, p, "there")
		if !ok(here.GetState()) || !ok(there.GetState()) {
			t.Fatalf("here %s (%s), there %s (%s)", here.GetState(), here.GetMessage(), there.GetState(), there.GetMessage())
		}
		if here.GetAgentId() != one.agentID(t) || there.GetAgentId() != two.agentID(t) {
			t.Fatalf("here ran on %s (cluster one's agent %s), there on %s (cluster two's %s)", here.GetAgentId(), one.agentID(t), there.GetAgentId(), two.agentID(t))
		}

		// Cluster two goes away while its job runs; cluster one's job
		// still succeeds.
		sha = w.push(t, "main", map[string]string{".hearth.yml": `jobs:
  here:
    labels: {region: one}
    steps: [sleep 3; echo still fine]
  there:
    labels: {region: two}
    steps: [echo started; sleep 300]
`})
		w.pipelineFor(t, sha, 2*time.Minute, func(p *hearthv1.Pipeline) bool {
			return strings.Contains(w.rawLogIfAny(t, jobNamed(t, p, "there").GetId()), "started")
		})
		agentTwo.kill9()
		p = w.pipelineFor(t, sha, 2*time.Minute, finished)
		here, there = jobNamed(t, p, "here"), jobNamed(t, p, "there")
		if !ok(here.GetState()) || there.GetState() != hearthv1.PipelineState_PIPELINE_STATE_FAILURE {
			t.Fatalf("here %s (%s), there %s (%s)", here.GetState(), here.GetMessage(), there.GetState(), there.GetMessage())
		}
	})
}

// rawLogIfAny is the job's log so far ("" while it has none).
func (w *world) rawLogIfAny(t testing.TB, jobID string) string {
	t.Helper()
	if jobID == "" {
		return ""
	}
	return w.rawLog(t, jobID)
}

// orphanPod makes a pod that looks like one of the agent's, for a job the
// control plane never ran.
func orphanPod(t testing.TB, k *kcluster) string {
	t.Helper()
	const jobID = "0190c0de-0000-7000-8000-00000000beef"
	name := "hearth-job-" + jobID
	no := false
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{
			"app.kubernetes.io/managed-by": "hearth-agent", "hearth.dev/cluster": k.name, "hearth.dev/agent": "agent-" + k.name,
			"hearth.dev/job": jobID, "hearth.dev/attempt": "1",
		}, Annotations: map[string]string{
			"hearth.dev/run-job":    `{"jobId":"` + jobID + `","steps":[{"name":"x"}]}`,
			"hearth.dev/log-nonce":  "0123456789abcdef01",
			"hearth.dev/started-at": time.Now().UTC().Format(time.RFC3339Nano),
		}},
		Spec: corev1.PodSpec{
			AutomountServiceAccountToken: &no, RestartPolicy: corev1.RestartPolicyNever,
			Containers: []corev1.Container{{Name: "job", Image: kubetest.BusyboxImage, ImagePullPolicy: corev1.PullNever, Command: []string{"sleep", "600"}}},
		},
	}
	if _, err := k.cp.Client.CoreV1().Pods(jobsNamespace).Create(context.Background(), pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return name
}

func waitGone(t testing.TB, k *kcluster, name string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		found := false
		for _, p := range k.pods(t) {
			found = found || p.Name == name
		}
		if !found {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("pod %s was never collected", name)
}

func waitNoPods(t testing.TB, k *kcluster) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		if len(k.pods(t)) == 0 {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	var names []string
	for _, p := range k.pods(t) {
		names = append(names, p.Name)
	}
	t.Fatalf("pods left behind: %v", names)
}

func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out: %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
