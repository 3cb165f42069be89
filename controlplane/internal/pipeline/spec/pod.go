package spec

import (
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Pod is a job's `kubernetes:` section: what the kubernetes runner changes
// in the agent's pod defaults for this job. Parse checks the shape and the
// installation-wide ceilings (MaxPodCPU, MaxPodMemory,
// MaxPodEphemeralStorage); the agent checks its own, usually lower, limits
// when the job reaches it. Nothing here can give a pod host access or
// privileges: such keys are refused.
type Pod struct {
	Requests       map[string]string `json:"requests,omitempty"`
	Limits         map[string]string `json:"limits,omitempty"`
	NodeSelector   map[string]string `json:"node_selector,omitempty"`
	Tolerations    []Toleration      `json:"tolerations,omitempty"`
	ServiceAccount string            `json:"service_account,omitempty"`
	Labels         map[string]string `json:"labels,omitempty"`
	Annotations    map[string]string `json:"annotations,omitempty"`
}

// Toleration is a Kubernetes toleration.
type Toleration struct {
	Key      string `json:"key,omitempty"`
	Operator string `json:"operator,omitempty"`
	Value    string `json:"value,omitempty"`
	Effect   string `json:"effect,omitempty"`
}

// Ceilings of a job's resources, whatever an agent allows.
const (
	MaxPodCPUMillis        = 64_000    // 64 cores
	MaxPodMemory           = 256 << 30 // 256Gi
	MaxPodEphemeralStorage = 1 << 40   // 1Ti
	maxPodMapEntries       = 16
	maxTolerations         = 10
	maxAnnotationBytes     = 1024
)

var (
	podKeys      = []string{"requests", "limits", "node_selector", "tolerations", "service_account", "labels", "annotations"}
	resourceKeys = []string{"cpu", "memory", "ephemeral-storage"}
	// forbiddenPodKeys get a message of their own rather than "unknown key".
	forbiddenPodKeys = map[string]bool{
		"privileged": true, "host_network": true, "hostNetwork": true, "host_pid": true, "hostPID": true, "host_ipc": true, "hostIPC": true,
		"host_path": true, "hostPath": true, "volumes": true, "security_context": true, "securityContext": true, "capabilities": true,
	}
	quantity       = regexp.MustCompile(`^([0-9]{1,12})(\.[0-9]{1,6})?(m|k|M|G|T|Ki|Mi|Gi|Ti)?$`)
	validK8sName   = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	tolerationKeys = []string{"key", "operator", "value", "effect"}
)

// pod decodes `kubernetes:`.
func (d *decoder) pod(f entry, ctx string) *Pod {
	entries, ok := d.mappingOf(f.val, ctx, `"kubernetes"`)
	if !ok {
		return nil
	}
	p := &Pod{}
	sub := ctx + " kubernetes"
	for _, e := range entries {
		switch {
		case e.name == "requests":
			p.Requests = d.resources(e, sub+".requests")
		case e.name == "limits":
			p.Limits = d.resources(e, sub+".limits")
		case e.name == "node_selector":
			p.NodeSelector = d.labels(e, sub+".node_selector")
		case e.name == "tolerations":
			p.Tolerations = d.tolerations(e, sub)
		case e.name == "service_account":
			if s, ok := d.text(e.val, sub, `"service_account"`); ok {
				if !validK8sName.MatchString(s) {
					n := d.deref(e.val)
					d.errs.add(n.Line, n.Column, "%sservice_account %s: use a Kubernetes name (lowercase letters, digits and '-', at most 63)", prefix(sub), quote(s))
				}
				p.ServiceAccount = s
			}
		case e.name == "labels":
			p.Labels = d.labels(e, sub+".labels")
			for k := range p.Labels {
				if strings.HasPrefix(k, "hearth.dev/") {
					d.errs.add(e.key.Line, e.key.Column, "%slabel %s: hearth.dev/ labels are Hearth's own", prefix(sub), quote(k))
				}
			}
		case e.name == "annotations":
			p.Annotations = d.annotations(e, sub)
		case forbiddenPodKeys[e.name]:
			d.errs.add(e.key.Line, e.key.Column, "%s%s is not allowed: job pods never get host access, extra volumes or privileges", prefix(sub), quote(e.name))
		default:
			d.unknownKey(e, sub, podKeys)
		}
	}
	for name, lim := range p.Limits {
		if req, ok := p.Requests[name]; ok && quantityValue(name, req) > quantityValue(name, lim) {
			d.errs.add(f.key.Line, f.key.Column, "%s%s request %s is more than its limit %s", prefix(sub), name, req, lim)
		}
	}
	return p
}

// resources decodes requests or limits: cpu, memory, ephemeral-storage.
func (d *decoder) resources(f entry, ctx string) map[string]string {
	entries, _ := d.mappingOf(f.val, ctx, quote(f.name))
	out := map[string]string{}
	for _, e := range entries {
		if !contains(resourceKeys, e.name) {
			d.unknownKey(e, ctx, resourceKeys)
			continue
		}
		n := d.deref(e.val)
		s := n.Value
		if n.Kind != yaml.ScalarNode || !quantity.MatchString(s) {
			d.errs.add(n.Line, n.Column, "%s%s %s: write a quantity such as 500m, 2, 512Mi or 4Gi", prefix(ctx), e.name, quote(s))
			continue
		}
		if v, ceiling := quantityValue(e.name, s), ceilingOf(e.name); v > ceiling {
			d.errs.add(n.Line, n.Column, "%s%s %s is beyond what any job may ask for here (%s)", prefix(ctx), e.name, s, ceilingText(e.name))
			continue
		}
		out[e.name] = s
	}
	return out
}

func ceilingOf(resource string) float64 {
	switch resource {
	case "cpu":
		return MaxPodCPUMillis / 1000.0
	case "memory":
		return MaxPodMemory
	default:
		return MaxPodEphemeralStorage
	}
}

func ceilingText(resource string) string {
	switch resource {
	case "cpu":
		return "at most " + strconv.Itoa(MaxPodCPUMillis/1000) + " cores"
	case "memory":
		return "at most 256Gi"
	default:
		return "at most 1Ti"
	}
}

// quantityValue is a checked quantity in cores or bytes.
func quantityValue(_ string, s string) float64 {
	m := quantity.FindStringSubmatch(s)
	if m == nil {
		return 0
	}
	v, _ := strconv.ParseFloat(m[1]+m[2], 64)
	mult := map[string]float64{"": 1, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30, "Ti": 1 << 40}[m[3]]
	return v * mult
}

// tolerations decodes a list of tolerations.
func (d *decoder) tolerations(f entry, ctx string) []Toleration {
	items, ok := d.list(f.val, ctx, `"tolerations"`, maxTolerations)
	if !ok {
		return nil
	}
	var out []Toleration
	for _, item := range items {
		entries, ok := d.mappingOf(item, ctx, "a toleration")
		if !ok {
			continue
		}
		var t Toleration
		for _, e := range entries {
			s, ok := d.text(e.val, ctx, "toleration "+e.name)
			if !ok {
				continue
			}
			n := d.deref(e.val)
			switch e.name {
			case "key":
				t.Key = s
				if s != "" && !validLabelKey.MatchString(s) {
					d.errs.add(n.Line, n.Column, "%stoleration key %s is not a label key", prefix(ctx), quote(s))
				}
			case "value":
				t.Value = s
				if !validLabelValue.MatchString(s) {
					d.errs.add(n.Line, n.Column, "%stoleration value %s is not a label value", prefix(ctx), quote(s))
				}
			case "operator":
				t.Operator = s
				if s != "Exists" && s != "Equal" {
					d.errs.add(n.Line, n.Column, "%stoleration operator %s: want Exists or Equal", prefix(ctx), quote(s))
				}
			case "effect":
				t.Effect = s
				if s != "" && s != "NoSchedule" && s != "PreferNoSchedule" && s != "NoExecute" {
					d.errs.add(n.Line, n.Column, "%stoleration effect %s: want NoSchedule, PreferNoSchedule or NoExecute", prefix(ctx), quote(s))
				}
			default:
				d.unknownKey(e, ctx, tolerationKeys)
			}
		}
		out = append(out, t)
	}
	return out
}

// annotations decodes free-text annotations under label-like keys.
func (d *decoder) annotations(f entry, ctx string) map[string]string {
	entries, _ := d.mappingOf(f.val, ctx, `"annotations"`)
	if len(entries) > maxPodMapEntries {
		d.errs.add(f.key.Line, f.key.Column, "%s%d annotations; the limit is %d", prefix(ctx), len(entries), maxPodMapEntries)
		return nil
	}
	out := map[string]string{}
	for _, e := range entries {
		if !validLabelKey.MatchString(e.name) || strings.HasPrefix(e.name, "hearth.dev/") {
			d.errs.add(e.key.Line, e.key.Column, "%sannotation key %s: use a label-like key outside hearth.dev/", prefix(ctx), quote(e.name))
			continue
		}
		s, ok := d.text(e.val, ctx, "annotation "+e.name)
		if !ok {
			continue
		}
		if len(s) > maxAnnotationBytes {
			n := d.deref(e.val)
			d.errs.add(n.Line, n.Column, "%sannotation %s is %d bytes; the limit is %d", prefix(ctx), e.name, len(s), maxAnnotationBytes)
			continue
		}
		out[e.name] = s
	}
	return out
}
