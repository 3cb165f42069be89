package charts

// Helm here is helm.sh/helm/v4 v4.3.2, linked as a Go module (pinned in
// go.mod, so `go mod download` verifies it against go.sum) and driven
// through its public packages: the chart loader (pkg/chart/v2/loader),
// `helm lint` (action.Lint) and `helm template` (action.Install with a
// client-only dry run, which renders without a cluster). No helm binary is
// downloaded: the machines that run `make test` reach only the Go module
// proxy, apt and npm, and a module pinned in go.sum is as reproducible as
// any other dependency. The k8s.io modules stay at v0.37.2, the version
// the rest of the workspace (client-go in nodeagent) uses.

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	release "helm.sh/helm/v4/pkg/release/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// The charts, the release each is installed as, and its namespace.
const (
	hearthChart = "hearth"
	agentChart  = "hearth-agent"
	// The hearth-agent chart's default --server is the hearth chart
	// installed as release "hearth" in the same namespace.
	releaseNamespace = "hearth"
	// Where the full agent values put job pods.
	jobsNamespace = "hearth-jobs"
)

// kubeVersion is the API server's version (scripts/k8s-tools.sh builds
// v1.37.2), given to lint and render as .Capabilities.KubeVersion.
var kubeVersion = mustKubeVersion("v1.37.2")

func mustKubeVersion(v string) *common.KubeVersion {
	kv, err := common.ParseKubeVersion(v)
	if err != nil {
		panic(err)
	}
	return kv
}

// releaseName is what each chart is installed as in the tests.
func releaseName(chart string) string { return chart }

// values reads a values file of testdata; "" means the chart's defaults.
func values(t *testing.T, file string) map[string]any {
	t.Helper()
	if file == "" {
		return map[string]any{}
	}
	v, err := common.ReadValuesFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	return v.AsMap()
}

// render is `helm template`: the chart's manifest with vals over its
// defaults (values.schema.json checked), never touching a cluster.
func render(t *testing.T, chart string, vals map[string]any) (string, error) {
	t.Helper()
	ch, err := loader.Load(chart)
	if err != nil {
		t.Fatalf("loading chart %s: %v", chart, err)
	}
	install := action.NewInstall(action.NewConfiguration())
	install.DryRunStrategy = action.DryRunClient
	install.ReleaseName = releaseName(chart)
	install.Namespace = releaseNamespace
	install.KubeVersion = kubeVersion
	rel, err := install.RunWithContext(context.Background(), ch, vals)
	if err != nil {
		return "", err
	}
	r, ok := rel.(*release.Release)
	if !ok {
		t.Fatalf("helm returned a %T, not a v1 release", rel)
	}
	return r.Manifest, nil
}

// mustRender renders or fails the test.
func mustRender(t *testing.T, chart string, vals map[string]any) []*unstructured.Unstructured {
	t.Helper()
	manifest, err := render(t, chart, vals)
	if err != nil {
		t.Fatalf("rendering %s: %v", chart, err)
	}
	objs, err := decode(manifest)
	if err != nil {
		t.Fatalf("rendered %s does not decode: %v\n%s", chart, err, manifest)
	}
	if len(objs) == 0 {
		t.Fatalf("%s rendered nothing", chart)
	}
	return objs
}

// decode splits a multi-document manifest into objects, skipping empty
// documents (helm's "# Source:" comments alone).
func decode(manifest string) ([]*unstructured.Unstructured, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(manifest), 4096)
	var out []*unstructured.Unstructured
	for {
		var m map[string]any
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			return out, nil
		} else if err != nil {
			return nil, err
		}
		if len(m) == 0 {
			continue
		}
		out = append(out, &unstructured.Unstructured{Object: m})
	}
}

// ofKind returns the objects of one kind.
func ofKind(objs []*unstructured.Unstructured, kind string) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == kind {
			out = append(out, o)
		}
	}
	return out
}

// one returns the only object of a kind, failing the test otherwise.
func one[T any](t *testing.T, objs []*unstructured.Unstructured, kind string) *T {
	t.Helper()
	found := ofKind(objs, kind)
	if len(found) != 1 {
		t.Fatalf("want exactly one %s, rendered %d", kind, len(found))
	}
	return convert[T](t, found[0])
}

// convert turns an unstructured object into its typed form.
func convert[T any](t *testing.T, o *unstructured.Unstructured) *T {
	t.Helper()
	out := new(T)
	if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(o.Object, out, true); err != nil {
		t.Fatalf("%s %s: %v", o.GetKind(), o.GetName(), err)
	}
	return out
}
