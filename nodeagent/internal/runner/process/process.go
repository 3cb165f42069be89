package process

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/nodeagent/internal/runner"
	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
	"github.com/hearth-dev/hearth/shared/gitref"
	"github.com/hearth-dev/hearth/shared/logfield"
)

// Kind is the process runner's kind, as sent in Hello.runner_kind.
const Kind = "process"

// stateDir is the runner's bookkeeping inside a job directory.
const stateDir = "process"

// logfield.JobID is the log field naming a job.

// Options configure a Runner.
type Options struct {
	// GitBinary and BashBinary are looked up in PATH when empty.
	GitBinary  string
	BashBinary string
	// Logger receives what the runner cannot tell through a Result.
	Logger zerolog.Logger
	// KillGrace is how long a cancelled or timed-out job's processes get
	// between SIGTERM and SIGKILL (default 5s).
	KillGrace time.Duration
	// BaseEnv is the environment every job starts from ("KEY=VALUE"); nil
	// means PATH and LANG taken from the agent's own environment. The
	// agent's other variables (its credential among them) never reach a
	// job. HOME and TMPDIR are always the job's own (<dir>/home, <dir>/tmp).
	BaseEnv []string
	// PollInterval is how often a resumed job's wrapper and a terminating
	// job's process group are checked (default 50ms).
	PollInterval time.Duration
	// JobUIDBase (hearth-agent --job-uid-base), when not 0, runs every job
	// (its checkout and steps) as its own unprivileged user and group id
	// JobUIDBase+slot, slot being the lowest one no other job directory of
	// the agent and no live process uses (MaxJobSlots at most), so a job can
	// read neither the agent's data (identity.json) nor other jobs'
	// directories. It needs the agent to run as root, and a range of
	// MaxJobSlots ids no account, group or subordinate id range uses.
	// 0: jobs run as the agent's own user.
	JobUIDBase uint32
	// SecretsDir (hearth-agent --secrets-dir) is where jobs' secret files
	// (RunJob.files) go, each job's in a directory of its own that is
	// removed when the job ends. It must be on a tmpfs or ramfs, so
	// secrets never reach a disk: New refuses one that is not. Empty:
	// /dev/shm if it is one; if not, jobs with files are refused.
	SecretsDir string
}

// Runner runs jobs as local processes. Safe for concurrent use.
type Runner struct {
	git, bash string
	log       zerolog.Logger
	grace     time.Duration
	poll      time.Duration
	baseEnv   []string
	uidBase   uint32 // 0: jobs run as the agent's user
	// secretsDir holds the jobs' secrets directories; "" when there is no
	// usable one, secretsErr then says why.
	secretsDir string
	secretsErr error
}

var _ runner.Runner = (*Runner)(nil)

// New checks that bash and git exist, and Options.SecretsDir if set, and
// returns a Runner.
func New(o Options) (*Runner, error) {
	return newRunner(o, defaultMemDir)
}

// newRunner is New with the directory used when Options.SecretsDir is
// empty (tests name one that is not in memory).
func newRunner(o Options, defaultSecrets string) (*Runner, error) {
	r := &Runner{log: o.Logger.With().Str(logfield.Component, "runner.process").Logger(), grace: o.KillGrace, poll: o.PollInterval, baseEnv: o.BaseEnv, uidBase: o.JobUIDBase}
	var err error
	switch {
	case r.uidBase != 0 && os.Geteuid() != 0:
		return nil, fmt.Errorf("process runner: a job uid base (%d) needs the agent to run as root, to start jobs as other users", r.uidBase)
	case r.uidBase != 0:
		if err := checkUIDBase(r.uidBase); err != nil {
			return nil, fmt.Errorf("process runner: %w", err)
		}
	case os.Geteuid() == 0:
		r.log.Warn().Msg("the agent runs as root and so do its jobs: a job could read the agent's credential; set a job uid base to run each job as its own user")
	}
	if r.bash, err = lookPath(o.BashBinary, "bash"); err != nil {
		return nil, err
	}
	if r.git, err = lookPath(o.GitBinary, "git"); err != nil {
		return nil, err
	}
	if r.grace <= 0 {
		r.grace = 5 * time.Second
	}
	if r.poll <= 0 {
		r.poll = 50 * time.Millisecond
	}
	if r.baseEnv == nil {
		r.baseEnv = []string{"PATH=" + envOr("PATH", "/usr/local/bin:/usr/bin:/bin"), "LANG=" + envOr("LANG", "C.UTF-8")}
	}
	switch {
	case o.SecretsDir != "":
		// Configured: a mistake is the operator's to fix now, not a
		// surprise at the first job with secrets.
		dir, err := filepath.Abs(o.SecretsDir)
		if err == nil {
			err = checkSecretsDir(dir)
		}
		if err != nil {
			return nil, fmt.Errorf("process runner: %w; name a directory on a tmpfs (such as /dev/shm)", err)
		}
		r.secretsDir = dir
	default:
		if r.secretsErr = checkSecretsDir(defaultSecrets); r.secretsErr == nil {
			r.secretsDir = defaultSecrets
		} else {
			r.log.Warn().Err(r.secretsErr).Msg("no in-memory directory for jobs' secret files: jobs with secret files will be refused; set a secrets directory on a tmpfs")
		}
	}
	return r, nil
}

