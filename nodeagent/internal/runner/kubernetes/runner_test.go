package kubernetes

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/hearth-dev/hearth/nodeagent/internal/runner"
	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
)

// These tests run against a real kube-apiserver with no node: the test
// plays the kubelet's part by writing pod status.

// setStatus replaces the pod's status as a kubelet would.
func setStatus(t *testing.T, r *Runner, name string, mutate func(*corev1.PodStatus)) {
	t.Helper()
	ctx := context.Background()
	for range 5 {
		p, err := cluster.Client.CoreV1().Pods(r.o.Namespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		mutate(&p.Status)
		if _, err = cluster.Client.CoreV1().Pods(r.o.Namespace).UpdateStatus(ctx, p, metav1.UpdateOptions{}); err == nil {
			return
		} else if !apierrors.IsConflict(err) {
			t.Fatal(err)
		}
	}
	t.Fatal("the pod status kept conflicting")
}

func podGone(t *testing.T, r *Runner, name string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		_, err := cluster.Client.CoreV1().Pods(r.o.Namespace).Get(context.Background(), name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("pod %s was not deleted", name)
}

// TestPodCarriesLabelsAndNoSecrets: the job's pod is in the runner's
// namespace, labelled with cluster, agent, job and attempt, runs the steps
// from one script in the job's image, and holds the clone token and the
// secrets nowhere (spec, env, annotations): they travel through the
// attach.
func TestPodCarriesLabelsAndNoSecrets(t *testing.T) {
	r, ns := newRunner(t)
	job := testJob("job-labels")
	job.Files = map[string][]byte{"db_password": []byte("hunter2-file-secret")}
	job.SecretEnv = map[string]string{"API_KEY": "hunter3-env-secret"}
	h, err := r.Start(context.Background(), job, jobDir(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Cancel("test over"); waitDone(t, h) })
	pod := waitPod(t, r, job.GetJobId())
	if pod.Namespace != ns {
		t.Errorf("pod in %s, want %s", pod.Namespace, ns)
	}
	want := map[string]string{LabelCluster: "test_cluster", LabelAgent: "agent-1", LabelJob: "job-labels", LabelAttempt: "2", LabelManagedBy: ManagedBy}
	for k, v := range want {
		if pod.Labels[k] != v {
			t.Errorf("label %s = %q, want %q", k, pod.Labels[k], v)
		}
	}
	raw, _ := json.Marshal(pod)
	if strings.Contains(string(raw), "secret-token-value") || strings.Contains(string(raw), "hunter2") || strings.Contains(string(raw), "aHVudGVyM") || strings.Contains(string(raw), "hunter3") {
		t.Fatalf("the clone token or a secret is in the pod object: %s", raw)
	}
	c := pod.Spec.Containers[0]
	if c.Image != "busybox:test" || len(c.Command) != 3 || !strings.Contains(c.Command[2], "echo 'two'") && !strings.Contains(c.Command[2], `echo '\''two'\''`) {
		t.Errorf("job container: image %q command %q", c.Image, c.Command)
	}
	var memory bool
	for _, v := range pod.Spec.Volumes {
		if v.Name == volRun && v.EmptyDir != nil && v.EmptyDir.Medium == corev1.StorageMediumMemory {
			memory = true
		}
	}
	if !memory || !pod.Spec.InitContainers[0].Stdin || !pod.Spec.InitContainers[0].StdinOnce {
		t.Errorf("no in-memory run volume or the checkout does not read stdin: %+v", pod.Spec)
	}
	if pod.Spec.RestartPolicy != corev1.RestartPolicyNever || *pod.Spec.AutomountServiceAccountToken {
		t.Errorf("restart policy %s, automount %v", pod.Spec.RestartPolicy, *pod.Spec.AutomountServiceAccountToken)
	}
}

// TestImagePullFailureFailsFast: a container stuck in ImagePullBackOff
// ends the job at once with the reason and the event's message in the
// log, and the pod is deleted.
func TestImagePullFailureFailsFast(t *testing.T) {
	r, ns := newRunner(t)
	job := testJob("job-pull")
	dir := jobDir(t)
	h, err := r.Start(context.Background(), job, dir)
	if err != nil {
		t.Fatal(err)
	}
	pod := waitPod(t, r, job.GetJobId())
	_, err = cluster.Client.CoreV1().Events(ns).Create(context.Background(), &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Name: "pull-failed"},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: ns, Name: pod.Name, UID: pod.UID, FieldPath: "spec.initContainers{checkout}"},
		Type:           corev1.EventTypeWarning, Reason: "Failed", Message: `Failed to pull image "nope:1": not found`,
		LastTimestamp: metav1.Now(),
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	setStatus(t, r, pod.Name, func(s *corev1.PodStatus) {
		s.InitContainerStatuses = []corev1.ContainerStatus{{Name: initContainer, Image: "hearth/helper:test",
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff", Message: `Back-off pulling image "nope:1"`}}}}
	})
	res := waitDone(t, h)
	if res.State != agentv1.JobState_JOB_STATE_FAILURE || !strings.Contains(res.Message, "ImagePullBackOff") {
		t.Fatalf("result %+v", res)
	}
	log, _ := os.ReadFile(runner.LogPath(dir, 0))
	if !strings.Contains(string(log), "hearth: ") || !strings.Contains(string(log), "Failed to pull image") {
		t.Errorf("step 0 log %q lacks the event's message", log)
	}
	podGone(t, r, pod.Name)
	if got, found, _ := runner.ReadResult(dir); !found || got.State != res.State {
		t.Errorf("result.json %+v %v", got, found)
	}
}

// TestUnschedulableFailsFast: a pod the scheduler cannot place ends the
// job with the scheduler's message.
func TestUnschedulableFailsFast(t *testing.T) {
	r, _ := newRunner(t)
	job := testJob("job-unsched")
	h, err := r.Start(context.Background(), job, jobDir(t))
	if err != nil {
		t.Fatal(err)
	}
	pod := waitPod(t, r, job.GetJobId())
	setStatus(t, r, pod.Name, func(s *corev1.PodStatus) {
		s.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: corev1.PodReasonUnschedulable,
			Message: "0/3 nodes are available: 3 Insufficient memory."}}
	})
	res := waitDone(t, h)
	if res.State != agentv1.JobState_JOB_STATE_FAILURE || !strings.Contains(res.Message, "Insufficient memory") {
		t.Fatalf("result %+v", res)
	}
	podGone(t, r, pod.Name)
}

// TestCancelAndTimeoutDeleteThePod: Cancel and the deadline delete the
// pod and end the job CANCELLED or TIMED_OUT with a line in the log.
func TestCancelAndTimeoutDeleteThePod(t *testing.T) {
	r, _ := newRunner(t)
	dir := jobDir(t)
	h, err := r.Start(context.Background(), testJob("job-cancel"), dir)
	if err != nil {
		t.Fatal(err)
	}
	pod := waitPod(t, r, "job-cancel")
	h.Cancel("cancelled by alice")
	res := waitDone(t, h)
	if res.State != agentv1.JobState_JOB_STATE_CANCELLED || res.Message != "cancelled by alice" {
		t.Fatalf("result %+v", res)
	}
	podGone(t, r, pod.Name)
	if log, _ := os.ReadFile(runner.LogPath(dir, 0)); !strings.Contains(string(log), "hearth: cancelled by alice") {
		t.Errorf("log %q", log)
	}

	h, err = r.Start(context.Background(), withTimeout(testJob("job-timeout"), 500*time.Millisecond), jobDir(t))
	if err != nil {
		t.Fatal(err)
	}
	pod = waitPod(t, r, "job-timeout")
	if res := waitDone(t, h); res.State != agentv1.JobState_JOB_STATE_TIMED_OUT || res.Message != "timed out after 500ms" {
		t.Fatalf("result %+v", res)
	}
	podGone(t, r, pod.Name)
}

// TestExitCodeBecomesTheJobs: the job container's exit code and reason
// decide the result; the checkout's failure fails step 0.
func TestExitCodeBecomesTheJobs(t *testing.T) {
	r, _ := newRunner(t)
	h, err := r.Start(context.Background(), testJob("job-exit"), jobDir(t))
	if err != nil {
		t.Fatal(err)
	}
	pod := waitPod(t, r, "job-exit")
	setStatus(t, r, pod.Name, func(s *corev1.PodStatus) {
		s.Phase = corev1.PodFailed
		s.ContainerStatuses = []corev1.ContainerStatus{{Name: jobContainer, Image: "busybox:test",
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 137, Reason: "OOMKilled"}}}}
	})
	// With no node, the API server serves an empty log: the follower
	// finds it complete and the status decides.
	res := waitDone(t, h)
	if res.State != agentv1.JobState_JOB_STATE_FAILURE || res.ExitCode != 137 || res.Message != "OOMKilled: exit status 137" {
		t.Fatalf("result %+v", res)
	}
}

