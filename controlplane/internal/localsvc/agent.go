package localsvc

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/rs/zerolog"
)

// ErrAgentMissing means no hearth-agent binary was found.
var ErrAgentMissing = errors.New("hearth-agent not found next to hearth or on PATH: build it with 'make build' (pipelines stay pending without an agent)")

// AgentOptions configure StartAgent.
type AgentOptions struct {
	// Binary is the hearth-agent executable; empty: next to this
	// executable, then on PATH.
	Binary string
	// Dir is the agent's data directory (its identity and job directories).
	Dir string
	// Server is the control plane's URL.
	Server string
	// JoinToken returns a join token; called only when Dir holds no
	// identity yet (the agent registers once and keeps its credential).
	JoinToken func(ctx context.Context) (string, error)
	// Capacity is how many jobs the agent runs at once.
	Capacity int
	// Logger receives the agent's output.
	Logger zerolog.Logger

	env *environment
}

// Agent is a running hearth-agent child process.
type Agent struct{ proc *process }

// agentIdentityFile is the file hearth-agent keeps its identity in, inside
// its data directory.
const agentIdentityFile = "identity.json"

// StartAgent starts hearth-agent with the process runner. It does not wait
// for the agent to connect: the agent retries by itself.
func StartAgent(ctx context.Context, opts AgentOptions) (*Agent, error) {
	bin, err := findAgent(opts)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("agent directory: %w", err)
	}
	capacity := opts.Capacity
	if capacity <= 0 {
		capacity = 4
	}
	args := []string{"run", "--server", opts.Server, "--data-dir", opts.Dir, "--runner", "process",
		"--name", "local", "--capacity", strconv.Itoa(capacity), "--log-format", "console"}
	env := childEnv()
	if _, err := os.Stat(filepath.Join(opts.Dir, agentIdentityFile)); errors.Is(err, os.ErrNotExist) {
		token, err := opts.JoinToken(ctx)
		if err != nil {
			return nil, fmt.Errorf("join token for the local agent: %w", err)
		}
		// In the environment, not argv: other users can read argv in ps.
		env = append(env, "HEARTH_AGENT_JOIN_TOKEN="+token)
	}
	p, err := startProcess(procSpec{
		name: "hearth-agent", path: bin, args: args, env: env, dir: opts.Dir,
		stopSignal: syscall.SIGTERM, deathSignal: syscall.SIGTERM, log: opts.Logger,
	})
	if err != nil {
		return nil, err
	}
	return &Agent{proc: p}, nil
}

// Stop stops the agent (SIGTERM; killed when ctx ends first). Jobs it runs
// keep running in their own process groups; the next start resumes them.
func (a *Agent) Stop(ctx context.Context) error { return a.proc.stop(ctx) }

func findAgent(opts AgentOptions) (string, error) {
	if opts.Binary != "" {
		if !isExecutable(opts.Binary) {
			return "", fmt.Errorf("--agent-binary %s is not an executable file", opts.Binary)
		}
		return opts.Binary, nil
	}
	if self, err := os.Executable(); err == nil {
		sibling := filepath.Join(filepath.Dir(self), "hearth-agent")
		if isExecutable(sibling) {
			return sibling, nil
		}
	}
	if p, ok := lookPath("hearth-agent", opts.env.pathList()); ok {
		return p, nil
	}
	return "", ErrAgentMissing
}
