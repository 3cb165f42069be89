// Package kubeclient is the node agent's whole use of the Kubernetes API,
// in one namespace: pods, their logs, exec and attach, events, the agent's
// own Secret and its Lease. It is a REST client over a scheme holding only
// core/v1 and coordination/v1: client-go's typed clientsets register every
// API group, which doubles the agent's binary.
package kubeclient

import (
	"context"
	"io"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/rest"
)

// Client reaches one namespace.
type Client struct {
	core, coord rest.Interface
	cfg         *rest.Config
	ns          string
	params      runtime.ParameterCodec
}

// New makes a client for namespace.
func New(cfg *rest.Config, namespace string) (*Client, error) {
	scheme := runtime.NewScheme()
	if err := corev1.AddToScheme(scheme); err != nil {
		return nil, err
	}
	if err := coordinationv1.AddToScheme(scheme); err != nil {
		return nil, err
	}
	codecs := serializer.NewCodecFactory(scheme).WithoutConversion()
	restFor := func(path string, gv schema.GroupVersion) (rest.Interface, error) {
		c := rest.CopyConfig(cfg)
		c.APIPath = path
		c.GroupVersion = &gv
		c.NegotiatedSerializer = codecs
		if c.UserAgent == "" {
			c.UserAgent = "hearth-agent"
		}
		return rest.RESTClientFor(c)
	}
	core, err := restFor("/api", corev1.SchemeGroupVersion)
	if err != nil {
		return nil, err
	}
	coord, err := restFor("/apis", coordinationv1.SchemeGroupVersion)
	if err != nil {
		return nil, err
	}
	return &Client{core: core, coord: coord, cfg: cfg, ns: namespace, params: runtime.NewParameterCodec(scheme)}, nil
}

// Namespace is the client's namespace.
func (c *Client) Namespace() string { return c.ns }

// Config is the REST configuration (exec and attach dial with it).
func (c *Client) Config() *rest.Config { return c.cfg }

func (c *Client) pods() *rest.Request { return c.core.Get().Namespace(c.ns).Resource("pods") }

// GetPod gets a pod.
func (c *Client) GetPod(ctx context.Context, name string) (*corev1.Pod, error) {
	p := &corev1.Pod{}
	return p, c.pods().Name(name).Do(ctx).Into(p)
}

// ListPods lists pods.
func (c *Client) ListPods(ctx context.Context, opts metav1.ListOptions) (*corev1.PodList, error) {
	l := &corev1.PodList{}
	return l, c.pods().VersionedParams(&opts, c.params).Do(ctx).Into(l)
}

// WatchPods watches pods.
func (c *Client) WatchPods(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
	opts.Watch = true
	return c.pods().VersionedParams(&opts, c.params).Watch(ctx)
}

// CreatePod creates a pod.
func (c *Client) CreatePod(ctx context.Context, pod *corev1.Pod) (*corev1.Pod, error) {
	out := &corev1.Pod{}
	return out, c.core.Post().Namespace(c.ns).Resource("pods").Body(pod).Do(ctx).Into(out)
}

// DeletePod deletes a pod with a grace period in seconds.
func (c *Client) DeletePod(ctx context.Context, name string, grace int64) error {
	return c.core.Delete().Namespace(c.ns).Resource("pods").Name(name).Body(&metav1.DeleteOptions{GracePeriodSeconds: &grace}).Do(ctx).Error()
}

// PodLogs streams a container's log.
func (c *Client) PodLogs(ctx context.Context, name string, opts *corev1.PodLogOptions) (io.ReadCloser, error) {
	return c.pods().Name(name).SubResource("log").VersionedParams(opts, c.params).Stream(ctx)
}

// ListEvents lists the namespace's events matching a field selector.
func (c *Client) ListEvents(ctx context.Context, fieldSelector string) (*corev1.EventList, error) {
	l := &corev1.EventList{}
	opts := metav1.ListOptions{FieldSelector: fieldSelector}
	return l, c.core.Get().Namespace(c.ns).Resource("events").VersionedParams(&opts, c.params).Do(ctx).Into(l)
}

// StreamURL is the URL of a pod's exec or attach with opts.
func (c *Client) StreamURL(pod, sub string, opts runtime.Object) string {
	return c.core.Post().Namespace(c.ns).Resource("pods").Name(pod).SubResource(sub).VersionedParams(opts, c.params).URL().String()
}

// GetSecret gets a Secret.
func (c *Client) GetSecret(ctx context.Context, name string) (*corev1.Secret, error) {
	s := &corev1.Secret{}
	return s, c.core.Get().Namespace(c.ns).Resource("secrets").Name(name).Do(ctx).Into(s)
}

// UpdateSecret replaces a Secret (optimistic: its resourceVersion must be current).
func (c *Client) UpdateSecret(ctx context.Context, s *corev1.Secret) (*corev1.Secret, error) {
	out := &corev1.Secret{}
	return out, c.core.Put().Namespace(c.ns).Resource("secrets").Name(s.Name).Body(s).Do(ctx).Into(out)
}

// GetLease gets a Lease.
func (c *Client) GetLease(ctx context.Context, name string) (*coordinationv1.Lease, error) {
	l := &coordinationv1.Lease{}
	return l, c.coord.Get().Namespace(c.ns).Resource("leases").Name(name).Do(ctx).Into(l)
}

// CreateLease creates a Lease.
func (c *Client) CreateLease(ctx context.Context, l *coordinationv1.Lease) (*coordinationv1.Lease, error) {
	out := &coordinationv1.Lease{}
	return out, c.coord.Post().Namespace(c.ns).Resource("leases").Body(l).Do(ctx).Into(out)
}

// UpdateLease replaces a Lease (optimistic: its resourceVersion must be current).
func (c *Client) UpdateLease(ctx context.Context, l *coordinationv1.Lease) (*coordinationv1.Lease, error) {
	out := &coordinationv1.Lease{}
	return out, c.coord.Put().Namespace(c.ns).Resource("leases").Name(l.Name).Body(l).Do(ctx).Into(out)
}
