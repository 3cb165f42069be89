package charts

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/action"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// cases are the renders every test below checks: each chart with its
// defaults and with every option on.
var cases = []struct {
	name, chart, values string
}{
	{"hearth/defaults", hearthChart, ""},
	{"hearth/full", hearthChart, "hearth-full.yaml"},
	{"hearth-agent/defaults", agentChart, ""},
	{"hearth-agent/full", agentChart, "hearth-agent-full.yaml"},
}

// TestLint is `helm lint --strict`: a warning fails too.
func TestLint(t *testing.T) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			lint := action.NewLint()
			lint.Strict = true
			lint.Namespace = releaseNamespace
			lint.KubeVersion = kubeVersion
			res := lint.Run([]string{c.chart}, values(t, c.values))
			for _, m := range res.Messages {
				t.Logf("lint: %s", m)
			}
			if res.TotalChartsLinted != 1 {
				t.Errorf("linted %d charts, want 1", res.TotalChartsLinted)
			}
			for _, err := range res.Errors {
				t.Errorf("lint: %v", err)
			}
		})
	}
}

// TestRefusals: values the charts cannot honour stop the render with a
// message saying why: a template's fail, or values.schema.json. helm
// lint also refuses what the schema refuses; it does not run a
// template's fail (helm's lint mode only logs it, so that charts with
// required values lint), so the render is what proves those.
func TestRefusals(t *testing.T) {
	for _, c := range []struct {
		name, chart string
		vals        map[string]any
		want        string
		bySchema    bool
	}{
		{"hearth replicaCount 2", hearthChart, map[string]any{"replicaCount": 2}, "Repositories (the data volume) are not replicated", false},
		{"hearth replicaCount 3", hearthChart, map[string]any{"replicaCount": 3}, "runs exactly 1 replica", false},
		{"hearth replicaCount 0", hearthChart, map[string]any{"replicaCount": 0}, "replicaCount", true},
		{"hearth ServiceMonitor without the metrics port", hearthChart,
			map[string]any{"metrics": map[string]any{"serviceMonitor": map[string]any{"enabled": true}}}, "needs metrics.enabled", false},
		{"hearth extra flag the chart sets", hearthChart,
			map[string]any{"config": map[string]any{"extraFlags": map[string]any{"database-url": "postgres://x"}}}, "--database-url is set by the chart", false},
		{"hearth misspelt value", hearthChart, map[string]any{"replicas": 1}, "replicas", true},
		{"hearth bad log level", hearthChart, map[string]any{"config": map[string]any{"logLevel": "verbose"}}, "logLevel", true},
		{"agent replicaCount 3", agentChart, map[string]any{"replicaCount": 3}, "replicaCount", true},
		{"agent token and existing Secret", agentChart, map[string]any{"joinToken": "hjt_x", "existingSecret": "mine"}, "not both", false},
		{"agent extra flag the chart sets", agentChart,
			map[string]any{"extraFlags": map[string]any{"runner": "process"}}, "--runner is set by the chart", false},
		{"agent capacity 0", agentChart, map[string]any{"capacity": 0}, "capacity", true},
		{"agent not a join token", agentChart, map[string]any{"joinToken": "secret"}, "joinToken", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			manifest, err := render(t, c.chart, c.vals)
			if err == nil {
				t.Fatalf("rendered, want a refusal mentioning %q:\n%s", c.want, manifest)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("refused with %q, want it to mention %q", err, c.want)
			}
			if !c.bySchema {
				return
			}
			lint := action.NewLint()
			lint.Namespace = releaseNamespace
			res := lint.Run([]string{c.chart}, c.vals)
			if len(res.Errors) == 0 {
				t.Errorf("helm lint passed")
			}
			for _, err := range res.Errors {
				t.Logf("lint: %v", err)
			}
		})
	}
}

// TestObjectsAreNamespaced: every object carries the namespace it goes
// to (so `helm template | kubectl apply` lands where helm install
// would), and none is cluster-scoped.
func TestObjectsAreNamespaced(t *testing.T) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, o := range mustRender(t, c.chart, values(t, c.values)) {
				if o.GetNamespace() == "" {
					t.Errorf("%s %s has no namespace", o.GetKind(), o.GetName())
				}
				if strings.HasPrefix(o.GetKind(), "Cluster") || o.GetKind() == "Namespace" || o.GetKind() == "CustomResourceDefinition" {
					t.Errorf("%s %s is cluster-scoped", o.GetKind(), o.GetName())
				}
			}
		})
	}
}