// TestResumeWithoutPodIsLost: a job whose pod vanished while the agent was
// down ends FAILURE runner.MsgLost.
func TestResumeWithoutPodIsLost(t *testing.T) {
	r, _ := newRunner(t)
	dir := jobDir(t)
	job := testJob("job-lost")
	h, err := r.Start(context.Background(), job, dir)
	if err != nil {
		t.Fatal(err)
	}
	pod := waitPod(t, r, "job-lost")
	h.(runner.Detacher).Detach()
	if err := cluster.Client.CoreV1().Pods(r.o.Namespace).Delete(context.Background(), pod.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	podGone(t, r, pod.Name)
	h2, err := r.Resume(context.Background(), job, dir)
	if err != nil {
		t.Fatal(err)
	}
	if res := waitDone(t, h2); res.State != agentv1.JobState_JOB_STATE_FAILURE || !strings.HasPrefix(res.Message, runner.MsgLost) {
		t.Fatalf("result %+v", res)
	}
}

// TestHostileImageIsRefused: an image reference cannot carry flags, YAML
// or whitespace into the pod.
func TestHostileImageIsRefused(t *testing.T) {
	r, _ := newRunner(t)
	for _, image := range []string{"--privileged", "a b", "x\nhostNetwork: true", "img;rm -rf /", ""} {
		job := testJob("job-image")
		job.Image = image
		if image == "" {
			continue // the default image
		}
		if _, err := r.Start(context.Background(), job, jobDir(t)); err == nil || !strings.Contains(err.Error(), "not an image reference") {
			t.Errorf("image %q: err %v", image, err)
		}
	}
}

// TestResumeBeforeTheCheckoutWasFedIsLost: an agent that stopped before
// attaching leaves a checkout waiting for a token nobody has; the resumed
// job ends at once instead of waiting for job-init's timeout.
func TestResumeBeforeTheCheckoutWasFedIsLost(t *testing.T) {
	r, _ := newRunner(t)
	dir := jobDir(t)
	job := testJob("job-unfed")
	h, err := r.Start(context.Background(), job, dir)
	if err != nil {
		t.Fatal(err)
	}
	pod := waitPod(t, r, job.GetJobId())
	h.(runner.Detacher).Detach()
	setStatus(t, r, pod.Name, func(s *corev1.PodStatus) {
		s.InitContainerStatuses = []corev1.ContainerStatus{{Name: initContainer, Image: "hearth/helper:test",
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.Now()}}}}
	})
	h2, err := r.Resume(context.Background(), job, dir)
	if err != nil {
		t.Fatal(err)
	}
	if res := waitDone(t, h2); res.State != agentv1.JobState_JOB_STATE_FAILURE || !strings.Contains(res.Message, "before delivering the checkout's credentials") {
		t.Fatalf("result %+v", res)
	}
	podGone(t, r, pod.Name)
}
