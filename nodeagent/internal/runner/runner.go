package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
)

// Runner runs jobs. Implementations: process (local processes), fake (tests).
type Runner interface {
	Kind() string // "process", "fake"
	// Start starts job in dir (exists, holds job.json) and returns once it started.
	Start(ctx context.Context, job *agentv1.RunJob, dir string) (Handle, error)
	// Resume re-attaches to a job an earlier agent process started in dir (agent restart).
	// If the job's processes are gone without a result, the handle ends FAILURE
	// "the job's processes ended while the agent was down".
	Resume(ctx context.Context, job *agentv1.RunJob, dir string) (Handle, error)
}

// Handle is one started (or resumed) job.
type Handle interface {
	Done() <-chan struct{} // closed after result.json is written and all log writes finished
	Result() Result        // valid after Done
	Cancel(reason string)  // idempotent; kills the whole process tree (TERM, then KILL after grace)
}

// Detacher is implemented by the handles of this package's runners. Detach
// stops watching the job WITHOUT ending it, as an agent that exits (or
// crashes) would: Done never closes afterwards and no result is written, so
// a later Resume (by this or another Runner) picks the job up. It returns
// once the handle's own goroutines stopped touching the job directory.
type Detacher interface {
	Detach()
}

// Adopter is implemented by runners whose jobs outlive the agent's data
// directory: the kubernetes runner's pods stay in the cluster when an
// agent pod (and its emptyDir) is replaced. Adoptable returns the jobs the
// runner finds running for this agent that known says the session does not
// hold; the session records each (job.json) and resumes it, so the new
// agent follows it instead of the control plane failing it as lost. It
// reports them in Hello; those the control plane no longer runs are
// cancelled by reconciliation, which is how orphans are collected.
type Adopter interface {
	Adoptable(ctx context.Context, known func(jobID string) bool) ([]*agentv1.RunJob, error)
}

// Result is how a job ended.
type Result struct {
	State agentv1.JobState
	// Step is the log step that decided the outcome (the failing, cancelled
	// or timed-out step; the last step on success).
	Step uint32
	// ExitCode is the failing step's exit code (FAILURE by a step), else 0.
	ExitCode int32
	// Message is a human-readable reason ("exit status 2", "timed out after 10m0s").
	Message string
	// Artifacts is the archive's file name in the job directory
	// (ArtifactsFile) or "" when there is none.
	Artifacts string
}

// Names inside a job directory (see doc.go).
const (
	JobFile       = "job.json"
	ResultFile    = "result.json"
	LogsDir       = "logs"
	WorkspaceDir  = "workspace"
	ArtifactsFile = "artifacts.tar.gz"
	// HomeDir and TmpDir are the job's private $HOME and $TMPDIR (process
	// runner): nothing a job leaves there reaches another job.
	HomeDir = "home"
	TmpDir  = "tmp"
)

// Messages shared by the runners, so the control plane and the console see
// the same words whichever runner ran a job.
const (
	MsgLost      = "the job's processes ended while the agent was down"
	MsgCancelled = "cancelled"
)

// TimedOutMessage is the Result.Message of a job killed at its timeout.
func TimedOutMessage(timeout time.Duration) string {
	return "timed out after " + timeout.String()
}

// ExitMessage is the Result.Message of a step that exited non-zero.
func ExitMessage(code int32) string {
	return "exit status " + strconv.Itoa(int(code))
}

// LogPath is the log file of a step in the job directory dir.
func LogPath(dir string, step uint32) string {
	return filepath.Join(dir, LogsDir, strconv.FormatUint(uint64(step), 10)+".log")
}

// LastStep is the log step number of a job's last step (0 when it has none).
func LastStep(job *agentv1.RunJob) uint32 {
	return uint32(len(job.GetSteps())) //nolint:gosec // G115: ValidateJob caps steps far below 2^32
}

// AppendLogLine appends one explanatory line from the agent (not from the
// job) to a step's log, starting a new line first if the job's last output
// did not end with one. The prefix "hearth: " tells the reader who speaks.
func AppendLogLine(dir string, step uint32, text string) error {
	path := LogPath(dir, step)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600) //nolint:gosec // G304: a log in the job directory the agent owns
	if err != nil {
		return err
	}
	line := []byte("hearth: " + text + "\n")
	if st, err := f.Stat(); err == nil && st.Size() > 0 {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, st.Size()-1); err == nil && last[0] != '\n' {
			line = append([]byte{'\n'}, line...)
		}
	}
	_, err = f.Write(line)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// resultFile is result.json's format (DESIGN: agent job directory).
type resultFile struct {
	State     string `json:"state"`
	Step      uint32 `json:"step"`
	ExitCode  int32  `json:"exit_code"`
	Message   string `json:"message"`
	Artifacts string `json:"artifacts"`
}

