package kubernetes

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
)

func testPodConfig(t *testing.T) PodConfig {
	t.Helper()
	path := filepath.Join(t.TempDir(), "pod.yaml")
	if err := os.WriteFile(path, []byte(`resources:
  requests: {cpu: 250m, memory: 256Mi}
  limits: {cpu: "1", memory: 1Gi}
max: {cpu: "4", memory: 8Gi}
node_selector: {pool: ci}
service_accounts: [builder]
toleration_keys: [dedicated]
labels: {team: platform}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := LoadPodConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestPodOverridesWithinLimits: a job's kubernetes section changes the
// agent's defaults where the agent allows it; a raised request raises the
// default limit with it.
func TestPodOverridesWithinLimits(t *testing.T) {
	c, err := testPodConfig(t).forJob(&agentv1.PodOverrides{
		Requests: map[string]string{"memory": "2Gi"}, Limits: map[string]string{"cpu": "3"},
		NodeSelector: map[string]string{"disk": "ssd"}, ServiceAccount: "builder",
		Tolerations: []*agentv1.Toleration{{Key: "dedicated", Operator: "Equal", Value: "ci", Effect: "NoSchedule"}},
		Labels:      map[string]string{"app": "web"},
	})
	if err != nil {
		t.Fatal(err)
	}
	mem := c.Resources.Requests[corev1.ResourceMemory]
	memLimit := c.Resources.Limits[corev1.ResourceMemory]
	cpuLimit := c.Resources.Limits[corev1.ResourceCPU]
	if mem.Cmp(resource.MustParse("2Gi")) != 0 || memLimit.Cmp(resource.MustParse("2Gi")) != 0 || cpuLimit.Cmp(resource.MustParse("3")) != 0 {
		t.Errorf("resources %+v", c.Resources)
	}
	if c.NodeSelector["pool"] != "ci" || c.NodeSelector["disk"] != "ssd" || c.ServiceAccount != "builder" || len(c.Tolerations) != 1 || c.Labels["team"] != "platform" || c.Labels["app"] != "web" {
		t.Errorf("config %+v", c)
	}
}

// TestPodOverridesBeyondLimitsAreRefused: more than the agent's max, a
// service account or toleration it does not allow, and Hearth's own labels
// are refused, each named.
func TestPodOverridesBeyondLimitsAreRefused(t *testing.T) {
	_, err := testPodConfig(t).forJob(&agentv1.PodOverrides{
		Limits: map[string]string{"memory": "16Gi"}, ServiceAccount: "cluster-admin",
		Tolerations: []*agentv1.Toleration{{Key: "node-role.kubernetes.io/control-plane", Operator: "Exists"}},
		Labels:      map[string]string{"hearth.dev/job": "x"},
	})
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{"kubernetes.limits.memory 16Gi is more than this agent allows (8Gi)", `service_account "cluster-admin"`, `tolerate "node-role.kubernetes.io/control-plane"`, `"hearth.dev/job" is Hearth's own`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in %v", want, err)
		}
	}
}

// TestPodConfigRefusesUnknownKeys: a misspelt key in the agent's file is
// an error at start, not a silently ignored setting.
func TestPodConfigRefusesUnknownKeys(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pod.yaml")
	if err := os.WriteFile(path, []byte("node_selecter: {a: b}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadPodConfig(path); err == nil || !strings.Contains(err.Error(), "node_selecter") {
		t.Fatalf("err %v", err)
	}
}

// TestOverriddenPodIsValid: the API server accepts a pod built with
// overrides (a request above the default limit included), and a job
// beyond the agent's limits never reaches it.
func TestOverriddenPodIsValid(t *testing.T) {
	r, ns := newRunner(t)
	r.o.Pod = testPodConfig(t)
	if _, err := cluster.Client.CoreV1().ServiceAccounts(ns).Create(context.Background(), &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "builder"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	job := testJob("job-overrides")
	job.Pod = &agentv1.PodOverrides{Requests: map[string]string{"memory": "2Gi", "cpu": "2"}, ServiceAccount: "builder"}
	h, err := r.Start(context.Background(), job, jobDir(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Cancel("test over"); waitDone(t, h) })
	pod := waitPod(t, r, job.GetJobId())
	if pod.Spec.ServiceAccountName != "builder" || !*pod.Spec.AutomountServiceAccountToken {
		t.Errorf("service account %q automount %v", pod.Spec.ServiceAccountName, *pod.Spec.AutomountServiceAccountToken)
	}
	job = testJob("job-too-big")
	job.Pod = &agentv1.PodOverrides{Limits: map[string]string{"cpu": "32"}}
	if _, err := r.Start(context.Background(), job, jobDir(t)); err == nil || !strings.Contains(err.Error(), "more than this agent allows") {
		t.Fatalf("err %v", err)
	}
}
