package agentcli

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/rs/zerolog"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	kuberunner "github.com/hearth-dev/hearth/nodeagent/internal/runner/kubernetes"
)

// kubeConfig is the kubernetes runner's part of run's configuration.
type kubeConfig struct {
	Kubeconfig   string
	Namespace    string
	Cluster      string
	HelperImage  string
	DefaultImage string
}

// inClusterNamespace is where a pod's own namespace is mounted.
const inClusterNamespace = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"

// readKube reads --kubeconfig, --kube-namespace, --kube-cluster,
// --kube-helper-image and --kube-default-image (the kubernetes runner only).
func (c *runConfig) readKube(get getter, bad complaint) {
	k := &c.Kube
	k.Kubeconfig, _ = get("kubeconfig")
	k.Namespace, _ = get("kube-namespace")
	k.Cluster, _ = get("kube-cluster")
	k.HelperImage, _ = get("kube-helper-image")
	k.DefaultImage, _ = get("kube-default-image")
	if c.Runner != kuberunner.Kind {
		return
	}
	if k.Namespace == "" {
		if data, err := os.ReadFile(inClusterNamespace); err == nil {
			k.Namespace = strings.TrimSpace(string(data))
		}
	}
	if k.Namespace == "" {
		bad("--kube-namespace is required with --runner kubernetes outside a cluster")
	}
	if k.HelperImage == "" {
		bad("--kube-helper-image is required with --runner kubernetes (an image holding hearth-agent)")
	}
	if k.Cluster == "" {
		k.Cluster = c.Name
	}
}

// newKubeRunner connects to the cluster (in-cluster credentials without
// --kubeconfig) and starts the runner's watch, which lives as long as ctx.
func newKubeRunner(ctx context.Context, k kubeConfig, agent string, log zerolog.Logger) (*kuberunner.Runner, error) {
	var (
		cfg *rest.Config
		err error
	)
	if k.Kubeconfig != "" {
		cfg, err = clientcmd.BuildConfigFromFlags("", k.Kubeconfig)
	} else {
		cfg, err = rest.InClusterConfig()
	}
	if err != nil {
		return nil, fmt.Errorf("cluster credentials: %w", err)
	}
	cfg.UserAgent = "hearth-agent"
	return kuberunner.New(ctx, kuberunner.Options{
		Config: cfg, Namespace: k.Namespace, Cluster: k.Cluster, Agent: agent,
		HelperImage: k.HelperImage, DefaultImage: k.DefaultImage, Log: log,
	})
}