// TestHearthDefaults: one replica, the headless Service governing it,
// volumes for the data and Raft, probes on hearth's health endpoints,
// connection settings from Secrets, not root.
func TestHearthDefaults(t *testing.T) {
	objs := mustRender(t, hearthChart, values(t, ""))
	sts := one[appsv1.StatefulSet](t, objs, "StatefulSet")
	if sts.Spec.Replicas == nil || *sts.Spec.Replicas != 1 {
		t.Errorf("replicas = %v, want 1", sts.Spec.Replicas)
	}
	var headless, http *corev1.Service
	for _, o := range ofKind(objs, "Service") {
		s := convert[corev1.Service](t, o)
		if s.Spec.ClusterIP == corev1.ClusterIPNone {
			headless = s
		} else {
			http = s
		}
	}
	if headless == nil || http == nil || sts.Spec.ServiceName != headless.Name {
		t.Fatalf("want a headless Service governing the StatefulSet and an HTTP Service; serviceName %q", sts.Spec.ServiceName)
	}
	var claims []string
	for _, c := range sts.Spec.VolumeClaimTemplates {
		claims = append(claims, c.Name)
	}
	if !slices.Equal(claims, []string{"data", "raft"}) {
		t.Errorf("volume claims %v, want data and raft", claims)
	}
	pod := sts.Spec.Template.Spec
	c := pod.Containers[0]
	if c.LivenessProbe.HTTPGet.Path != "/healthz" || c.ReadinessProbe.HTTPGet.Path != "/readyz" || c.StartupProbe.HTTPGet.Path != "/healthz" {
		t.Errorf("probes on %s, %s, %s; want /healthz, /readyz, /healthz", c.LivenessProbe.HTTPGet.Path, c.ReadinessProbe.HTTPGet.Path, c.StartupProbe.HTTPGet.Path)
	}
	if pod.SecurityContext.RunAsNonRoot == nil || !*pod.SecurityContext.RunAsNonRoot || c.SecurityContext.RunAsNonRoot == nil || !*c.SecurityContext.RunAsNonRoot {
		t.Error("hearth may run as root")
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Error("hearth gets a service account token it never uses")
	}
	fromSecret := map[string]string{}
	for _, e := range c.Env {
		if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
			fromSecret[e.Name] = e.ValueFrom.SecretKeyRef.Name + "/" + e.ValueFrom.SecretKeyRef.Key
		} else if e.Value != "" && strings.Contains(strings.ToLower(e.Name), "url") && e.Name != "HEARTH_PUBLIC_URL" {
			t.Errorf("%s is a plain value, want it from a Secret", e.Name)
		}
	}
	want := map[string]string{
		"HEARTH_DATABASE_URL": "hearth-database/url", "HEARTH_REDIS_URL": "hearth-redis/url",
		"HEARTH_S3_ENDPOINT": "hearth-s3/endpoint", "HEARTH_S3_ACCESS_KEY": "hearth-s3/access-key", "HEARTH_S3_SECRET_KEY": "hearth-s3/secret-key",
	}
	for k, v := range want {
		if fromSecret[k] != v {
			t.Errorf("%s from Secret %q, want %q", k, fromSecret[k], v)
		}
	}
	if len(ofKind(objs, "Ingress"))+len(ofKind(objs, "ServiceMonitor")) != 0 {
		t.Error("Ingress or ServiceMonitor rendered by default")
	}
}

