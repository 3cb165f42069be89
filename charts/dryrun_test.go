package charts

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"sigs.k8s.io/yaml"

	"github.com/hearth-dev/hearth/nodeagent/kubetest"
)

// warnings collects the API server's Warning headers (deprecated APIs,
// dubious values): a chart that draws one fails.
type warnings struct {
	mu   sync.Mutex
	list []string
}

func (w *warnings) HandleWarningHeader(_ int, _, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.list = append(w.list, text)
}

func (w *warnings) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.list
	w.list = nil
	return out
}

// TestServerDryRun sends every object each render produces to a real
// kube-apiserver (nodeagent/kubetest: etcd + kube-apiserver on loopback)
// as a create with dryRun=All and strict field validation: the API
// server's own defaulting, validation and admission judge them (an
// unknown or misplaced field, a bad quantity or port, a label too long,
// a Role the RBAC API refuses), and nothing is stored. The
// ServiceMonitor CRD comes from testdata (no Prometheus Operator here).
func TestServerDryRun(t *testing.T) {
	cp := kubetest.StartControlPlane(t)
	cp.Namespace(t, releaseNamespace)
	cp.Namespace(t, jobsNamespace)

	warn := &warnings{}
	cfg := rest.CopyConfig(cp.Config)
	cfg.WarningHandler = warn
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	disco, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disco))
	installCRD(t, dyn, filepath.Join("testdata", "servicemonitor-crd.yaml"))
	waitServed(t, mapper, schema.GroupKind{Group: "monitoring.coreos.com", Kind: "ServiceMonitor"})

	ctx := context.Background()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			objs := mustRender(t, c.chart, values(t, c.values))
			kinds := map[string]int{}
			for _, o := range objs {
				kinds[o.GetKind()]++
				gvk := o.GroupVersionKind()
				m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
				if err != nil {
					t.Errorf("%s %s: the API server does not serve %s: %v", o.GetKind(), o.GetName(), gvk, err)
					continue
				}
				if m.Scope.Name() != meta.RESTScopeNameNamespace {
					t.Errorf("%s %s is cluster-scoped", o.GetKind(), o.GetName())
					continue
				}
				_, err = dyn.Resource(m.Resource).Namespace(o.GetNamespace()).Create(ctx, o, metav1.CreateOptions{
					DryRun:          []string{metav1.DryRunAll},
					FieldValidation: metav1.FieldValidationStrict,
				})
				if err != nil {
					t.Errorf("%s %s/%s refused: %v", o.GetKind(), o.GetNamespace(), o.GetName(), err)
				}
				for _, w := range warn.take() {
					t.Errorf("%s %s/%s: the API server warns: %s", o.GetKind(), o.GetNamespace(), o.GetName(), w)
				}
			}
			t.Logf("dry-ran %v", kinds)
		})
	}

	// Nothing was stored: the dry runs left the namespace as it was.
	sts, err := cp.Client.AppsV1().StatefulSets(releaseNamespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(sts.Items) != 0 {
		t.Errorf("a dry run stored %d StatefulSets", len(sts.Items))
	}
}

// installCRD creates a CustomResourceDefinition from a file and waits
// until the API server serves it.
func installCRD(t *testing.T, dyn dynamic.Interface, path string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	crd := &unstructured.Unstructured{}
	if err := yaml.Unmarshal(raw, &crd.Object); err != nil {
		t.Fatal(err)
	}
	crds := dyn.Resource(schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"})
	ctx := context.Background()
	if _, err := crds.Create(ctx, crd, metav1.CreateOptions{FieldValidation: metav1.FieldValidationStrict}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatalf("installing %s: %v", path, err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, err := crds.Get(ctx, crd.GetName(), metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		conds, _, _ := unstructured.NestedSlice(got.Object, "status", "conditions")
		for _, c := range conds {
			if m, ok := c.(map[string]any); ok && m["type"] == "Established" && m["status"] == "True" {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("CRD %s not established: %v", crd.GetName(), conds)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitServed waits until discovery lists a kind (a new CRD reaches
// discovery shortly after it is established).
func waitServed(t *testing.T, mapper *restmapper.DeferredDiscoveryRESTMapper, gk schema.GroupKind) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		mapper.Reset()
		_, err := mapper.RESTMapping(gk)
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never appeared in discovery: %v", gk, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
