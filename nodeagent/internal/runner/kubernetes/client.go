package kubernetes

import (
	"context"
	"io"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/rest"
)

// client is the runner's whole use of the Kubernetes API: pods, their
// logs and the namespace's events, in one namespace. It is a REST client
// over a scheme holding only core/v1: client-go's typed clientsets
// register every API group, which doubles the agent's binary.
type client struct {
	rc     rest.Interface
	cfg    *rest.Config // for exec and attach
	ns     string
	params runtime.ParameterCodec
}

func newClient(cfg *rest.Config, namespace string) (*client, error) {
	scheme := runtime.NewScheme()
	if err := corev1.AddToScheme(scheme); err != nil {
		return nil, err
	}
	c := rest.CopyConfig(cfg)
	c.APIPath = "/api"
	c.GroupVersion = &corev1.SchemeGroupVersion
	c.NegotiatedSerializer = serializer.NewCodecFactory(scheme).WithoutConversion()
	if c.UserAgent == "" {
		c.UserAgent = "hearth-agent"
	}
	rc, err := rest.RESTClientFor(c)
	if err != nil {
		return nil, err
	}
	return &client{rc: rc, cfg: cfg, ns: namespace, params: runtime.NewParameterCodec(scheme)}, nil
}

func (c *client) pods() *rest.Request { return c.rc.Get().Namespace(c.ns).Resource("pods") }

func (c *client) getPod(ctx context.Context, name string) (*corev1.Pod, error) {
	p := &corev1.Pod{}
	return p, c.pods().Name(name).Do(ctx).Into(p)
}

func (c *client) listPods(ctx context.Context, opts metav1.ListOptions) (*corev1.PodList, error) {
	l := &corev1.PodList{}
	return l, c.pods().VersionedParams(&opts, c.params).Do(ctx).Into(l)
}

func (c *client) watchPods(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
	opts.Watch = true
	return c.pods().VersionedParams(&opts, c.params).Watch(ctx)
}

func (c *client) createPod(ctx context.Context, pod *corev1.Pod) (*corev1.Pod, error) {
	out := &corev1.Pod{}
	return out, c.rc.Post().Namespace(c.ns).Resource("pods").Body(pod).Do(ctx).Into(out)
}

func (c *client) deletePod(ctx context.Context, name string, grace int64) error {
	return c.rc.Delete().Namespace(c.ns).Resource("pods").Name(name).Body(&metav1.DeleteOptions{GracePeriodSeconds: &grace}).Do(ctx).Error()
}

func (c *client) podLogs(ctx context.Context, name string, opts *corev1.PodLogOptions) (io.ReadCloser, error) {
	return c.pods().Name(name).SubResource("log").VersionedParams(opts, c.params).Stream(ctx)
}

func (c *client) listEvents(ctx context.Context, fieldSelector string) (*corev1.EventList, error) {
	l := &corev1.EventList{}
	opts := metav1.ListOptions{FieldSelector: fieldSelector}
	return l, c.rc.Get().Namespace(c.ns).Resource("events").VersionedParams(&opts, c.params).Do(ctx).Into(l)
}

// streamURL is the URL of a pod's exec or attach with opts.
func (c *client) streamURL(pod, sub string, opts runtime.Object) string {
	return c.rc.Post().Namespace(c.ns).Resource("pods").Name(pod).SubResource(sub).VersionedParams(opts, c.params).URL().String()
}
