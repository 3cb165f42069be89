package simtest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/hearth-dev/hearth/nodeagent/internal/runner"
	"github.com/hearth-dev/hearth/nodeagent/kubetest"
	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
)

// concurrentJobs is how many jobs TestConcurrentJobs runs at once.
const concurrentJobs = 50

// runJobs runs n two-step jobs of one repository at once through the
// runner and returns how long each took from Start to its result.
func runJobs(t testing.TB, r simEnv, n int, round int) []time.Duration {
	t.Helper()
	job0, _, _ := repoJob(t, "unused", "")
	var wg sync.WaitGroup
	took := make([]time.Duration, n)
	errs := make(chan error, n)
	for i := range n {
		job := &agentv1.RunJob{
			JobId: fmt.Sprintf("job-%d-%d", round, i), PipelineId: "p1", Project: "alice/app", Name: "build", Attempt: 1,
			CloneUrl: job0.GetCloneUrl(), CommitSha: job0.GetCommitSha(), Ref: job0.GetRef(), CloneToken: cloneToken,
			Steps: []*agentv1.Step{{Name: "one", Script: "cat hello.txt"}, {Name: "two", Script: fmt.Sprintf("echo job %d", i)}},
		}
		dir := filepath.Join(t.TempDir(), "job")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			began := time.Now()
			h, err := r.Start(context.Background(), job, dir)
			if err != nil {
				errs <- err
				return
			}
			select {
			case <-h.Done():
			case <-time.After(5 * time.Minute):
				errs <- fmt.Errorf("job %d did not end", i)
				return
			}
			took[i] = time.Since(began)
			res := h.Result()
			one, _ := os.ReadFile(runner.LogPath(dir, 1))
			two, _ := os.ReadFile(runner.LogPath(dir, 2))
			if res.State != agentv1.JobState_JOB_STATE_SUCCESS || string(one) != "hello from git\n" || string(two) != fmt.Sprintf("job %d\n", i) {
				errs <- fmt.Errorf("job %d: %+v, logs %q %q", i, res, one, two)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	return took
}

// TestConcurrentJobs: fifty jobs at once through the real runner on one
// simulated node all succeed with their own logs; the test reports the
// wall time and the spread of the jobs' durations.
func TestConcurrentJobs(t *testing.T) {
	r := newRunner(t, kubetest.SimOptions{})
	began := time.Now()
	took := runJobs(t, r, concurrentJobs, 0)
	wall := time.Since(began)
	sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
	t.Logf("%d concurrent jobs: wall %v; per job min %v, median %v, max %v; %d log requests",
		concurrentJobs, wall.Round(time.Millisecond), took[0].Round(time.Millisecond), took[len(took)/2].Round(time.Millisecond),
		took[len(took)-1].Round(time.Millisecond), r.node.LogRequests())
}

// BenchmarkRunnerJob is one two-step job (checkout included) through the
// runner on a simulated node, Start to result.
func BenchmarkRunnerJob(b *testing.B) {
	r := newRunner(b, kubetest.SimOptions{})
	for i := 0; b.Loop(); i++ {
		runJobs(b, r, 1, i)
	}
}

// BenchmarkRunnerJobs50 is fifty such jobs at once.
func BenchmarkRunnerJobs50(b *testing.B) {
	r := newRunner(b, kubetest.SimOptions{})
	for i := 0; b.Loop(); i++ {
		runJobs(b, r, concurrentJobs, i)
	}
}

// BenchmarkPodLifecycle is a one-container pod on a simulated node,
// created, run to Succeeded and deleted.
func BenchmarkPodLifecycle(b *testing.B) {
	ns := namespace(b)
	simNode(b, ns, kubetest.SimOptions{})
	ctx := context.Background()
	for i := 0; b.Loop(); i++ {
		name := fmt.Sprintf("p%d", i)
		w, err := cluster.Client.CoreV1().Pods(ns).Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=" + name})
		if err != nil {
			b.Fatal(err)
		}
		createPod(b, ns, name, "echo hello")
		for ev := range w.ResultChan() {
			if p, ok := ev.Object.(*corev1.Pod); ok && p.Status.Phase == corev1.PodSucceeded {
				break
			}
		}
		w.Stop()
		zero := int64(0)
		if err := cluster.Client.CoreV1().Pods(ns).Delete(ctx, name, metav1.DeleteOptions{GracePeriodSeconds: &zero}); err != nil {
			b.Fatal(err)
		}
	}
}