var stateNames = map[agentv1.JobState]string{
	agentv1.JobState_JOB_STATE_SUCCESS:   "SUCCESS",
	agentv1.JobState_JOB_STATE_FAILURE:   "FAILURE",
	agentv1.JobState_JOB_STATE_CANCELLED: "CANCELLED",
	agentv1.JobState_JOB_STATE_TIMED_OUT: "TIMED_OUT",
}

// WriteResult writes dir/result.json atomically (temporary file, fsync,
// rename), so a reader never sees half a result, even after a crash.
func WriteResult(dir string, r Result) error {
	name, ok := stateNames[r.State]
	if !ok {
		return fmt.Errorf("result state %s is not final", r.State)
	}
	data, err := json.Marshal(resultFile{State: name, Step: r.Step, ExitCode: r.ExitCode, Message: r.Message, Artifacts: r.Artifacts})
	if err != nil {
		return err
	}
	return WriteFileAtomic(filepath.Join(dir, ResultFile), append(data, '\n'))
}

// ReadResult reads dir/result.json; found is false when there is none yet.
func ReadResult(dir string) (r Result, found bool, err error) {
	data, err := os.ReadFile(filepath.Join(dir, ResultFile)) //nolint:gosec // G304: the job directory the agent owns
	if errors.Is(err, os.ErrNotExist) {
		return Result{}, false, nil
	}
	if err != nil {
		return Result{}, false, err
	}
	var f resultFile
	if err := json.Unmarshal(data, &f); err != nil {
		return Result{}, false, fmt.Errorf("%s: %w", ResultFile, err)
	}
	for state, name := range stateNames {
		if name == f.State {
			return Result{State: state, Step: f.Step, ExitCode: f.ExitCode, Message: f.Message, Artifacts: f.Artifacts}, true, nil
		}
	}
	return Result{}, false, fmt.Errorf("%s: unknown state %q", ResultFile, f.State)
}

// WriteFileAtomic replaces path with data (0600) through a synced temporary
// file and a rename.
func WriteFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600) //nolint:gosec // G304: callers write into the job directory the agent owns
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
	}
	return err
}

// Limits checked by ValidateJob. The artifact limits are .hearth.yml's
// (controlplane spec.MaxPatterns, spec.MaxPatternBytes): the agent does not
// rely on the control plane to have checked them.
const (
	MaxSteps             = 1000
	MaxArtifactPaths     = 100
	MaxArtifactPathBytes = 1024
	// MaxSecrets bounds how many secrets a job carries: RunJob.files and
	// RunJob.secret_env together.
	MaxSecrets = 100
	// MaxSecretBytes bounds their total size: the files' contents plus
	// each secret variable's name and value. The runners hold them in
	// memory (tmpfs, a pod's memory volume), so they stay small.
	MaxSecretBytes = 1 << 20
	// MaxSecretEnvBytes bounds one secret variable, NAME=VALUE: Linux
	// refuses to start a program with an environment string longer than
	// 128 KiB with its NUL, so a larger value would fail every step with
	// "argument list too long". Larger secrets belong in RunJob.files.
	MaxSecretEnvBytes = 128<<10 - 1
	// MaxFiles and MaxFileBytes are the former names of MaxSecrets and
	// MaxSecretBytes, from when files were a job's only secrets.
	MaxFiles     = MaxSecrets
	MaxFileBytes = MaxSecretBytes
)

// reservedSecretNames are the prefixes a secret variable's name may not
// have, and why: a secret must neither silently replace a variable the
// agent sets nor clash with the runners' scripts, which export the
// secrets themselves.
var reservedSecretNames = []struct{ prefix, owner string }{
	{"HEARTH_", "the agent's (HEARTH_JOB_ID, HEARTH_SECRETS_DIR, ...)"},
	{"__hearth_", "the runners' own"},
}

var (
	envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	jobID   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)
	// fileName is a RunJob.files name: a plain file name.
	fileName = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$`)
	// secretEnvName is a RunJob.secret_env name: a variable name that is
	// also a file name (the kubernetes runner delivers each as a file).
	secretEnvName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,254}$`)
	// bashReadonly are variables bash refuses to set; a job cannot export them.
	bashReadonly = map[string]bool{"BASHOPTS": true, "BASH_VERSINFO": true, "EUID": true, "PPID": true, "SHELLOPTS": true, "UID": true}
)

