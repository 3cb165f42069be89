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
	"google.golang.org/protobuf/encoding/protojson"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"

	"github.com/hearth-dev/hearth/nodeagent/internal/kubeclient"
	"github.com/hearth-dev/hearth/nodeagent/internal/podjob"
	"github.com/hearth-dev/hearth/nodeagent/internal/runner"
	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
	"github.com/hearth-dev/hearth/shared/logfield"
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
	Pod          PodConfig
	// KillGrace is the pods' termination grace period on cancel and
	// timeout (default 10s).
	KillGrace time.Duration
	Log       zerolog.Logger
}

// Runner runs each job as a pod (see doc.go).
type Runner struct {
	o      Options
	c      *kubeclient.Client
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
	c, err := kubeclient.New(o.Config, o.Namespace)
	if err != nil {
		return nil, fmt.Errorf("kubernetes runner: %w", err)
	}
	r := &Runner{o: o, c: c, watchers: map[string]chan struct{}{}, stopCh: make(chan struct{})}
	selector := r.selector().String()
	inf := cache.NewSharedIndexInformer(&cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, lo metav1.ListOptions) (runtime.Object, error) {
			lo.LabelSelector = selector
			return c.ListPods(ctx, lo)
		},
		WatchFuncWithContext: func(ctx context.Context, lo metav1.ListOptions) (watch.Interface, error) {
			lo.LabelSelector = selector
			return c.WatchPods(ctx, lo)
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
	// Adopted: rebuilt from the pod by an agent that did not start it, so
	// whether the checkout got its payload is unknown here.
	Adopted bool `json:"adopted,omitempty"`
}

func metaPath(dir string) string { return filepath.Join(dir, stateDir, "meta.json") }

// Start implements runner.Runner: it checks the job, builds its pod and
// returns; the handle creates the pod, delivers the checkout's credential
// and follows it. Creating is left to the handle because the session
// starts jobs from its stream loop: fifty pod creations in a row, each a
// round trip to the API server, would hold the agent's heartbeats. A
// creation the API server refuses ends the job FAILURE with its reason.
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
	h := r.newHandle(job, dir, m, &podjob.Payload{Token: job.GetCloneToken(), Files: job.GetFiles(), Env: job.GetSecretEnv()})
	h.create = pod
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
	m, err := r.resumeMeta(ctx, job, dir)
	if err != nil {
		return nil, err
	}
	if m.Pod == "" {
		// No pod was ever created, or it is gone.
		return r.lost(dir)
	}
	h := r.newHandle(job, dir, m, nil)
	go h.run() //nolint:gosec // G118: a job outlives the ctx of Start and Resume (package runner: lifecycle)
	return h, nil
}

// resumeMeta is the job's meta.json, or, for an adopted job (no such
// file), what its pod's annotations say; Pod is "" when the pod is gone.
func (r *Runner) resumeMeta(ctx context.Context, job *agentv1.RunJob, dir string) (meta, error) {
	var m meta
	data, err := os.ReadFile(metaPath(dir))
	switch {
	case err == nil:
		if err := json.Unmarshal(data, &m); err != nil {
			return meta{}, fmt.Errorf("%s: %w", metaPath(dir), err)
		}
	case !errors.Is(err, os.ErrNotExist):
		return meta{}, err
	}
	name := m.Pod
	if name == "" {
		name = PodName(job.GetJobId())
	}
	// Asked, not taken from the cache, which may lag either way: a pod
	// created just before a crash, or one deleted while nobody watched.
	pod, err := r.c.GetPod(ctx, name)
	if apierrors.IsNotFound(err) || (err == nil && pod.DeletionTimestamp != nil) {
		return meta{}, nil
	}
	if err != nil {
		return meta{}, fmt.Errorf("looking up pod %s: %w", name, err)
	}
	if m.Pod != "" {
		return m, nil
	}
	started, err := time.Parse(time.RFC3339Nano, pod.Annotations[AnnotationStart])
	if err != nil || pod.Annotations[AnnotationNonce] == "" || pod.Labels[LabelJob] != job.GetJobId() {
		return meta{}, fmt.Errorf("pod %s lacks Hearth's annotations: it cannot be adopted", name)
	}
	m = meta{Pod: name, Nonce: pod.Annotations[AnnotationNonce], Started: started, Adopted: true}
	if err := os.MkdirAll(filepath.Join(dir, stateDir), 0o700); err != nil {
		return meta{}, err
	}
	data, _ = json.Marshal(m)
	return m, runner.WriteFileAtomic(metaPath(dir), data)
}

// lost ends a job whose pod is gone.
func (r *Runner) lost(dir string) (runner.Handle, error) {
	res := runner.Result{State: agentv1.JobState_JOB_STATE_FAILURE, Message: runner.MsgLost, Step: 0}
	_ = runner.AppendLogLine(dir, 0, res.Message)
	if err := runner.WriteResult(dir, res); err != nil {
		return nil, err
	}
	return finishedHandle(res), nil
}

// Adoptable implements runner.Adopter: the jobs of this agent's pods that
// known does not name, from their annotations. A pod whose annotations
// cannot be read is deleted: nothing could follow it.
func (r *Runner) Adoptable(ctx context.Context, known func(jobID string) bool) ([]*agentv1.RunJob, error) {
	var out []*agentv1.RunJob
	for _, obj := range r.cache.List() {
		pod, ok := obj.(*corev1.Pod)
		if !ok || pod.DeletionTimestamp != nil || known(pod.Labels[LabelJob]) {
			continue
		}
		job := &agentv1.RunJob{}
		err := protojson.Unmarshal([]byte(pod.Annotations[AnnotationJob]), job)
		if err == nil && (job.GetJobId() != pod.Labels[LabelJob] || pod.Name != PodName(job.GetJobId())) {
			err = errors.New("its job annotation names another job")
		}
		if err == nil {
			err = runner.ValidateJob(job)
		}
		if err != nil {
			r.o.Log.Warn().Err(err).Str(logfield.Pod, pod.Name).Msg("deleting a job pod that cannot be adopted")
			if derr := r.c.DeletePod(ctx, pod.Name, 0); derr != nil && !apierrors.IsNotFound(derr) {
				return nil, derr
			}
			continue
		}
		out = append(out, job)
	}
	return out, nil
}