// TestAgentDefaults: `hearth-agent run --runner kubernetes`, jobs in the
// release's namespace, its own image as the helper, the join token from a
// Secret, the data directory on an emptyDir, not root, read-only root.
func TestAgentDefaults(t *testing.T) {
	objs := mustRender(t, agentChart, values(t, ""))
	dep := one[appsv1.Deployment](t, objs, "Deployment")
	if dep.Spec.Replicas == nil || *dep.Spec.Replicas != 1 {
		t.Errorf("replicas = %v, want 1", dep.Spec.Replicas)
	}
	pod := dep.Spec.Template.Spec
	c := pod.Containers[0]
	if got := strings.Join(append(slices.Clone(c.Command), c.Args...), " "); got != "/hearth-agent run --runner kubernetes" {
		t.Errorf("runs %q", got)
	}
	env := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		env[e.Name] = e
	}
	if v := env["HEARTH_AGENT_KUBE_NAMESPACE"].Value; v != releaseNamespace {
		t.Errorf("--kube-namespace %q, want the release's %q", v, releaseNamespace)
	}
	if v := env["HEARTH_AGENT_KUBE_HELPER_IMAGE"].Value; v != c.Image {
		t.Errorf("--kube-helper-image %q, want the agent's image %q", v, c.Image)
	}
	if ref := env["HEARTH_AGENT_JOIN_TOKEN"].ValueFrom; ref == nil || ref.SecretKeyRef == nil || ref.SecretKeyRef.Name != "hearth-agent-join-token" {
		t.Errorf("the join token is not read from Secret hearth-agent-join-token: %+v", env["HEARTH_AGENT_JOIN_TOKEN"])
	}
	if v := env["HEARTH_AGENT_SERVER"].Value; v != "http://hearth:8080" {
		t.Errorf("--server %q, want the hearth chart's Service", v)
	}
	dataDir := env["HEARTH_AGENT_DATA_DIR"].Value
	mounted := false
	for _, m := range c.VolumeMounts {
		for _, v := range pod.Volumes {
			if v.Name == m.Name && v.EmptyDir != nil && strings.HasPrefix(dataDir, m.MountPath+"/") {
				mounted = true
			}
		}
	}
	if !mounted {
		t.Errorf("data directory %q is not inside an emptyDir", dataDir)
	}
	sc := c.SecurityContext
	if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
		t.Errorf("security context %+v: want non-root and a read-only root filesystem", sc)
	}
	if pod.ServiceAccountName != one[corev1.ServiceAccount](t, objs, "ServiceAccount").Name {
		t.Errorf("the pod runs as %q, not the chart's service account", pod.ServiceAccountName)
	}
	if len(ofKind(objs, "Secret")) != 1 {
		t.Errorf("want only the credential Secret without joinToken, got %d Secrets", len(ofKind(objs, "Secret")))
	}
	// Workloads reach the OTLP receiver through a Service, and jobs are
	// told its address.
	svc := one[corev1.Service](t, objs, "Service")
	if svc.Name != "hearth-agent-otlp" || len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Port != 4318 ||
		svc.Spec.Ports[0].TargetPort.StrVal != "otlp" || svc.Spec.Selector["app.kubernetes.io/name"] == "" {
		t.Errorf("OTLP Service %+v", svc)
	}
	if len(c.Ports) != 1 || c.Ports[0].Name != "otlp" || c.Ports[0].ContainerPort != 4318 {
		t.Errorf("container ports %+v", c.Ports)
	}
	if v := env["HEARTH_AGENT_OTLP_LISTEN"].Value; v != "0.0.0.0:4318" {
		t.Errorf("--otlp-listen %q", v)
	}
	if v := env["HEARTH_AGENT_OTLP_ENDPOINT"].Value; v != "http://hearth-agent-otlp."+releaseNamespace+".svc:4318" {
		t.Errorf("--otlp-endpoint %q", v)
	}
	off := mustRender(t, agentChart, map[string]any{"otlp": map[string]any{"enabled": false}})
	if len(ofKind(off, "Service")) != 0 {
		t.Error("a Service without the receiver")
	}
}

// expectedAgentRules are the agent's permissions, all of them
// (docs/kubernetes.md explains each).
func expectedAgentRules(fullname string) (jobs, self []rbacv1.PolicyRule) {
	jobs = []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"create", "get", "list", "watch", "delete"}},
		{APIGroups: []string{""}, Resources: []string{"pods/log"}, Verbs: []string{"get"}},
		{APIGroups: []string{""}, Resources: []string{"pods/exec", "pods/attach"}, Verbs: []string{"create", "get"}},
		{APIGroups: []string{""}, Resources: []string{"events"}, Verbs: []string{"get", "list", "watch"}},
	}
	self = []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"secrets"}, ResourceNames: []string{fullname + "-credential"}, Verbs: []string{"get", "update"}},
		{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, ResourceNames: []string{fullname}, Verbs: []string{"get", "update"}},
		{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, Verbs: []string{"create"}},
	}
	return jobs, self
}

