package kubernetes

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/hearth-dev/hearth/nodeagent/internal/runner"
	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
)

// sameAgent is a second runner for r's namespace and agent: a replacement
// agent pod, with a data directory of its own.
func sameAgent(t *testing.T, r *Runner, agent string) *Runner {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	o := r.o
	o.Agent = agent
	o.Log = zerolog.New(zerolog.NewTestWriter(t))
	r2, err := New(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	return r2
}

// TestAdoptionWithoutTheDataDirectory: a replacement agent with an empty
// data directory finds the pods of its agent, gets their jobs back from
// the annotation (no token, no scripts), follows them from a new
// directory and reports their results; another agent's pods are not its
// own, and a pod without a readable annotation is deleted.
func TestAdoptionWithoutTheDataDirectory(t *testing.T) {
	r, ns := newRunner(t)
	job := testJob("job-adopt")
	job.ArtifactPaths = nil
	h, err := r.Start(context.Background(), job, jobDir(t))
	if err != nil {
		t.Fatal(err)
	}
	pod := waitPod(t, r, job.GetJobId())
	h.(runner.Detacher).Detach() // the agent pod dies with its emptyDir

	// A pod of this agent whose annotation was tampered with.
	bad := pod.DeepCopy()
	bad.ObjectMeta = metav1.ObjectMeta{Name: PodName("job-bad"), Namespace: ns, Labels: map[string]string{}, Annotations: map[string]string{AnnotationJob: "{not json"}}
	for k, v := range pod.Labels {
		bad.Labels[k] = v
	}
	bad.Labels[LabelJob] = "job-bad"
	if _, err := cluster.Client.CoreV1().Pods(ns).Create(context.Background(), bad, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	other := sameAgent(t, r, "agent-2")
	if jobs, err := other.Adoptable(context.Background(), func(string) bool { return false }); err != nil || len(jobs) != 0 {
		t.Fatalf("another agent adopts %d jobs (%v)", len(jobs), err)
	}

	r2 := sameAgent(t, r, "agent-1")
	deadline := time.Now().Add(5 * time.Second)
	var jobs []*agentv1.RunJob
	for time.Now().Before(deadline) {
		if jobs, err = r2.Adoptable(context.Background(), func(string) bool { return false }); err != nil {
			t.Fatal(err)
		}
		if len(jobs) == 1 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(jobs) != 1 || jobs[0].GetJobId() != "job-adopt" || jobs[0].GetCloneToken() != "" || len(jobs[0].GetSteps()) != 2 || jobs[0].GetSteps()[0].GetScript() != "" || jobs[0].GetAttempt() != 2 {
		t.Fatalf("adoptable jobs %v", jobs)
	}
	podGone(t, r, bad.Name)
	if jobs, _ := r2.Adoptable(context.Background(), func(id string) bool { return id == "job-adopt" }); len(jobs) != 0 {
		t.Errorf("a known job was offered for adoption: %v", jobs)
	}

	dir := jobDir(t)
	h2, err := r2.Resume(context.Background(), jobs[0], dir)
	if err != nil {
		t.Fatal(err)
	}
	setStatus(t, r, pod.Name, func(s *corev1.PodStatus) {
		s.Phase = corev1.PodSucceeded
		s.ContainerStatuses = []corev1.ContainerStatus{{Name: jobContainer, Image: "busybox:test",
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 0, Reason: "Completed"}}}}
	})
	res := waitDone(t, h2)
	if res.State != agentv1.JobState_JOB_STATE_SUCCESS || res.Step != 2 {
		t.Fatalf("adopted job ended %+v", res)
	}
	podGone(t, r, pod.Name)
	if data, err := os.ReadFile(metaPath(dir)); err != nil || !strings.Contains(string(data), pod.Annotations[AnnotationNonce]) {
		t.Errorf("the adopted job's meta.json %q (%v) lacks the pod's nonce", data, err)
	}
}
