// Package kube holds the end-to-end scenarios of the kubernetes runner: a
// real control plane (servertest, against real PostgreSQL, Redis and S3),
// real hearth-agent processes with --runner kubernetes, and real
// Kubernetes clusters (etcd, kube-apiserver, kube-scheduler, a kubelet
// with containerd) in the test binary's own network and mount namespaces
// (kubetest.InNetns): pods on the CNI bridge reach the control plane on
// kubetest.NodeIP, and no traffic leaves the namespace.
package kube

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/hearth-dev/hearth/controlplane/testsvc"
	"github.com/hearth-dev/hearth/nodeagent/kubetest"
)

// agentBinary is this checkout's hearth-agent, static (it also runs in
// the helper image, on busybox).
var agentBinary string

func TestMain(m *testing.M) {
	os.Exit(kubetest.InNetnsRun(func() int {
		dir, err := os.MkdirTemp("", "hearth-e2e-kube-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer func() { _ = os.RemoveAll(dir) }()
		agentBinary = filepath.Join(dir, "hearth-agent")
		build := exec.CommandContext(context.Background(), "go", "build", "-o", agentBinary, "./cmd/hearth-agent")
		build.Dir = filepath.Join("..", "..", "nodeagent")
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "building hearth-agent: %v\n", err)
			return 1
		}
		return testsvc.Run(m)
	}))
}