// ValidateJob checks what both runners rely on and returns a clear error
// for the first problem: an id usable as a file name, at most MaxSteps
// steps, environment variable names a shell can export, no NUL bytes
// (which neither files nor environments can carry), at most
// MaxArtifactPaths artifact patterns of at most MaxArtifactPathBytes, and
// secrets (files and secret variables) within MaxSecrets, MaxSecretBytes
// and MaxSecretEnvBytes, no secret variable named HEARTH_* or __hearth_*.
// Errors name secrets, never show their values.
func ValidateJob(job *agentv1.RunJob) error {
	if job == nil {
		return errors.New("no job")
	}
	if !jobID.MatchString(job.GetJobId()) {
		return fmt.Errorf("job id %q is not a valid id", job.GetJobId())
	}
	if len(job.GetSteps()) > MaxSteps {
		return fmt.Errorf("job has %d steps (at most %d)", len(job.GetSteps()), MaxSteps)
	}
	for i, s := range job.GetSteps() {
		if containsNUL(s.GetScript()) {
			return fmt.Errorf("step %d (%s): the script contains a NUL byte", i+1, s.GetName())
		}
	}
	for k, v := range job.GetEnv() {
		if !envName.MatchString(k) {
			return fmt.Errorf("environment variable name %q is not valid (letters, digits and _, not starting with a digit)", k)
		}
		if bashReadonly[k] {
			return fmt.Errorf("environment variable %s is read-only in bash", k)
		}
		if containsNUL(v) {
			return fmt.Errorf("environment variable %s contains a NUL byte", k)
		}
	}
	if n := len(job.GetArtifactPaths()); n > MaxArtifactPaths {
		return fmt.Errorf("job has %d artifact paths (at most %d)", n, MaxArtifactPaths)
	}
	for _, p := range job.GetArtifactPaths() {
		if len(p) > MaxArtifactPathBytes {
			return fmt.Errorf("artifact path %.40q… is %d bytes (at most %d)", p, len(p), MaxArtifactPathBytes)
		}
	}
	if err := validateSecrets(job); err != nil {
		return err
	}
	if job.GetTimeout() != nil {
		if err := job.GetTimeout().CheckValid(); err != nil {
			return fmt.Errorf("timeout: %w", err)
		}
	}
	return nil
}

// validateSecrets checks RunJob.files and RunJob.secret_env (see
// ValidateJob).
func validateSecrets(job *agentv1.RunJob) error {
	var total int
	for name, content := range job.GetFiles() {
		if !fileName.MatchString(name) {
			return fmt.Errorf("secret file name %q is not valid (letters, digits, '.', '_' and '-', at most 128)", name)
		}
		total += len(content)
	}
	for k, v := range job.GetSecretEnv() {
		switch {
		case !secretEnvName.MatchString(k):
			return fmt.Errorf("secret variable name %.80q is not valid (letters, digits and _, not starting with a digit, at most 255)", k)
		case bashReadonly[k]:
			return fmt.Errorf("secret variable %s is read-only in bash", k)
		case containsNUL(v):
			return fmt.Errorf("secret variable %s contains a NUL byte", k)
		case len(k)+1+len(v) > MaxSecretEnvBytes:
			return fmt.Errorf("secret variable %s is %d bytes (at most %d): pass a secret this large as a file", k, len(k)+1+len(v), MaxSecretEnvBytes)
		}
		for _, r := range reservedSecretNames {
			if strings.HasPrefix(k, r.prefix) {
				return fmt.Errorf("secret variable %s: names starting with %s are %s", k, r.prefix, r.owner)
			}
		}
		total += len(k) + len(v)
	}
	if n := len(job.GetFiles()) + len(job.GetSecretEnv()); n > MaxSecrets || total > MaxSecretBytes {
		return fmt.Errorf("job has %d secrets (%d files, %d variables) of %d bytes (at most %d secrets, %d bytes)",
			n, len(job.GetFiles()), len(job.GetSecretEnv()), total, MaxSecrets, MaxSecretBytes)
	}
	return nil
}

func containsNUL(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return true
		}
	}
	return false
}

// JobEnv is the environment the agent gives every step of job, before the
// job's own variables: HEARTH_JOB_ID, HEARTH_PIPELINE_ID, HEARTH_PROJECT,
// HEARTH_COMMIT_SHA, HEARTH_REF and CI=true.
func JobEnv(job *agentv1.RunJob) map[string]string {
	return map[string]string{
		"HEARTH_JOB_ID":      job.GetJobId(),
		"HEARTH_PIPELINE_ID": job.GetPipelineId(),
		"HEARTH_PROJECT":     job.GetProject(),
		"HEARTH_COMMIT_SHA":  job.GetCommitSha(),
		"HEARTH_REF":         job.GetRef(),
		"CI":                 "true",
	}
}

// Timeout is the job's timeout; 0 means none.
func Timeout(job *agentv1.RunJob) time.Duration {
	if job.GetTimeout() == nil {
		return 0
	}
	d := job.GetTimeout().AsDuration()
	if d < 0 {
		return 0
	}
	return d
}
