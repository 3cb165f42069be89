package podjob

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"syscall"
	"time"

	git "github.com/go-git/go-git/v5"
	gitconfig "github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"

	"github.com/hearth-dev/hearth/nodeagent/internal/runner"
	"github.com/hearth-dev/hearth/shared/gitref"
)

// Payload is what job-init reads from stdin, one JSON line the agent
// writes through an attach: what must not appear in the pod's spec, its
// environment or a Kubernetes Secret.
type Payload struct {
	// Token is the clone token, used by the checkout only.
	Token string `json:"token,omitempty"`
	// Files are the job's secret files by name (RunJob.files), written to
	// <run-dir>/files/<name>.
	Files map[string][]byte `json:"files,omitempty"` // base64 in the JSON
	// Env are the job's secret variables (RunJob.secret_env), written to
	// <run-dir>/env/<NAME>, which the job container's script exports.
	Env map[string]string `json:"env,omitempty"`
}

// MaxPayload bounds the payload line.
const MaxPayload = 8 << 20

// The directories of the run directory job-init writes into.
const (
	FilesDir = "files"
	EnvDir   = "env"
)

var (
	fileName = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$`)
	envName  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,254}$`) // a file name: at most 255 bytes
)

// Init is `hearth-agent job-init`.
func Init(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("job-init", flag.ContinueOnError)
	workspace := fs.String("workspace", "", "where to check out")
	runDir := fs.String("run-dir", "", "the in-memory directory for the job's files")
	cloneURL := fs.String("clone-url", "", "the repository's URL")
	commit := fs.String("commit", "", "the commit to check out")
	ref := fs.String("ref", "", "the ref the commit was built for")
	wait := fs.Duration("payload-timeout", 5*time.Minute, "how long to wait for the payload on stdin")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *workspace == "" || *runDir == "" {
		return errors.New("job-init: --workspace and --run-dir are required")
	}
	line, err := readPayload(stdin, *wait)
	if err != nil {
		return err
	}
	var p Payload
	if err := json.Unmarshal(line, &p); err != nil {
		return fmt.Errorf("job-init: the payload is not valid JSON (%d bytes)", len(line))
	}
	if err := writeFiles(filepath.Join(*runDir, FilesDir), p.Files); err != nil {
		return err
	}
	if err := writeEnv(filepath.Join(*runDir, EnvDir), p.Env); err != nil {
		return err
	}
	if *cloneURL == "" {
		_, _ = fmt.Fprintln(stdout, "hearth: no repository to check out; skipped")
		return nil
	}
	return checkout(ctx, stdout, *workspace, *cloneURL, *commit, *ref, p.Token)
}

// readPayload reads the payload line, giving up after wait: an agent that
// died before attaching (a replacement cannot: the token died with it)
// must not leave the pod waiting forever.
func readPayload(stdin io.Reader, wait time.Duration) ([]byte, error) {
	type read struct {
		line []byte
		err  error
	}
	got := make(chan read, 1)
	go func() {
		line, err := bufio.NewReaderSize(io.LimitReader(stdin, MaxPayload), 64<<10).ReadBytes('\n')
		got <- read{line, err}
	}()
	select {
	case r := <-got:
		if r.err != nil && !errors.Is(r.err, io.EOF) {
			return nil, fmt.Errorf("job-init: reading the payload: %w", r.err)
		}
		return r.line, nil
	case <-time.After(wait):
		return nil, fmt.Errorf("job-init: no payload from the agent within %v (the agent stopped before delivering the job's credentials)", wait)
	}
}

func writeFiles(dir string, files map[string][]byte) error {
	if len(files) == 0 {
		return nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	for name, content := range files {
		if !fileName.MatchString(name) {
			return fmt.Errorf("job-init: file name %q is not allowed", name)
		}
		if err := os.WriteFile(filepath.Join(dir, name), content, 0o400); err != nil {
			return err
		}
	}
	return nil
}

// writeEnv writes each secret variable's value, exactly, into a file of
// dir named after the variable (0400): the memory volume is how the values
// reach the job container without being in its spec.
func writeEnv(dir string, env map[string]string) error {
	if len(env) == 0 {
		return nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	for name, value := range env {
		if !envName.MatchString(name) {
			return fmt.Errorf("job-init: secret variable name %q is not allowed", name)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(value), 0o400); err != nil {
			return err
		}
	}
	return nil
}

// checkout fetches ref (or every branch) and checks commit out detached.
func checkout(ctx context.Context, out io.Writer, dir, rawURL, commit, ref, token string) error {
	if !gitref.ValidObjectID(commit) {
		return fmt.Errorf("job-init: %q is not a commit id", commit)
	}
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("job-init: the clone URL is not an http(s) URL")
	}
	u.User = nil
	_, _ = fmt.Fprintf(out, "hearth: checking out %s from %s\n", commit, u.Redacted())
	repo, err := git.PlainInit(dir, false)
	if err != nil {
		return fmt.Errorf("job-init: git init: %w", err)
	}
	remote, err := repo.CreateRemote(&gitconfig.RemoteConfig{Name: "origin", URLs: []string{rawURL}})
	if err != nil {
		return err
	}
	spec := gitconfig.RefSpec("+refs/heads/*:refs/remotes/origin/*")
	if ref != "" && gitref.ValidRefName(ref) {
		spec = gitconfig.RefSpec("+" + ref + ":refs/remotes/origin/hearth-ref")
	}
	opts := &git.FetchOptions{RefSpecs: []gitconfig.RefSpec{spec}, Tags: git.NoTags, Progress: nil}
	if token != "" {
		opts.Auth = &githttp.TokenAuth{Token: token}
	}
	if err := remote.FetchContext(ctx, opts); err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return fmt.Errorf("job-init: fetching %s: %w", ref, err)
	}
	wt, err := repo.Worktree()
	if err != nil {
		return err
	}
	if err := wt.Checkout(&git.CheckoutOptions{Hash: plumbing.NewHash(commit), Force: true}); err != nil {
		return fmt.Errorf("job-init: checking out %s: %w", commit, err)
	}
	_, _ = fmt.Fprintf(out, "hearth: checked out %s\n", commit)
	return nil
}

// Sidecar is `hearth-agent job-sidecar`: it waits for SIGTERM (the pod's
// deletion) or ctx.
func Sidecar(ctx context.Context) error {
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, os.Interrupt)
	defer stop()
	<-ctx.Done()
	return nil
}

// Artifacts is `hearth-agent job-artifacts --workspace DIR -- PATTERN...`.
func Artifacts(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("job-artifacts", flag.ContinueOnError)
	workspace := fs.String("workspace", "", "the workspace")
	if err := fs.Parse(args); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "hearth-artifacts-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(tmp) }()
	dst := filepath.Join(tmp, runner.ArtifactsFile)
	entries, warnings, err := runner.WriteArtifacts(ctx, *workspace, fs.Args(), dst)
	for _, w := range warnings {
		_, _ = fmt.Fprintln(stderr, "hearth: "+w)
	}
	if err != nil || entries == 0 {
		return err
	}
	f, err := os.Open(dst) //nolint:gosec // G304: our own temporary file
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	_, err = io.Copy(stdout, f)
	return err
}