func lookPath(given, name string) (string, error) {
	if given == "" {
		given = name
	}
	p, err := exec.LookPath(given)
	if err != nil {
		return "", fmt.Errorf("process runner: %s not found (%s): install it (Debian: apt-get install -y %s) or name it in the agent's configuration", name, given, name)
	}
	return p, nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// Kind implements runner.Runner.
func (r *Runner) Kind() string { return Kind }

// meta is process/meta.json, written once the wrapper runs: what a
// restarted agent needs to find the job's processes and its deadline.
type meta struct {
	PID        int           `json:"pid"` // the wrapper's pid = its process group id
	StartTicks uint64        `json:"start_ticks,omitempty"`
	BootID     string        `json:"boot_id,omitempty"`
	StartedAt  time.Time     `json:"started_at"`
	Timeout    time.Duration `json:"timeout"` // 0: none
	// UID is the job's own user and group id (Options.JobUIDBase); 0: the
	// agent's user.
	UID uint32 `json:"uid,omitempty"`
	// SecretsDir is the job's secrets directory (the path, never its
	// contents), recorded before it is created so that whichever agent
	// ends the job removes it; "" when the job has no secret files.
	SecretsDir string `json:"secrets_dir,omitempty"`
}

func (m meta) deadline() (time.Time, bool) {
	return m.StartedAt.Add(m.Timeout), m.Timeout > 0
}

func (r *Runner) check(job *agentv1.RunJob, dir string) error {
	if err := runner.ValidateJob(job); err != nil {
		return fmt.Errorf("process runner: %w", err)
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return fmt.Errorf("process runner: job directory %s does not exist", dir)
	}
	if job.GetCloneUrl() == "" {
		return nil
	}
	u, err := url.Parse(job.GetCloneUrl())
	if err != nil || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "file") {
		return errors.New("process runner: the clone URL must be an http, https or file URL")
	}
	if !gitref.ValidObjectID(job.GetCommitSha()) {
		return fmt.Errorf("process runner: commit %q is not a full commit id", job.GetCommitSha())
	}
	if strings.ContainsAny(job.GetCloneToken(), "\r\n") {
		return errors.New("process runner: the clone token contains a line break")
	}
	return nil
}

// secretsPath is where a job's secret files will go ("" when it has none),
// once Start has checked the secrets directory is (still) in memory.
func (r *Runner) secretsPath(job *agentv1.RunJob) (string, error) {
	if len(job.GetFiles()) == 0 {
		return "", nil
	}
	if r.secretsDir == "" {
		return "", secretsUnusable(job.GetJobId(), r.secretsErr)
	}
	if err := checkSecretsDir(r.secretsDir); err != nil {
		return "", secretsUnusable(job.GetJobId(), err)
	}
	path, err := newSecretsPath(r.secretsDir, job.GetJobId())
	if err != nil {
		return "", fmt.Errorf("process runner: %w", err)
	}
	return path, nil
}

