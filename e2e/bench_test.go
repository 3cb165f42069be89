package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
)

// The pipeline benchmarks of issue 5, each against a whole control plane
// and a real agent with the process runner on this machine.

func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

// BenchmarkPushToFirstLogLine: from the start of `git push` (the commit
// made before) until the
// job's first log line (the checkout's) is readable through the API (goal
// p50 < 300 ms); also until the first line of the job's own step, and how
// long the push alone takes, for context.
func BenchmarkPushToFirstLogLine(b *testing.B) {
	w := benchWorld(b)
	var first, step, push []time.Duration
	for i := 0; b.Loop(); i++ {
		marker := fmt.Sprintf("first-%d", i)
		sha := w.commit(b, map[string]string{".hearth.yml": "jobs:\n  hello:\n    steps:\n      - echo " + marker + "\n"})
		start := time.Now()
		w.pushHead(b, "main")
		push = append(push, time.Since(start))
		var sawFirst bool
		for {
			p := w.latestFor(b, sha)
			if p != nil && len(p.GetJobs()) == 1 {
				log := w.rawLog(b, p.GetJobs()[0].GetId())
				if !sawFirst && bytes.IndexByte(log, '\n') >= 0 {
					sawFirst = true
					first = append(first, time.Since(start))
				}
				if bytes.Contains(log, []byte(marker)) {
					step = append(step, time.Since(start))
					break
				}
			}
			if time.Since(start) > time.Minute {
				b.Fatal("no log within a minute")
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	b.ReportMetric(float64(percentile(first, 0.5).Milliseconds()), "first-line-p50-ms")
	b.ReportMetric(float64(percentile(first, 0.95).Milliseconds()), "first-line-p95-ms")
	b.ReportMetric(float64(percentile(step, 0.5).Milliseconds()), "step-output-p50-ms")
	b.ReportMetric(float64(percentile(push, 0.5).Milliseconds()), "git-push-p50-ms")
}

// BenchmarkJobsPerMinute: one agent of capacity 8 running trivial jobs
// (checkout included).
func BenchmarkJobsPerMinute(b *testing.B) {
	w := benchWorld(b)
	const jobs = 48
	var spec strings.Builder
	spec.WriteString("jobs:\n")
	for i := range jobs {
		fmt.Fprintf(&spec, "  j%d:\n    steps: [\"true\"]\n", i)
	}
	w.push(b, "main", map[string]string{".hearth.yml": spec.String()})
	var total time.Duration
	for b.Loop() {
		start := time.Now()
		res, err := w.pipelines().RunPipeline(b.Context(), &hearthv1.RunPipelineRequest{Owner: w.owner, Name: w.project, Ref: "main"})
		if err != nil {
			b.Fatal(err)
		}
		w.waitFinished(b, res.GetPipeline().GetId(), 5*time.Minute)
		total += time.Since(start)
	}
	b.ReportMetric(float64(jobs*b.N)/total.Minutes(), "jobs/min")
}

// BenchmarkLogThroughput: one job writing 64 MiB (plus a newline every 63
// bytes) as fast as it can, from the run request until the job is finished
// with every byte stored (goal ≥ 20 MB/s).
func BenchmarkLogThroughput(b *testing.B) {
	w := benchWorld(b)
	const size = 64 << 20
	w.push(b, "main", map[string]string{".hearth.yml": fmt.Sprintf(
		"jobs:\n  flood:\n    steps:\n      - head -c %d /dev/zero | tr '\\0' x | fold -w 63\n", size)})
	var total, jobs time.Duration
	for b.Loop() {
		start := time.Now()
		res, err := w.pipelines().RunPipeline(b.Context(), &hearthv1.RunPipelineRequest{Owner: w.owner, Name: w.project, Ref: "main"})
		if err != nil {
			b.Fatal(err)
		}
		p := w.waitFinished(b, res.GetPipeline().GetId(), 5*time.Minute)
		total += time.Since(start)
		if p.GetState() != hearthv1.PipelineState_PIPELINE_STATE_SUCCESS {
			b.Fatalf("flood pipeline %s", p.GetState())
		}
		j := p.GetJobs()[0]
		jobs += j.GetFinishTime().AsTime().Sub(j.GetStartTime().AsTime())
	}
	// Whole run (request, queue, checkout, output, storing, S3) and the
	// job alone (from its assignment to its final status, logs stored).
	b.ReportMetric(float64(size*b.N)/(1<<20)/total.Seconds(), "run-MB/s")
	b.ReportMetric(float64(size*b.N)/(1<<20)/jobs.Seconds(), "job-MB/s")
}

// BenchmarkLiveTailLatency: a job prints its clock every 10 ms; a follower
// on the API measures how late each line arrives (goal p99 < 250 ms).
func BenchmarkLiveTailLatency(b *testing.B) {
	w := benchWorld(b)
	w.push(b, "main", map[string]string{".hearth.yml": "jobs:\n  clock:\n    steps:\n      - for i in $(seq 1 300); do date +tick-%s%N; sleep 0.01; done\n"})
	var lat []time.Duration
	for b.Loop() {
		res, err := w.pipelines().RunPipeline(b.Context(), &hearthv1.RunPipelineRequest{Owner: w.owner, Name: w.project, Ref: "main"})
		if err != nil {
			b.Fatal(err)
		}
		var jobID string
		for jobID == "" {
			p, err := w.pipelines().GetPipeline(b.Context(), &hearthv1.GetPipelineRequest{Id: res.GetPipeline().GetId()})
			if err != nil {
				b.Fatal(err)
			}
			if len(p.GetPipeline().GetJobs()) > 0 {
				jobID = p.GetPipeline().GetJobs()[0].GetId()
			}
		}
		stream, err := w.pipelines().FollowJobLog(b.Context(), &hearthv1.FollowJobLogRequest{JobId: jobID})
		if err != nil {
			b.Fatal(err)
		}
		var pending []byte
		for stream.Receive() {
			now := time.Now()
			pending = append(pending, stream.Msg().GetData()...)
			sc := bufio.NewScanner(bytes.NewReader(pending))
			consumed := 0
			for sc.Scan() {
				line := sc.Text()
				if !bytes.HasSuffix(pending[:consumed+len(line)+1], []byte("\n")) {
					break
				}
				consumed += len(line) + 1
				if ns, ok := strings.CutPrefix(line, "tick-"); ok {
					if v, err := strconv.ParseInt(ns, 10, 64); err == nil {
						lat = append(lat, now.Sub(time.Unix(0, v)))
					}
				}
			}
			pending = pending[consumed:]
			if stream.Msg().GetFinalState() != hearthv1.PipelineState_PIPELINE_STATE_UNSPECIFIED {
				break
			}
		}
		_ = stream.Close()
	}
	b.ReportMetric(float64(percentile(lat, 0.5).Milliseconds()), "p50-ms")
	b.ReportMetric(float64(percentile(lat, 0.99).Milliseconds()), "p99-ms")
}

// benchWorld is a world with one agent of capacity 8.
func benchWorld(b *testing.B) *world {
	b.Helper()
	w := newWorld(b)
	w.startAgent(b, 8)
	return w
}
