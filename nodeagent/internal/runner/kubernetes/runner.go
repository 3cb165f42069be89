package kubernetes

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/rs/zerolog"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"

	"github.com/hearth-dev/hearth/nodeagent/internal/runner"
	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
)

// Kind is the runner's name (--runner kubernetes).
const Kind = "kubernetes"

// stateDir is the runner's own directory inside a job directory.
const stateDir = "kubernetes"

// Options configure a Runner.
type Options struct {
	// Config reaches the API server.
	Config *rest.Config
	// Namespace is where job pods run; the runner never touches another.
	Namespace string
	// Cluster and Agent name the pods' owners (labels).
	Cluster, Agent string
	// HelperImage holds hearth-agent: the checkout and the sidecar run it,
	// as HelperCommand (default /hearth-agent).
	HelperImage   string
	HelperCommand []string
	// DefaultImage runs jobs whose .hearth.yml names no image.
	DefaultImage string
	PullPolicy   corev1.PullPolicy // default IfNotPresent
	Pod          PodDefaults
	// KillGrace is the pods' termination grace period on cancel and
	// timeout (default 10s).
	KillGrace time.Duration
	Log       zerolog.Logger
}

// Runner runs each job as a pod (see doc.go).
type Runner struct {
	o      Options
	c      *client
	cache  cache.Indexer
	stopCh chan struct{}

	mu       sync.Mutex
	watchers map[string]chan struct{} // pod name → its handle's wake-up
}

// New checks o, starts watching the namespace's pods of this agent (until
// ctx ends) and returns once the watch's cache is filled.
func New(ctx context.Context, o Options) (*Runner, error) {
	switch {
	case o.Config == nil:
		return nil, errors.New("kubernetes runner: no cluster client")
	case o.Namespace == "":
		return nil, errors.New("kubernetes runner: no namespace")
	case o.HelperImage == "":
		return nil, errors.New("kubernetes runner: no helper image (the image holding hearth-agent)")
	case o.Agent == "" || labelValue(o.Agent) == "":
		return nil, errors.New("kubernetes runner: no agent name")
	}
	if err := checkImage(o.HelperImage); err != nil {
		return nil, fmt.Errorf("kubernetes runner: helper %w", err)
	}
	if o.DefaultImage == "" {
		o.DefaultImage = "busybox"
	}
	if err := checkImage(o.DefaultImage); err != nil {
		return nil, fmt.Errorf("kubernetes runner: default %w", err)
	}
	if len(o.HelperCommand) == 0 {
		o.HelperCommand = []string{"/hearth-agent"}
	}
	if o.PullPolicy == "" {
		o.PullPolicy = corev1.PullIfNotPresent
	}
	if o.KillGrace <= 0 {
		o.KillGrace = 10 * time.Second
	}
	c, err := newClient(o.Config, o.Namespace)
	if err != nil {
		return nil, fmt.Errorf("kubernetes runner: %w", err)
	}
	r := &Runner{o: o, c: c, watchers: map[string]chan struct{}{}, stopCh: make(chan struct{})}
	selector := r.selector().String()
	inf := cache.NewSharedIndexInformer(&cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, lo metav1.ListOptions) (runtime.Object, error) {
			lo.LabelSelector = selector
			return c.listPods(ctx, lo)
		},
		WatchFuncWithContext: func(ctx context.Context, lo metav1.ListOptions) (watch.Interface, error) {
			lo.LabelSelector = selector
			return c.watchPods(ctx, lo)
		},
	}, &corev1.Pod{}, 0, cache.Indexers{})
	if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    r.wake,
		UpdateFunc: func(_, obj any) { r.wake(obj) },
		DeleteFunc: r.wake,
	}); err != nil {
		return nil, err
	}
	r.cache = inf.GetIndexer()
	go func() {
		<-ctx.Done()
		close(r.stopCh)
	}()
	go inf.RunWithContext(ctx)
	if !cache.WaitForCacheSync(ctx.Done(), inf.HasSynced) {
		return nil, fmt.Errorf("kubernetes runner: watching pods in namespace %s did not start: %w", o.Namespace, context.Cause(ctx))
	}
	return r, nil
}

// Kind implements runner.Runner.
func (r *Runner) Kind() string { return Kind }

// selector selects this agent's pods.
func (r *Runner) selector() labels.Selector {
	return labels.SelectorFromSet(labels.Set{LabelManagedBy: ManagedBy, LabelCluster: labelValue(r.o.Cluster), LabelAgent: labelValue(r.o.Agent)})
}

