package nodetest

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/hearth-dev/hearth/nodeagent/internal/gittest"
	"github.com/hearth-dev/hearth/nodeagent/internal/runner"
	"github.com/hearth-dev/hearth/nodeagent/internal/runner/kubernetes"
	"github.com/hearth-dev/hearth/nodeagent/kubetest"
	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
)

// TestRealNode runs jobs as real pods; the subtests share one node.
func TestRealNode(t *testing.T) {
	c := startCluster(t)
	srv, url, sha := gittest.NewRepoOn(t, kubetest.NodeIP, "hct_node-token", map[string]string{"README.md": "hello from the repository\n"})

	t.Run("a job runs as a pod", func(t *testing.T) {
		r := c.runner(t, "ok")
		dir := jobDir(t)
		j := job("job-ok", url, sha,
			`cat README.md; echo "$GREETING"; printf 'no newline'`,
			`i=1; while [ $i -le 200 ]; do echo "line $i"; i=$((i+1)); done; mkdir -p dist; echo built > dist/app`)
		j.ArtifactPaths = []string{"dist/*", "missing/**"}
		h, err := r.Start(context.Background(), j, dir)
		if err != nil {
			t.Fatal(err)
		}
		res := wait(t, h, 2*time.Minute)
		if res.State != agentv1.JobState_JOB_STATE_SUCCESS || res.Step != 2 || res.Artifacts != runner.ArtifactsFile {
			t.Fatalf("result %+v\nstep 0: %s", res, readLog(t, dir, 0))
		}
		if got := readLog(t, dir, 0); !strings.Contains(got, "hearth: checked out "+sha) || strings.Contains(got, "hct_") {
			t.Errorf("checkout log %q", got)
		}
		if got, want := readLog(t, dir, 1), "hello from the repository\nhello from env\nno newline"; got != want {
			t.Errorf("step 1 log %q, want %q", got, want)
		}
		var want strings.Builder
		for i := 1; i <= 200; i++ {
			fmt.Fprintf(&want, "line %d\n", i)
		}
		// The same warning as the process runner's.
		want.WriteString(`hearth: artifacts: no file matches "missing/**"` + "\n")
		if got := readLog(t, dir, 2); got != want.String() {
			t.Errorf("step 2 log is %d bytes, want %d:\n%s", len(got), want.Len(), got)
		}
		if names := archived(t, filepath.Join(dir, runner.ArtifactsFile)); strings.Join(names, ",") != "dist/app" {
			t.Errorf("artifacts %v", names)
		}
		sawToken := false
		for _, a := range srv.AuthHeaders() {
			sawToken = sawToken || a == "Bearer hct_node-token"
		}
		if !sawToken {
			t.Error("the git server never saw the token the attach delivered")
		}
		podGone(t, c, "ok", kubernetes.PodName("job-ok"))
	})

	t.Run("the job's files reach an in-memory volume and nothing else", func(t *testing.T) {
		r := c.runner(t, "files")
		dir := jobDir(t)
		j := job("job-files", url, sha, `cat /hearth/run/files/db_password; echo; awk '$2 == "/hearth/run" { print $3 }' /proc/mounts; ls -l /hearth/run/files | awk 'NR > 1 { print $1 }'; { echo x > /hearth/run/files/new; } 2>/dev/null || echo read-only`)
		j.Files = map[string][]byte{"db_password": []byte("s3cret-value")}
		h, err := r.Start(context.Background(), j, dir)
		if err != nil {
			t.Fatal(err)
		}
		if res := wait(t, h, 2*time.Minute); res.State != agentv1.JobState_JOB_STATE_SUCCESS {
			t.Fatalf("result %+v", res)
		}
		if got, want := readLog(t, dir, 1), "s3cret-value\ntmpfs\n-r--------\nread-only\n"; got != want {
			t.Errorf("step log %q, want %q", got, want)
		}
		// Only the step's own output (masking comes with the secrets
		// feature) holds the value: none of the runner's files do.
		err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || strings.HasPrefix(path, filepath.Join(dir, runner.LogsDir)) {
				return err
			}
			if data, _ := os.ReadFile(path); strings.Contains(string(data), "s3cret") {
				t.Errorf("%s holds the file's value", path)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})

	t.Run("a failing step fails the job with its exit code", func(t *testing.T) {
		r := c.runner(t, "fail")
		dir := jobDir(t)
		h, err := r.Start(context.Background(), job("job-fail", url, sha, "echo fine", "echo failing; exit 7", "echo never"), dir)
		if err != nil {
			t.Fatal(err)
		}
		res := wait(t, h, 2*time.Minute)
		if res.State != agentv1.JobState_JOB_STATE_FAILURE || res.Step != 2 || res.ExitCode != 7 || res.Message != "exit status 7" {
			t.Fatalf("result %+v", res)
		}
		if got := readLog(t, dir, 2); got != "failing\n" || readLog(t, dir, 3) != "" {
			t.Errorf("logs %q %q", got, readLog(t, dir, 3))
		}
	})

	t.Run("an image that cannot be pulled fails fast", func(t *testing.T) {
		r := c.runner(t, "pull")
		dir := jobDir(t)
		j := job("job-pull", url, sha, "echo never")
		j.Image = "hearth/does-not-exist:1"
		began := time.Now()
		h, err := r.Start(context.Background(), j, dir)
		if err != nil {
			t.Fatal(err)
		}
		res := wait(t, h, time.Minute)
		if res.State != agentv1.JobState_JOB_STATE_FAILURE || !strings.Contains(res.Message, "ErrImageNeverPull") {
			t.Fatalf("result %+v", res)
		}
		t.Logf("failed %v after the start: %s", time.Since(began).Round(time.Millisecond), res.Message)
		podGone(t, c, "pull", kubernetes.PodName("job-pull"))
	})

	t.Run("cancel deletes the pod", func(t *testing.T) {
		r := c.runner(t, "cancel")
		dir := jobDir(t)
		h, err := r.Start(context.Background(), job("job-cancel", url, sha, "echo started; sleep 300"), dir)
		if err != nil {
			t.Fatal(err)
		}
		waitLog(t, dir, 1, "started\n", time.Minute)
		h.Cancel("cancelled by alice")
		res := wait(t, h, time.Minute)
		if res.State != agentv1.JobState_JOB_STATE_CANCELLED || res.Message != "cancelled by alice" {
			t.Fatalf("result %+v", res)
		}
		if got := readLog(t, dir, 1); got != "started\nhearth: cancelled by alice\n" {
			t.Errorf("log %q", got)
		}
		podGone(t, c, "cancel", kubernetes.PodName("job-cancel"))
	})

	t.Run("a replacement agent adopts the pod and the log has no gap or duplicate", func(t *testing.T) {
		ctx, stopFirst := context.WithCancel(context.Background())
		r := c.runner(t, "adopt")
		_ = r
		first := c.runnerIn(ctx, t, "adopt")
		dir := jobDir(t)
		h, err := first.Start(context.Background(), job("job-adopt", url, sha,
			`i=1; while [ $i -le 60 ]; do echo "tick $i"; i=$((i+1)); sleep 0.05; done`), dir)
		if err != nil {
			t.Fatal(err)
		}
		waitLog(t, dir, 1, "tick 10\n", time.Minute)
		h.(runner.Detacher).Detach() // the agent pod dies with its data directory
		stopFirst()

		second := c.runner(t, "adopt")
		jobs, err := second.Adoptable(context.Background(), func(string) bool { return false })
		if err != nil || len(jobs) != 1 {
			t.Fatalf("adoptable %v %v", jobs, err)
		}
		newDir := jobDir(t)
		h2, err := second.Resume(context.Background(), jobs[0], newDir)
		if err != nil {
			t.Fatal(err)
		}
		res := wait(t, h2, 2*time.Minute)
		if res.State != agentv1.JobState_JOB_STATE_SUCCESS {
			t.Fatalf("result %+v", res)
		}
		var want strings.Builder
		for i := 1; i <= 60; i++ {
			fmt.Fprintf(&want, "tick %d\n", i)
		}
		if got := readLog(t, newDir, 1); got != want.String() {
			t.Errorf("adopted log:\n%s\nwant 60 ticks once each", got)
		}
	})

	t.Run("exec and attach carry stdin", func(t *testing.T) {
		testExecAndAttach(t, c)
	})
}

func podGone(t *testing.T, c *cluster, ns, name string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		_, err := c.cp.Client.CoreV1().Pods(ns).Get(context.Background(), name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("pod %s/%s was not deleted", ns, name)
}

func archived(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return names
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
	}
}
