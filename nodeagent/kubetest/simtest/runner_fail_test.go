package simtest

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/hearth-dev/hearth/nodeagent/internal/runner/kubernetes"
	"github.com/hearth-dev/hearth/nodeagent/kubetest"
	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
)

// TestRunnerStepFails: a step that exits non-zero fails the job at that
// step with its exit code; later steps never run.
func TestRunnerStepFails(t *testing.T) {
	r := newRunner(t, kubetest.SimOptions{})
	job, _, _ := repoJob(t, "job-fail", "echo one", "echo before; exit 7", "echo never")
	h, dir := start(t, r, job)
	res := wait(t, h)
	if res.State != agentv1.JobState_JOB_STATE_FAILURE || res.Step != 2 || res.ExitCode != 7 || res.Message != "exit status 7" {
		t.Fatalf("result %+v", res)
	}
	if got := stepLog(t, dir, 2); got != "before\n" {
		t.Errorf("step 2 log %q", got)
	}
	if got := stepLog(t, dir, 3); got != "" {
		t.Errorf("step 3 ran: %q", got)
	}
}

// TestRunnerCollectsArtifacts: the agent execs job-artifacts in the
// sidecar through the API server and gets the workspace's matches.
func TestRunnerCollectsArtifacts(t *testing.T) {
	r := newRunner(t, kubetest.SimOptions{})
	job, _, _ := repoJob(t, "job-artifacts", "mkdir -p out && echo built > out/app.txt")
	job.ArtifactPaths = []string{"out/*.txt", "missing/*"}
	h, dir := start(t, r, job)
	res := wait(t, h)
	if res.State != agentv1.JobState_JOB_STATE_SUCCESS || res.Artifacts == "" {
		t.Fatalf("result %+v", res)
	}
	if names := archiveNames(t, dir+"/"+res.Artifacts); strings.Join(names, ",") != "out/app.txt" {
		t.Errorf("archive holds %q", names)
	}
	if got := stepLog(t, dir, 1); !strings.Contains(got, "hearth: ") || !strings.Contains(got, "missing/*") {
		t.Errorf("the sidecar's warning is not in the last step's log: %q", got)
	}
}

// TestRunnerCancelKillsThePod: Cancel deletes the pod; the node kills
// the step's processes and finishes the deletion.
func TestRunnerCancelKillsThePod(t *testing.T) {
	r := newRunner(t, kubetest.SimOptions{})
	pidFile := t.TempDir() + "/pid"
	job, _, _ := repoJob(t, "job-cancel", "echo started; echo $$ > "+pidFile+"; sleep 1000")
	h, dir := start(t, r, job)
	pid := waitPIDFile(t, pidFile)
	h.Cancel("cancelled by alice")
	res := wait(t, h)
	if res.State != agentv1.JobState_JOB_STATE_CANCELLED || res.Step != 1 {
		t.Fatalf("result %+v", res)
	}
	waitGone(t, r.ns, kubernetes.PodName("job-cancel"))
	waitDead(t, pid)
	if got := stepLog(t, dir, 1); got != "started\nhearth: cancelled by alice\n" {
		t.Errorf("step 1 log %q", got)
	}
}

// TestRunnerFailsFast: an image that cannot be pulled and a pod that
// cannot be scheduled end the job at once with the reason and the event.
func TestRunnerFailsFast(t *testing.T) {
	r := newRunner(t, kubetest.SimOptions{
		Program: func(pod *corev1.Pod, container string) kubetest.Behaviour {
			if pod.Labels[kubernetes.LabelJob] == "job-pull" && container == "job" {
				return kubetest.PullFailure("ErrImageNeverPull", `Container image "busybox:test" is not present with pull policy of Never`)
			}
			return kubetest.Behaviour{}
		},
		Unschedulable: func(pod *corev1.Pod) string {
			if pod.Labels[kubernetes.LabelJob] == "job-unsched" {
				return "0/1 nodes are available: 1 Insufficient memory."
			}
			return ""
		},
	})
	job, _, _ := repoJob(t, "job-pull", "echo never")
	h, dir := start(t, r, job)
	res := wait(t, h)
	if res.State != agentv1.JobState_JOB_STATE_FAILURE || !strings.Contains(res.Message, "ErrImageNeverPull") {
		t.Fatalf("result %+v", res)
	}
	if got := stepLog(t, dir, 0); !strings.Contains(got, "is not present with pull policy of Never") {
		t.Errorf("checkout log %q lacks the event", got)
	}
	waitGone(t, r.ns, kubernetes.PodName("job-pull"))

	job, _, _ = repoJob(t, "job-unsched", "echo never")
	h, _ = start(t, r, job)
	if res := wait(t, h); res.State != agentv1.JobState_JOB_STATE_FAILURE || !strings.Contains(res.Message, "Insufficient memory") {
		t.Fatalf("result %+v", res)
	}
}

// TestRunnerScriptedExit: a Program replaces the job container: its lines
// and exit code are the job's.
func TestRunnerScriptedExit(t *testing.T) {
	r := newRunner(t, kubetest.SimOptions{
		Program: func(_ *corev1.Pod, container string) kubetest.Behaviour {
			if container == "job" {
				return kubetest.Exit(42, "scripted output")
			}
			return kubetest.Behaviour{}
		},
	})
	job, _, _ := repoJob(t, "job-scripted", "echo not run")
	h, dir := start(t, r, job)
	if res := wait(t, h); res.State != agentv1.JobState_JOB_STATE_FAILURE || res.ExitCode != 42 {
		t.Fatalf("result %+v", res)
	}
	if got := stepLog(t, dir, 1); got != "scripted output\n" {
		t.Errorf("step 1 log %q", got)
	}
}

// TestRunnerCancelDuringCheckout: a job cancelled while its checkout runs
// ends CANCELLED and its pod is killed and gone.
func TestRunnerCancelDuringCheckout(t *testing.T) {
	r := newRunner(t, kubetest.SimOptions{
		Program: func(_ *corev1.Pod, container string) kubetest.Behaviour {
			if container == "checkout" {
				return kubetest.Forever(false)
			}
			return kubetest.Behaviour{}
		},
	})
	job, _, _ := repoJob(t, "job-cancel-init", "echo never")
	h, _ := start(t, r, job)
	waitPod(t, r.ns, kubernetes.PodName("job-cancel-init"), running("checkout"))
	h.Cancel("cancelled by alice")
	if res := wait(t, h); res.State != agentv1.JobState_JOB_STATE_CANCELLED || res.Step != 0 {
		t.Fatalf("result %+v", res)
	}
	waitGone(t, r.ns, kubernetes.PodName("job-cancel-init"))
}
