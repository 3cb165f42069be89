package kubernetes

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/hearth-dev/hearth/nodeagent/internal/runner"
	"github.com/hearth-dev/hearth/nodeagent/kubetest"
	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
)

// TestSecretsReachTheStepsOnASimulatedNode runs a job with secret files
// and variables end to end on a simulated node (kubetest.StartSimNode:
// job-init as package podjob, the job container's script under the
// host's sh): the attach delivers them, the steps see their exact values
// and the files, and neither the pod object nor the job directory (but
// the logs of the steps that printed them) holds a value.
func TestSecretsReachTheStepsOnASimulatedNode(t *testing.T) {
	r, ns := newRunner(t)
	kubetest.StartSimNode(t, cluster, kubetest.SimOptions{Namespaces: []string{ns}})
	job := secretJob()
	dir := jobDir(t)
	h, err := r.Start(context.Background(), job, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Cancel("test over"); waitDone(t, h) })
	pod := waitPod(t, r, job.GetJobId())
	values := []string{trickySecret, "line two", "v4lue-override", "f1le-secret", base64.StdEncoding.EncodeToString([]byte("f1le-secret"))[:12]}
	raw, err := json.Marshal(pod)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range values {
		if bytes.Contains(raw, []byte(v)) {
			t.Errorf("the pod object holds %q", v)
		}
	}

	res := waitDone(t, h)
	if want := (runner.Result{State: agentv1.JobState_JOB_STATE_SUCCESS, Step: 2}); res != want {
		t.Fatalf("result %+v, want %+v; checkout log %q, step 1 log %q", res, want, readStepLog(t, dir, 0), readStepLog(t, dir, 1))
	}
	if got, want := readStepLog(t, dir, 1), "<"+trickySecret+">\n<v4lue-override>\n<>\n<x>\n<hello>\n<unset>\nf1le-secret\n"; got != want {
		t.Errorf("step 1 log\n%q\nwant\n%q", got, want)
	}
	if got, want := readStepLog(t, dir, 2), "<"+trickySecret+">\n"; got != want {
		t.Errorf("step 2 log %q, want %q", got, want)
	}
	scanned := 0
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path == runner.LogPath(dir, 1) || path == runner.LogPath(dir, 2) {
			return err
		}
		scanned++
		data, err := os.ReadFile(path)
		for _, v := range values {
			if bytes.Contains(data, []byte(v)) {
				t.Errorf("%s holds %q", path, v)
			}
		}
		return err
	})
	if err != nil || scanned < 4 {
		t.Fatalf("scanned %d files of the job directory: %v", scanned, err)
	}
}

func readStepLog(t *testing.T, dir string, step uint32) string {
	t.Helper()
	data, err := os.ReadFile(runner.LogPath(dir, step))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return string(data)
}
