package agentcli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"

	"github.com/rs/zerolog"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/hearth-dev/hearth/nodeagent/internal/identity"
	"github.com/hearth-dev/hearth/nodeagent/internal/kubeagent"
	"github.com/hearth-dev/hearth/nodeagent/internal/kubeclient"
	kuberunner "github.com/hearth-dev/hearth/nodeagent/internal/runner/kubernetes"
)

// kubeConfig is the kubernetes runner's part of run's configuration.
type kubeConfig struct {
	Kubeconfig   string
	Namespace    string
	Cluster      string
	HelperImage  string
	DefaultImage string
	// IdentitySecret and Lease are for agents running in their cluster.
	IdentitySecret string
	Lease          string
	Pod            kuberunner.PodConfig
	PullPolicy     corev1.PullPolicy
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
	k.IdentitySecret, _ = get("identity-secret")
	k.Lease, _ = get("lease")
	policy, src := get("kube-image-pull-policy")
	switch corev1.PullPolicy(policy) {
	case corev1.PullIfNotPresent, corev1.PullAlways, corev1.PullNever:
		k.PullPolicy = corev1.PullPolicy(policy)
	default:
		bad("%s %q: want IfNotPresent, Always or Never", src, policy)
	}
	if path, src := get("kube-pod-config"); path != "" {
		pc, err := kuberunner.LoadPodConfig(path)
		if err != nil {
			bad("%s: %v", src, err)
		}
		k.Pod = pc
	}
	if c.Runner != kuberunner.Kind {
		if k.IdentitySecret != "" || k.Lease != "" {
			bad("--identity-secret and --lease need --runner kubernetes")
		}
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

// kubeSetup is what the kubernetes runner brings to a run.
type kubeSetup struct {
	runner   *kuberunner.Runner
	identity identity.Store // nil: identity.json in --data-dir
	// ctx ends when the Lease is lost (cause kubeagent.ErrLost); release
	// gives the Lease up at a graceful stop.
	ctx     context.Context //nolint:containedctx // the run's context, bounded by the Lease
	release func()
}

// startKube connects to the cluster (in-cluster credentials without
// --kubeconfig), waits for the Lease with --lease, and starts the
// runner's watch, which lives as long as the run.
func startKube(ctx context.Context, k kubeConfig, agent string, log zerolog.Logger) (*kubeSetup, error) {
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
	client, err := kubeclient.New(cfg, k.Namespace)
	if err != nil {
		return nil, err
	}
	setup := &kubeSetup{ctx: ctx, release: func() {}}
	if k.IdentitySecret != "" {
		setup.identity = kubeagent.SecretStore{Client: client, Name: k.IdentitySecret}
	}
	if k.Lease != "" {
		host, _ := os.Hostname()
		l := &kubeagent.Lease{Client: client, Name: k.Lease, Holder: host + "-" + randomSuffix(), Log: log}
		held, release, err := l.Acquire(ctx)
		if err != nil {
			return nil, fmt.Errorf("waiting for lease %s: %w", k.Lease, err)
		}
		setup.ctx, setup.release = held, release
	}
	setup.runner, err = kuberunner.New(setup.ctx, kuberunner.Options{
		Config: cfg, Namespace: k.Namespace, Cluster: k.Cluster, Agent: agent,
		HelperImage: k.HelperImage, DefaultImage: k.DefaultImage, PullPolicy: k.PullPolicy, Pod: k.Pod, Log: log,
	})
	if err != nil {
		setup.release()
		return nil, err
	}
	return setup, nil
}

func randomSuffix() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
