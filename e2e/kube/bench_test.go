package kube

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
)

// The kubernetes runner's benchmarks: the same control plane, in the same
// run, with an agent of each runner (the process runner on this machine,
// the kubernetes runner on a real node), so the ratio means something on
// a noisy machine.

func p50(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

// benchWorld is a control plane with a process agent (labels runner=process)
// and a kubernetes agent on a real node (runner=kube), each of capacity.
func benchWorld(b *testing.B, capacity string) *world {
	b.Helper()
	w := newWorld(b)
	k := startKube(b, "bench")
	k.startAgent(b, w, w.cluster(b, "kube", map[string]string{"runner": "kube"}), capacity)
	startProcessAgent(b, w, w.cluster(b, "process", map[string]string{"runner": "process"}), capacity)
	return w
}

// BenchmarkPushToLogAndSuccess: from `git push` to the job's first log
// line readable through the API, and to the pipeline's success, for one
// job on each runner.
func BenchmarkPushToLogAndSuccess(b *testing.B) {
	w := benchWorld(b, "4")
	first := map[string][]time.Duration{}
	done := map[string][]time.Duration{}
	for i := 0; b.Loop(); i++ {
		for _, runner := range []string{"process", "kube"} {
			marker := fmt.Sprintf("%s-%d", runner, i)
			start := time.Now()
			sha := w.push(b, "main", map[string]string{".hearth.yml": "jobs:\n  hello:\n    labels: {runner: " + runner + "}\n    steps: [echo " + marker + "]\n"})
			var sawFirst bool
			w.pipelineFor(b, sha, 2*time.Minute, func(p *hearthv1.Pipeline) bool {
				if !sawFirst && len(p.GetJobs()) == 1 && strings.Contains(w.rawLogIfAny(b, p.GetJobs()[0].GetId()), "\n") {
					sawFirst = true
					first[runner] = append(first[runner], time.Since(start))
				}
				return finished(p)
			})
			done[runner] = append(done[runner], time.Since(start))
		}
	}
	for _, runner := range []string{"process", "kube"} {
		b.ReportMetric(float64(p50(first[runner]).Milliseconds()), runner+"-first-line-p50-ms")
		b.ReportMetric(float64(p50(done[runner]).Milliseconds()), runner+"-success-p50-ms")
	}
	b.ReportMetric(float64(p50(done["kube"]))/float64(p50(done["process"])), "kube/process-success-ratio")
}

// BenchmarkFiftyConcurrentJobs: one pipeline of 50 independent trivial
// jobs on one agent of capacity 50, each runner in turn.
func BenchmarkFiftyConcurrentJobs(b *testing.B) {
	jobs := fiftyJobs()
	w := benchWorld(b, "50")
	took := map[string][]time.Duration{}
	for b.Loop() {
		for _, runner := range []string{"process", "kube"} {
			var spec strings.Builder
			spec.WriteString("jobs:\n")
			for i := range jobs {
				fmt.Fprintf(&spec, "  j%d:\n    labels: {runner: %s}\n    steps: [echo job %d]\n", i, runner, i)
			}
			start := time.Now()
			sha := w.push(b, "main", map[string]string{".hearth.yml": spec.String()})
			p := w.pipelineFor(b, sha, 5*time.Minute, finished)
			if p.GetState() != hearthv1.PipelineState_PIPELINE_STATE_SUCCESS {
				var failed []string
				for _, j := range p.GetJobs() {
					if j.GetState() != hearthv1.PipelineState_PIPELINE_STATE_SUCCESS {
						failed = append(failed, j.GetName()+": "+j.GetMessage())
					}
				}
				b.Fatalf("%s: pipeline %s: %v", runner, p.GetState(), failed)
			}
			took[runner] = append(took[runner], time.Since(start))
		}
	}
	b.ReportMetric(p50(took["process"]).Seconds(), "process-50-jobs-s")
	b.ReportMetric(p50(took["kube"]).Seconds(), "kube-50-jobs-s")
	b.ReportMetric(float64(p50(took["kube"]))/float64(p50(took["process"])), "kube/process-ratio")
}

// fiftyJobs is 50, or E2E_KUBE_JOBS for a quicker look.
func fiftyJobs() int {
	if n, err := strconv.Atoi(os.Getenv("E2E_KUBE_JOBS")); err == nil && n > 0 {
		return n
	}
	return 50
}