// TestAgentRole: the agent's Roles hold exactly the expected rules, no
// wildcard, nothing cluster-scoped, bound to the agent's service
// account; with job pods in another namespace the pod rules move there.
func TestAgentRole(t *testing.T) {
	for _, c := range []struct {
		values, fullname, account string
		split                     bool
	}{
		{"", "hearth-agent", "hearth-agent", false},
		{"hearth-agent-full.yaml", "agent", "agent-runner", true},
	} {
		t.Run("values "+c.values, func(t *testing.T) {
			objs := mustRender(t, agentChart, values(t, c.values))
			for _, kind := range []string{"ClusterRole", "ClusterRoleBinding"} {
				if n := len(ofKind(objs, kind)); n > 0 {
					t.Errorf("%d %s rendered", n, kind)
				}
			}
			jobs, self := expectedAgentRules(c.fullname)
			want := map[string][]rbacv1.PolicyRule{releaseNamespace: append(slices.Clone(jobs), self...)}
			if c.split {
				want = map[string][]rbacv1.PolicyRule{releaseNamespace: self, jobsNamespace: jobs}
			}
			got := map[string][]rbacv1.PolicyRule{}
			for _, o := range ofKind(objs, "Role") {
				role := convert[rbacv1.Role](t, o)
				if role.Name != c.fullname {
					t.Errorf("Role %s, want %s", role.Name, c.fullname)
				}
				got[role.Namespace] = append(got[role.Namespace], role.Rules...)
			}
			for ns := range mergeKeys(want, got) {
				if w, g := normalize(want[ns]), normalize(got[ns]); !slices.Equal(w, g) {
					t.Errorf("rules in namespace %q:\n got  %s\n want %s", ns, strings.Join(g, "\n      "), strings.Join(w, "\n      "))
				}
				for _, r := range got[ns] {
					checkNoWildcard(t, r)
				}
			}
			bindings := ofKind(objs, "RoleBinding")
			if len(bindings) != len(want) {
				t.Errorf("%d RoleBindings, want %d", len(bindings), len(want))
			}
			for _, o := range bindings {
				b := convert[rbacv1.RoleBinding](t, o)
				if b.RoleRef.Kind != "Role" || b.RoleRef.Name != c.fullname {
					t.Errorf("RoleBinding %s/%s binds %s %s", b.Namespace, b.Name, b.RoleRef.Kind, b.RoleRef.Name)
				}
				wantSubject := rbacv1.Subject{Kind: "ServiceAccount", Name: c.account, Namespace: releaseNamespace}
				if len(b.Subjects) != 1 || b.Subjects[0] != wantSubject {
					t.Errorf("RoleBinding %s/%s binds %+v, want only %+v", b.Namespace, b.Name, b.Subjects, wantSubject)
				}
			}
			credential := false
			for _, o := range ofKind(objs, "Secret") {
				credential = credential || (o.GetName() == c.fullname+"-credential" && o.GetNamespace() == releaseNamespace)
			}
			if !credential {
				t.Errorf("the credential Secret %s-credential the Role names is not rendered", c.fullname)
			}
		})
	}
}

func checkNoWildcard(t *testing.T, r rbacv1.PolicyRule) {
	t.Helper()
	if len(r.NonResourceURLs) > 0 {
		t.Errorf("rule %v grants non-resource URLs", r)
	}
	for _, list := range [][]string{r.APIGroups, r.Resources, r.Verbs, r.ResourceNames} {
		for _, s := range list {
			if strings.Contains(s, "*") {
				t.Errorf("rule %v has a wildcard", r)
			}
		}
	}
}

// normalize writes rules as sorted strings: their order, and the order
// within each list, mean nothing to RBAC.
func normalize(rules []rbacv1.PolicyRule) []string {
	out := make([]string, 0, len(rules))
	sorted := func(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }
	for _, r := range rules {
		out = append(out, fmt.Sprintf("groups=%q resources=%q names=%q verbs=%q urls=%q",
			sorted(r.APIGroups), sorted(r.Resources), sorted(r.ResourceNames), sorted(r.Verbs), sorted(r.NonResourceURLs)))
	}
	slices.Sort(out)
	return out
}

func mergeKeys[V any](maps ...map[string]V) map[string]bool {
	out := map[string]bool{}
	for _, m := range maps {
		for k := range m {
			out[k] = true
		}
	}
	return out
}

// containerOf returns the workload's first container.
func containerOf(t *testing.T, o *unstructured.Unstructured) corev1.Container {
	t.Helper()
	switch o.GetKind() {
	case "StatefulSet":
		return convert[appsv1.StatefulSet](t, o).Spec.Template.Spec.Containers[0]
	case "Deployment":
		return convert[appsv1.Deployment](t, o).Spec.Template.Spec.Containers[0]
	}
	t.Fatalf("%s is not a workload", o.GetKind())
	return corev1.Container{}
}

// TestHearthPublicURL: --public-url is config.publicURL, else the
// Ingress's first host (https with TLS), else unset (hearth's default).
func TestHearthPublicURL(t *testing.T) {
	ingress := func(tls bool) map[string]any {
		in := map[string]any{"enabled": true, "hosts": []any{map[string]any{"host": "git.example.org", "paths": []any{map[string]any{"path": "/", "pathType": "Prefix"}}}}}
		if tls {
			in["tls"] = []any{map[string]any{"secretName": "t", "hosts": []any{"git.example.org"}}}
		}
		return in
	}
	for _, c := range []struct {
		name string
		vals map[string]any
		want string
	}{
		{"none", map[string]any{}, ""},
		{"ingress", map[string]any{"ingress": ingress(false)}, "http://git.example.org"},
		{"ingress with TLS", map[string]any{"ingress": ingress(true)}, "https://git.example.org"},
		{"given", map[string]any{"ingress": ingress(true), "config": map[string]any{"publicURL": "https://hearth.example.net"}}, "https://hearth.example.net"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := ""
			for _, e := range containerOf(t, ofKind(mustRender(t, hearthChart, c.vals), "StatefulSet")[0]).Env {
				if e.Name == "HEARTH_PUBLIC_URL" {
					got = e.Value
				}
			}
			if got != c.want {
				t.Errorf("HEARTH_PUBLIC_URL %q, want %q", got, c.want)
			}
		})
	}
}
