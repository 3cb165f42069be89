package kubernetes

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"sigs.k8s.io/yaml"

	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
)

// PodConfig is the agent's shape for every job pod (--kube-pod-config, a
// YAML file) and the limits within which a job's `kubernetes:` section
// may change it.
type PodConfig struct {
	// Resources every job gets unless it asks for others.
	Resources corev1.ResourceRequirements `json:"resources,omitempty"`
	// Max bounds what a job may request or limit (cpu, memory,
	// ephemeral-storage); a job asking for more is refused.
	Max              corev1.ResourceList `json:"max,omitempty"`
	NodeSelector     map[string]string   `json:"node_selector,omitempty"`
	Tolerations      []corev1.Toleration `json:"tolerations,omitempty"`
	ServiceAccount   string              `json:"service_account,omitempty"` // empty: none, and no token mounted
	ImagePullSecrets []string            `json:"image_pull_secrets,omitempty"`
	Labels           map[string]string   `json:"labels,omitempty"`
	Annotations      map[string]string   `json:"annotations,omitempty"`
	// ServiceAccounts a job may name (a service account is a credential
	// in the cluster: by default jobs may name none).
	ServiceAccounts []string `json:"service_accounts,omitempty"`
	// TolerationKeys are the taints a job may tolerate (by default none:
	// a toleration could put a job on nodes kept for other work).
	TolerationKeys []string `json:"toleration_keys,omitempty"`
}

// LoadPodConfig reads a PodConfig file (unknown keys are errors).
func LoadPodConfig(path string) (PodConfig, error) {
	var c PodConfig
	data, err := os.ReadFile(path) //nolint:gosec // G304: the operator's own configuration file
	if err != nil {
		return c, err
	}
	if err := yaml.UnmarshalStrict(data, &c); err != nil {
		return c, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// forJob is the configuration with the job's overrides applied, or an
// error naming what the agent does not allow.
func (c PodConfig) forJob(o *agentv1.PodOverrides) (PodConfig, error) {
	if o == nil {
		return c, nil
	}
	out := c
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	out.Resources = corev1.ResourceRequirements{Requests: copyList(c.Resources.Requests), Limits: copyList(c.Resources.Limits)}
	for field, from := range map[string]map[string]string{"requests": o.GetRequests(), "limits": o.GetLimits()} {
		into := out.Resources.Requests
		if field == "limits" {
			if out.Resources.Limits == nil {
				out.Resources.Limits = corev1.ResourceList{}
			}
			into = out.Resources.Limits
		} else if into == nil {
			out.Resources.Requests = corev1.ResourceList{}
			into = out.Resources.Requests
		}
		for name, v := range from {
			q, err := resource.ParseQuantity(v)
			if err != nil {
				bad("kubernetes.%s.%s %q is not a quantity", field, name, v)
				continue
			}
			if limit, ok := c.Max[corev1.ResourceName(name)]; ok && q.Cmp(limit) > 0 {
				bad("kubernetes.%s.%s %s is more than this agent allows (%s)", field, name, v, limit.String())
				continue
			}
			into[corev1.ResourceName(name)] = q
		}
	}
	// A request raised above the default limit raises the limit with it,
	// or the pod would be invalid.
	for name, req := range out.Resources.Requests {
		if lim, ok := out.Resources.Limits[name]; ok && req.Cmp(lim) > 0 {
			if _, asked := o.GetLimits()[string(name)]; !asked {
				out.Resources.Limits[name] = req.DeepCopy()
			}
		}
	}
	if len(o.GetNodeSelector()) > 0 {
		out.NodeSelector = merged(c.NodeSelector, o.GetNodeSelector())
	}
	for _, t := range o.GetTolerations() {
		if !slices.Contains(c.TolerationKeys, t.GetKey()) {
			bad("kubernetes.tolerations: this agent does not let jobs tolerate %q (its toleration_keys: %s)", t.GetKey(), listOrNone(c.TolerationKeys))
			continue
		}
		out.Tolerations = append(slices.Clone(out.Tolerations), corev1.Toleration{
			Key: t.GetKey(), Operator: corev1.TolerationOperator(t.GetOperator()), Value: t.GetValue(), Effect: corev1.TaintEffect(t.GetEffect()),
		})
	}
	if sa := o.GetServiceAccount(); sa != "" {
		if !slices.Contains(c.ServiceAccounts, sa) {
			bad("kubernetes.service_account %q is not one this agent lets jobs use (its service_accounts: %s)", sa, listOrNone(c.ServiceAccounts))
		} else {
			out.ServiceAccount = sa
		}
	}
	for k := range o.GetLabels() {
		if strings.HasPrefix(k, "hearth.dev/") || k == LabelManagedBy {
			bad("kubernetes.labels: %q is Hearth's own", k)
		}
	}
	for k := range o.GetAnnotations() {
		if strings.HasPrefix(k, "hearth.dev/") {
			bad("kubernetes.annotations: %q is Hearth's own", k)
		}
	}
	out.Labels = merged(c.Labels, o.GetLabels())
	out.Annotations = merged(c.Annotations, o.GetAnnotations())
	if len(problems) > 0 {
		sort.Strings(problems)
		return PodConfig{}, errors.New(strings.Join(problems, "; "))
	}
	return out, nil
}

func copyList(l corev1.ResourceList) corev1.ResourceList {
	if l == nil {
		return nil
	}
	out := corev1.ResourceList{}
	for k, v := range l {
		out[k] = v.DeepCopy()
	}
	return out
}

func merged(base, over map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		out[k] = v
	}
	return out
}

func listOrNone(l []string) string {
	if len(l) == 0 {
		return "none"
	}
	return strings.Join(l, ", ")
}