// wake tells the handle of the pod in obj to look again.
func (r *Runner) wake(obj any) {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return
	}
	r.mu.Lock()
	ch := r.watchers[pod.Name]
	r.mu.Unlock()
	if ch != nil {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// watch registers a wake-up channel for a pod; the returned func ends it.
func (r *Runner) watch(name string) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	r.mu.Lock()
	r.watchers[name] = ch
	r.mu.Unlock()
	return ch, func() {
		r.mu.Lock()
		if r.watchers[name] == ch {
			delete(r.watchers, name)
		}
		r.mu.Unlock()
	}
}

// pod is the cached pod, nil when it does not exist.
func (r *Runner) pod(name string) *corev1.Pod {
	obj, ok, err := r.cache.GetByKey(r.o.Namespace + "/" + name)
	if err != nil || !ok {
		return nil
	}
	p, _ := obj.(*corev1.Pod)
	return p
}

// meta is what the runner records in <dir>/kubernetes/meta.json.
type meta struct {
	Pod     string    `json:"pod"`
	Nonce   string    `json:"nonce"`
	Started time.Time `json:"started"`
}

func metaPath(dir string) string { return filepath.Join(dir, stateDir, "meta.json") }

// Start implements runner.Runner: it creates the job's pod and returns;
// the handle delivers the checkout's credential and follows the pod.
func (r *Runner) Start(ctx context.Context, job *agentv1.RunJob, dir string) (runner.Handle, error) {
	if err := runner.ValidateJob(job); err != nil {
		return nil, err
	}
	m := meta{Pod: PodName(job.GetJobId()), Nonce: newNonce(), Started: time.Now().UTC()}
	pod, err := r.buildPod(job, m.Nonce, m.Started)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(dir, stateDir), 0o700); err != nil {
		return nil, err
	}
	data, _ := json.Marshal(m)
	if err := runner.WriteFileAtomic(metaPath(dir), data); err != nil {
		return nil, err
	}
	if _, err := r.c.createPod(ctx, pod); err != nil {
		return nil, fmt.Errorf("creating pod %s in namespace %s: %w", pod.Name, r.o.Namespace, err)
	}
	h := r.newHandle(job, dir, m, &payload{Token: job.GetCloneToken()})
	go h.run() //nolint:gosec // G118: a job outlives the ctx of Start and Resume (package runner: lifecycle)
	return h, nil
}

// Resume implements runner.Runner: a job with a result is done; one whose
// pod still exists is followed again (from the log cursors); one whose pod
// is gone ends FAILURE runner.MsgLost.
func (r *Runner) Resume(ctx context.Context, job *agentv1.RunJob, dir string) (runner.Handle, error) {
	if res, found, err := runner.ReadResult(dir); err != nil {
		return nil, err
	} else if found {
		return finishedHandle(res), nil
	}
	var m meta
	data, err := os.ReadFile(metaPath(dir))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if err == nil {
		if err := json.Unmarshal(data, &m); err != nil {
			return nil, fmt.Errorf("%s: %w", metaPath(dir), err)
		}
	}
	if m.Pod == "" {
		// Never recorded: the pod was never created.
		return r.lost(dir, job, "")
	}
	if r.pod(m.Pod) == nil {
		// The cache may lag a pod created just before a crash: ask.
		if _, err := r.c.getPod(ctx, m.Pod); apierrors.IsNotFound(err) {
			return r.lost(dir, job, "")
		} else if err != nil {
			return nil, fmt.Errorf("looking up pod %s: %w", m.Pod, err)
		}
	}
	h := r.newHandle(job, dir, m, nil)
	go h.run() //nolint:gosec // G118: a job outlives the ctx of Start and Resume (package runner: lifecycle)
	return h, nil
}

// lost ends a job whose pod is gone.
func (r *Runner) lost(dir string, job *agentv1.RunJob, detail string) (runner.Handle, error) {
	msg := runner.MsgLost
	if detail != "" {
		msg += ": " + detail
	}
	res := runner.Result{State: agentv1.JobState_JOB_STATE_FAILURE, Message: msg, Step: 0}
	_ = runner.AppendLogLine(dir, 0, msg)
	if err := runner.WriteResult(dir, res); err != nil {
		return nil, err
	}
	_ = job
	return finishedHandle(res), nil
}
