package jobs

import (
	"strconv"
	"time"

	"github.com/google/uuid"
)

// Agent is a connected agent asking for work.
type Agent struct {
	ID, ClusterID uuid.UUID
	// Labels: the cluster's labels plus the agent's Hello labels of other
	// keys. The cluster's (set by an admin) win: an agent may add labels
	// but not override one, so it cannot claim another placement's jobs.
	Labels     map[string]string
	Capacity   int
	RunnerKind string
	// Running: the job ids the agent last reported running (Hello,
	// heartbeats). They take capacity even when the queue counts them as
	// ended (a job the reaper ended may still be stopping on the agent).
	Running []string
}

// Run is a job an agent is told to run.
type Run struct {
	JobID, PipelineID uuid.UUID
	// Attempt counts the runs of the pipeline's job (1 for the first).
	Attempt uint32
	// Project is "owner/name".
	Project string
	Name    string
	Image   string
	// CloneURL and CloneToken (empty: clone anonymously) fetch Commit,
	// which Ref named.
	CloneURL, CloneToken string
	Commit, Ref          string
	Steps                []Step
	Env                  map[string]string
	Timeout              time.Duration
	ArtifactPaths        []string
	// Pod is the job's kubernetes section (nil: none).
	Pod *Pod
	// Files and SecretEnv are the job's secrets, as files by name and as
	// environment variables. Never log them.
	Files     map[string][]byte
	SecretEnv map[string]string
}

// Pod is what a job asks of the kubernetes runner's pod (.hearth.yml
// `kubernetes:`, checked by the pipeline's parser).
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

// Step is one named script of a job.
type Step struct {
	Name, Script string
}

// Cancel tells an agent to stop a job. JobID is as the agent reported it
// (it may name no job at all).
type Cancel struct {
	JobID, Reason string
}

// State is a job's state as its agent reports it.
type State int

// States an agent reports. Unspecified is no state at all (refused).
const (
	StateUnspecified State = iota
	StateRunning
	StateSuccess
	StateFailure
	StateCancelled
	StateTimedOut
)

func (s State) String() string {
	switch s {
	case StateUnspecified:
		return "unspecified"
	case StateRunning:
		return "running"
	case StateSuccess:
		return "success"
	case StateFailure:
		return "failure"
	case StateCancelled:
		return "cancelled"
	case StateTimedOut:
		return "timed out"
	}
	return "state(" + strconv.Itoa(int(s)) + ")"
}

// Status is a job's state reported by its agent. JobID is as the agent
// sent it.
type Status struct {
	JobID string
	State State
	// Step is the step that ended the job, ExitCode its exit code.
	Step     uint32
	ExitCode int32
	// Message, when set, says why the job ended as it did.
	Message string
	// LogLengths are the bytes of each step's log the agent sent.
	LogLengths []uint64
}

// LogChunk is part of a step's log from Offset. JobID is as the agent sent
// it.
type LogChunk struct {
	JobID  string
	Step   uint32
	Offset uint64
	Data   []byte
}

// Artifact is an artifact stored for a job.
type Artifact struct {
	ID     uuid.UUID
	Size   uint64
	SHA256 string
}