// Start implements runner.Runner. ctx bounds only the start itself.
func (r *Runner) Start(ctx context.Context, job *agentv1.RunJob, dir string) (runner.Handle, error) {
	if err := r.check(job, dir); err != nil {
		return nil, err
	}
	p := newPaths(dir)
	if _, err := os.Stat(p.meta()); err == nil {
		return nil, fmt.Errorf("process runner: job %s already started in %s (resume it instead)", job.GetJobId(), dir)
	}
	secrets, err := r.secretsPath(job)
	if err != nil {
		return nil, err
	}
	user, err := r.prepare(job, p, secrets)
	if err != nil {
		return nil, fmt.Errorf("process runner: %w", err)
	}
	out, err := os.OpenFile(p.wrapperLog(), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("process runner: %w", err)
	}
	defer func() { _ = out.Close() }()
	stdin, tokenW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("process runner: %w", err)
	}
	defer func() { _ = tokenW.Close() }()

	var env []string
	for _, kv := range r.baseEnv {
		if k, _, _ := strings.Cut(kv, "="); k != "HOME" && k != "TMPDIR" {
			env = append(env, kv)
		}
	}
	env = append(env, "HOME="+p.home, "TMPDIR="+p.tmp)
	for k, v := range runner.JobEnv(job) {
		env = append(env, k+"="+v)
	}
	m := meta{StartedAt: time.Now(), Timeout: runner.Timeout(job), BootID: bootID(), UID: user.uid, SecretsDir: secrets}
	// WithoutCancel: the job must outlive the start (and the agent).
	cmd := exec.CommandContext(context.WithoutCancel(ctx), r.bash, "--noprofile", "--norc", p.wrapper()) //nolint:gosec // G204: our own wrapper, run by the configured bash
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdin = stdin
	cmd.Stdout = out
	cmd.Stderr = out
	// Its own session (and so process group): the job survives the agent's
	// death and its signals, and the whole tree can be signalled at once.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if user.uid != 0 {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: user.uid, Gid: user.gid, Groups: []uint32{}}
	}
	err = cmd.Start()
	_ = stdin.Close()
	if err != nil {
		return nil, fmt.Errorf("process runner: starting bash: %w", err)
	}
	m.PID = cmd.Process.Pid
	m.StartTicks = startTicks(m.PID)
	exited := make(chan struct{})
	h := r.newHandle(job, p, m, exited, true)
	go func() {
		err := cmd.Wait()
		h.setWaitErr(err)
		close(exited)
	}()
	data, err := json.Marshal(m)
	if err == nil {
		err = runner.WriteFileAtomic(p.meta(), data)
	}
	if err == nil && secrets != "" {
		// Only now, with the path recorded: an agent that dies from here
		// on leaves a meta.json through which the next one removes them.
		if err = writeSecretFiles(secrets, job.GetFiles(), user); err != nil {
			err = fmt.Errorf("writing the job's secret files into %s: %w", r.secretsDir, err)
		}
	}
	if err == nil {
		// The go-ahead: until it is complete the wrapper waits; without it
		// (closed pipe) it exits having done nothing.
		_, err = tokenW.Write(goAhead(job))
	}
	if err != nil {
		_ = tokenW.Close()
		_ = syscall.Kill(-m.PID, syscall.SIGKILL)
		<-exited
		removeSecrets(r.log, job.GetJobId(), secrets)
		_ = os.Remove(p.meta())
		return nil, fmt.Errorf("process runner: %w", err)
	}
	go h.watch()
	return h, nil
}

// prepare creates the directories and writes the wrapper and step scripts
// (secrets: the job's secrets directory, "" for none); with a job uid base
// it also picks the job's user and hands it its part of the directory
// (isolate). user is zero when the job runs as the agent.
func (r *Runner) prepare(job *agentv1.RunJob, p paths, secrets string) (user jobUser, err error) {
	for _, d := range []string{p.state, p.workspace, p.logs, p.home, p.tmp} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return jobUser{}, err
		}
	}
	for i, s := range job.GetSteps() {
		if err := os.WriteFile(p.script(uint32(i+1)), []byte(s.GetScript()), 0o600); err != nil {
			return jobUser{}, err
		}
	}
	if err := os.WriteFile(p.wrapper(), []byte(wrapperScript(job, p, r.bash, r.git, secrets)), 0o600); err != nil {
		return jobUser{}, err
	}
	if r.uidBase == 0 {
		return jobUser{}, nil
	}
	slotMu.Lock()
	defer slotMu.Unlock()
	if user, err = r.pickUser(p.dir); err != nil {
		return jobUser{}, err
	}
	if err := isolate(job, p, user); err != nil {
		return jobUser{}, fmt.Errorf("giving the job its own user %d: %w", user.uid, err)
	}
	return user, nil
}

// Resume implements runner.Runner.
func (r *Runner) Resume(_ context.Context, job *agentv1.RunJob, dir string) (runner.Handle, error) {
	if err := r.check(job, dir); err != nil {
		return nil, err
	}
	res, found, err := runner.ReadResult(dir)
	if err != nil {
		return nil, fmt.Errorf("process runner: %w", err)
	}
	p := newPaths(dir)
	if found {
		// An agent that stopped right after writing the result may have
		// left the secrets behind.
		if m, ok := readMeta(p.meta()); ok {
			removeSecrets(r.log.With().Str(logfield.JobID, job.GetJobId()).Logger(), job.GetJobId(), m.SecretsDir)
		}
		return finished(res), nil
	}
	m, ok := readMeta(p.meta())
	if !ok {
		// Start never recorded a wrapper: nothing ran (a wrapper without
		// its go-ahead exits at once).
		h := r.newHandle(job, p, m, nil, false)
		go h.end(endLost)
		return h, nil
	}
	if m.UID != 0 {
		// The session may have made <data-dir> owner-only again; the job's
		// user needs to pass through it.
		if err := searchable(dir); err != nil {
			r.log.Warn().Err(err).Str(logfield.JobID, job.GetJobId()).Msg("the job's user may not reach its directory")
		}
	}
	if !leaderAlive(m) {
		h := r.newHandle(job, p, m, nil, false)
		go h.end(endGone)
		return h, nil
	}
	exited := make(chan struct{})
	h := r.newHandle(job, p, m, exited, true)
	go h.pollLeader(exited)
	go h.watch()
	return h, nil
}

// readMeta reads process/meta.json; ok is false when there is no usable one.
func readMeta(path string) (m meta, ok bool) {
	data, err := os.ReadFile(path) //nolint:gosec // G304: the job directory the agent owns
	if err != nil || json.Unmarshal(data, &m) != nil {
		return meta{}, false
	}
	return m, m.PID > 0
}
