package kubernetes

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/hearth-dev/hearth/nodeagent/internal/kubeclient"
	"github.com/hearth-dev/hearth/nodeagent/internal/runner"
)

// sidecarContainer idles beside the job container of a job with
// artifacts, so the agent can exec into the pod once the job container
// has ended: `hearth-agent job-artifacts` archives the workspace's matches
// to its stdout.
const sidecarContainer = "hearth"

// sidecar is the container that lets the agent collect artifacts.
func (r *Runner) sidecar(mounts []corev1.VolumeMount) corev1.Container {
	return corev1.Container{
		Name: sidecarContainer, Image: r.o.HelperImage, ImagePullPolicy: r.o.PullPolicy,
		Command:      append(append([]string(nil), r.o.HelperCommand...), "job-sidecar"),
		VolumeMounts: []corev1.VolumeMount{{Name: mounts[0].Name, MountPath: workspacePath, ReadOnly: true}},
		Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: mustQuantity("10m"), corev1.ResourceMemory: mustQuantity("32Mi")},
		},
	}
}

// collectArtifacts archives the job's artifact paths from the pod's
// workspace into <dir>/artifacts.tar.gz (runner.ArtifactsFile) through an
// exec into the sidecar. The sidecar's warnings (patterns that matched
// nothing) go to the last step's log, as the process runner writes them.
// It returns "" when nothing matched.
func (h *handle) collectArtifacts(ctx context.Context) (string, error) {
	dst := filepath.Join(h.dir, runner.ArtifactsFile)
	tmp := dst + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600) //nolint:gosec // G304: the job directory the agent owns
	if err != nil {
		return "", err
	}
	var stderr bytes.Buffer
	cmd := append(append([]string(nil), h.r.o.HelperCommand...), "job-artifacts", "--workspace", workspacePath, "--")
	cmd = append(cmd, h.job.GetArtifactPaths()...)
	err = h.r.c.Exec(ctx, h.m.Pod, sidecarContainer, cmd, kubeclient.Streams{Stdout: f, Stderr: &stderr})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	last := runner.LastStep(h.job)
	sc := bufio.NewScanner(&stderr)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" {
			_ = runner.AppendLogLine(h.dir, last, strings.TrimPrefix(line, "hearth: "))
		}
	}
	if err != nil {
		_ = os.Remove(tmp)
		return "", fmt.Errorf("exec in the sidecar: %w", err)
	}
	if st, serr := os.Stat(tmp); serr != nil || st.Size() == 0 {
		_ = os.Remove(tmp) // nothing matched: no archive
		return "", nil     //nolint:nilerr // an archive that is not there is "no artifacts"
	}
	if err := os.Rename(tmp, dst); err != nil {
		return "", err
	}
	return runner.ArtifactsFile, nil
}
