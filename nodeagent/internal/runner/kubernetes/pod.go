package kubernetes

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/hearth-dev/hearth/nodeagent/internal/runner"
	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
)

// Labels and annotations on every job pod. The labels identify the pod
// (orphan collection and adoption select on them); the annotations carry
// what a restarted agent needs to follow the pod again.
const (
	LabelManagedBy  = "app.kubernetes.io/managed-by"
	ManagedBy       = "hearth-agent"
	LabelCluster    = "hearth.dev/cluster"
	LabelAgent      = "hearth.dev/agent"
	LabelJob        = "hearth.dev/job"
	LabelAttempt    = "hearth.dev/attempt"
	AnnotationNonce = "hearth.dev/log-nonce"
	AnnotationStart = "hearth.dev/started-at"
	AnnotationLimit = "hearth.dev/timeout"
	AnnotationName  = "hearth.dev/job-name"
	// AnnotationJob is the RunJob without its token and step scripts
	// (protojson): what an agent adopting the pod records as job.json.
	AnnotationJob = "hearth.dev/run-job"

	initContainer = "checkout"
	jobContainer  = "job"
	volWorkspace  = "workspace"
	volRun        = "hearth-run"
)

// imageRef is what an image reference may look like: registry, path, tag
// and digest characters only, so it can carry neither a flag nor YAML.
var imageRef = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/:@-]{0,511}$`)

// checkImage refuses an image reference that is not one.
func checkImage(image string) error {
	if !imageRef.MatchString(image) {
		return fmt.Errorf("image %.80q is not an image reference (letters, digits and . _ / : @ -, at most 512)", image)
	}
	return nil
}

// PodName is the name of a job's pod.
func PodName(jobID string) string { return "hearth-job-" + strings.ToLower(jobID) }

// newNonce is a job's marker nonce.
func newNonce() string {
	var b [9]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// labelValue makes s a valid label value (agent and cluster names are free
// text): characters outside the alphabet become '_', at most 63.
func labelValue(s string) string {
	b := []byte(s)
	for i, c := range b {
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '-' && c != '_' && c != '.' {
			b[i] = '_'
		}
	}
	out := strings.Trim(string(b), "-_.")
	if len(out) > validation.LabelValueMaxLength {
		out = strings.Trim(out[:validation.LabelValueMaxLength], "-_.")
	}
	return out
}

// adoptionRecord is the job as the pod's annotation keeps it: no clone
// token, no secrets, no step scripts (the pod's command has them).
func adoptionRecord(job *agentv1.RunJob) (string, error) {
	rec := proto.CloneOf(job)
	rec.CloneToken = ""
	rec.Files = nil
	rec.SecretEnv = nil
	for _, st := range rec.GetSteps() {
		st.Script = ""
	}
	b, err := protojson.Marshal(rec)
	return string(b), err
}

// buildPod is the pod that runs job (see doc.go for its shape).
func (r *Runner) buildPod(job *agentv1.RunJob, nonce string, started time.Time) (*corev1.Pod, error) {
	image := job.GetImage()
	if image == "" {
		image = r.o.DefaultImage
	}
	if err := checkImage(image); err != nil {
		return nil, err
	}
	d, err := r.o.Pod.forJob(job.GetPod())
	if err != nil {
		return nil, err
	}
	labels := map[string]string{}
	for k, v := range d.Labels {
		labels[k] = v
	}
	labels[LabelManagedBy] = ManagedBy
	labels[LabelCluster] = labelValue(r.o.Cluster)
	labels[LabelAgent] = labelValue(r.o.Agent)
	labels[LabelJob] = job.GetJobId()
	labels[LabelAttempt] = strconv.FormatUint(uint64(max(job.GetAttempt(), 1)), 10)
	annotations := map[string]string{}
	for k, v := range d.Annotations {
		annotations[k] = v
	}
	annotations[AnnotationNonce] = nonce
	annotations[AnnotationStart] = started.UTC().Format(time.RFC3339Nano)
	annotations[AnnotationLimit] = runner.Timeout(job).String()
	annotations[AnnotationName] = job.GetName()
	recorded, err := adoptionRecord(job)
	if err != nil {
		return nil, err
	}
	annotations[AnnotationJob] = recorded

	mounts := []corev1.VolumeMount{{Name: volWorkspace, MountPath: workspacePath}, {Name: volRun, MountPath: runPath}}
	var env []corev1.EnvVar
	for _, kv := range jobEnv(job) {
		env = append(env, corev1.EnvVar{Name: kv[0], Value: kv[1]})
	}
	initArgs := append(append([]string(nil), r.o.HelperCommand...), "job-init",
		"--workspace", workspacePath, "--run-dir", runPath,
		"--clone-url", job.GetCloneUrl(), "--commit", job.GetCommitSha(), "--ref", job.GetRef())
	no := false
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: PodName(job.GetJobId()), Namespace: r.o.Namespace, Labels: labels, Annotations: annotations},
		Spec: corev1.PodSpec{
			RestartPolicy:                 corev1.RestartPolicyNever,
			EnableServiceLinks:            &no,
			AutomountServiceAccountToken:  ptr(d.ServiceAccount != ""),
			ServiceAccountName:            d.ServiceAccount,
			NodeSelector:                  d.NodeSelector,
			Tolerations:                   d.Tolerations,
			TerminationGracePeriodSeconds: ptr(int64(r.o.KillGrace / time.Second)),
			SecurityContext:               &corev1.PodSecurityContext{SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
			Volumes: []corev1.Volume{
				{Name: volWorkspace, VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
				{Name: volRun, VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMediumMemory, SizeLimit: ptr(mustQuantity("16Mi"))}}},
			},
			InitContainers: []corev1.Container{{
				Name: initContainer, Image: r.o.HelperImage, ImagePullPolicy: r.o.PullPolicy,
				Command: initArgs, Stdin: true, StdinOnce: true,
				VolumeMounts: mounts, Resources: d.Resources,
			}},
			Containers: []corev1.Container{{
				Name: jobContainer, Image: image, ImagePullPolicy: r.o.PullPolicy,
				Command: []string{"/bin/sh", "-c", stepsScript(job, nonce)}, Env: env,
				WorkingDir: workspacePath, Resources: d.Resources,
				VolumeMounts: []corev1.VolumeMount{mounts[0], {Name: volRun, MountPath: runPath, ReadOnly: true}},
			}},
		},
	}
	if len(job.GetArtifactPaths()) > 0 {
		pod.Spec.Containers = append(pod.Spec.Containers, r.sidecar(mounts))
	}
	if limit := runner.Timeout(job); limit > 0 {
		// A backstop for an agent that is gone for good: the kubelet ends
		// the pod a while after the job's own deadline.
		pod.Spec.ActiveDeadlineSeconds = ptr(int64((limit + r.o.KillGrace + 10*time.Minute) / time.Second))
	}
	for _, s := range d.ImagePullSecrets {
		pod.Spec.ImagePullSecrets = append(pod.Spec.ImagePullSecrets, corev1.LocalObjectReference{Name: s})
	}
	return pod, nil
}

func ptr[T any](v T) *T { return &v }

func mustQuantity(s string) resource.Quantity { return resource.MustParse(s) }
