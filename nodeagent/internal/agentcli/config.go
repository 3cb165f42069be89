package agentcli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hearth-dev/hearth/nodeagent/internal/identity"
	kuberunner "github.com/hearth-dev/hearth/nodeagent/internal/runner/kubernetes"
	"github.com/hearth-dev/hearth/nodeagent/internal/session"
	"github.com/hearth-dev/hearth/shared/logging"
)

// EnvPrefix prefixes every variable: --data-dir is HEARTH_AGENT_DATA_DIR.
const EnvPrefix = "HEARTH_AGENT_"

// setting is one flag of run and its variable.
type setting struct {
	name, arg, def, help string
}

// settings, in usage order. docs/agent.md lists the same.
var settings = []setting{
	{"server", "URL", "", "the control plane's URL: http:// (HTTP/2 without TLS; loopback or a trusted network) or https://"},
	{"data-dir", "DIR", "", "the agent's directory: identity.json and jobs/ (created with mode 0700)"},
	{"join-token", "TOKEN", "", "registers the agent on its first start (hjt_…); ignored once --data-dir holds an identity. Prefer the variable: argv is visible to other users"},
	{"name", "NAME", "", "the agent's name, shown to admins (empty: the host name)"},
	{"labels", "K=V,K=V", "", "labels offered for job placement"},
	{"capacity", "N", strconv.Itoa(session.DefaultCapacity), "jobs run at once (1-1000)"},
	{"runner", "KIND", "process", "how jobs run: process (local processes) or kubernetes (a pod per job); agents built with -tags hearthfake also offer fake (tests)"},
	{"job-uid-base", "UID", "0", "process runner as root: run each job as its own uid/gid BASE+slot (at least 1000; 0: jobs run as the agent's user)"},
	{"secrets-dir", "DIR", "", "process runner: where jobs' secret files go, a directory on a tmpfs (empty: /dev/shm; without a tmpfs there, jobs with secret files are refused)"},
	{"max-job-log-bytes", "N", "1GiB", "a job whose log outgrows this fails \"log limit exceeded\" (bytes; suffixes KiB, MiB, GiB)"},
	{"kubeconfig", "FILE", "", "kubernetes runner: the cluster's kubeconfig (empty: the pod's in-cluster credentials)"},
	{"kube-namespace", "NS", "", "kubernetes runner: the namespace job pods run in, and the only one the agent touches (empty in a cluster: the agent's own)"},
	{"kube-cluster", "NAME", "", "kubernetes runner: the cluster's name on job pods' labels (empty: --name)"},
	{"kube-helper-image", "IMAGE", "", "kubernetes runner: an image holding hearth-agent at /hearth-agent, for the checkout and artifacts"},
	{"kube-default-image", "IMAGE", "busybox", "kubernetes runner: the image of jobs whose .hearth.yml names none"},
	{"kube-image-pull-policy", "POLICY", "IfNotPresent", "kubernetes runner: the job pods' imagePullPolicy: IfNotPresent, Always or Never"},
	{"kube-pod-config", "FILE", "", "kubernetes runner: a YAML file shaping every job pod (resources, node selector, tolerations, …) and the limits of jobs' own kubernetes: sections (docs/kubernetes.md)"},
	{"identity-secret", "NAME", "", "kubernetes runner: keep the agent's identity in this Secret of --kube-namespace (which must exist) instead of --data-dir"},
	{"lease", "NAME", "", "kubernetes runner: run jobs only while holding this Lease of --kube-namespace, so one of several replicas runs them"},
	{"otlp-listen", "ADDR", defaultOTLPListen, "where jobs (and later other workloads) send OTLP, HTTP and gRPC on one port: host:port; with --runner kubernetes the default is " + defaultOTLPListenKube + " (reached through a Service), used once --otlp-endpoint is set; empty (--otlp-listen=) or off: no receiver"},
	{"otlp-endpoint", "URL", "", "the receiver's URL as jobs reach it, put in their OTEL_EXPORTER_OTLP_ENDPOINT (empty: http:// and the listen address, loopback for 0.0.0.0); with --runner kubernetes and a non-loopback --otlp-listen, the URL of a Service in front of the agent, e.g. http://hearth-agent.<namespace>.svc:4318 (required when --otlp-listen is given; without it the default listener stays off)"},
	{"otlp-queue-bytes", "N", "256MiB", "the disk queue of telemetry waiting for the control plane (<data-dir>/otlp-queue); past it the oldest is dropped (bytes; suffixes KiB, MiB, GiB; at least 8MiB)"},
	{"rotate-every", "DURATION", session.DefaultRotateEvery.String(), "how often the agent credential is rotated (at least 1m)"},
	{"log-level", "LEVEL", "info", "debug, info, warn or error"},
	{"log-format", "FORMAT", "json", "json or console"},
}

func envName(flagName string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// runConfig is run's validated configuration.
type runConfig struct {
	Server         string
	DataDir        string
	JoinToken      string
	Name           string
	Labels         map[string]string
	Capacity       int
	Runner         string
	Kube           kubeConfig
	MaxJobLogBytes int64
	JobUIDBase     uint32
	SecretsDir     string
	OTLP           otlpConfig
	RotateEvery    time.Duration
	LogLevel       string
	LogFormat      string
}

// usageError lists every bad value, one line each.
type usageError struct{ problems []string }

func (e *usageError) Error() string { return strings.Join(e.problems, "\n") }

// parseRun reads args and the environment (getenv). Flags win over
// variables, variables over defaults.
func parseRun(args []string, getenv func(string) string) (runConfig, error) {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	vals := map[string]*string{}
	for _, s := range settings {
		vals[s.name] = fs.String(s.name, "", s.help)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return runConfig{}, err
		}
		return runConfig{}, &usageError{[]string{err.Error()}}
	}
	if fs.NArg() > 0 {
		return runConfig{}, &usageError{[]string{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}}
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	// get returns the value and how to name it in a message.
	get := func(name string) (string, string) {
		if set[name] {
			return *vals[name], "--" + name
		}
		if v := getenv(envName(name)); v != "" {
			return v, envName(name)
		}
		for _, s := range settings {
			if s.name == name {
				return s.def, "--" + name
			}
		}
		return "", "--" + name
	}

	var (
		c        runConfig
		problems []string
	)
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	c.readIdentity(get, bad)
	c.readJobs(get, bad)
	c.readKube(get, bad)
	c.readOTLP(get, bad, set["otlp-listen"] || getenv(envName("otlp-listen")) != "")
	c.readOperation(get, bad)
	if len(problems) > 0 {
		return runConfig{}, &usageError{problems}
	}
	return c, nil
}

// getter returns a setting's value and how to name it in a message;
// complaint records a problem with a setting.
type (
	getter    func(name string) (value, source string)
	complaint func(format string, args ...any)
)

// readIdentity reads who the agent is and where it connects: --server,
// --data-dir, --join-token, --name and --labels.
func (c *runConfig) readIdentity(get getter, bad complaint) {
	v, src := get("server")
	c.Server = v
	if u, err := url.Parse(v); v == "" {
		bad("%s is required (the control plane's URL)", src)
	} else if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("%s %q: want an http:// or https:// URL", src, v)
	}

	v, src = get("data-dir")
	c.DataDir = v
	if v == "" {
		bad("%s is required (the agent's directory)", src)
	}

	c.JoinToken, _ = get("join-token")
	if secret, _ := get("identity-secret"); c.DataDir != "" && c.JoinToken == "" && secret == "" {
		ok, err := identity.Exists(c.DataDir)
		switch {
		case err != nil:
			bad("--data-dir %s: %v", c.DataDir, err)
		case !ok:
			bad("--join-token (or %s) is required: %s holds no identity yet", envName("join-token"), c.DataDir)
		}
	}

	c.Name, _ = get("name")
	if c.Name == "" {
		c.Name, _ = os.Hostname()
	}

	v, src = get("labels")
	labels, err := parseLabels(v)
	if err != nil {
		bad("%s %q: %v", src, v, err)
	}
	c.Labels = labels
}

// readJobs reads how jobs run: --capacity, --runner, --job-uid-base,
// --secrets-dir and --max-job-log-bytes.
func (c *runConfig) readJobs(get getter, bad complaint) {
	v, src := get("capacity")
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > session.MaxCapacity {
		bad("%s %q: want a number from 1 to %d", src, v, session.MaxCapacity)
	}
	c.Capacity = n

	v, src = get("runner")
	c.Runner = v
	if _, ok := testRunners[v]; v != "process" && v != kuberunner.Kind && !ok {
		bad("%s %q: want %s", src, v, runnerKinds())
	}

	v, src = get("job-uid-base")
	base, err := strconv.ParseUint(v, 10, 32)
	if err != nil || (base != 0 && base < 1000) {
		bad("%s %q: want 0 (off) or a uid of at least 1000", src, v)
	}
	c.JobUIDBase = uint32(base)
	if base != 0 && c.Runner != "process" {
		bad("%s: only the process runner runs jobs as other users", src)
	}

	// Whether it is a tmpfs, the process runner checks when it starts.
	v, src = get("secrets-dir")
	c.SecretsDir = v
	switch {
	case v != "" && !filepath.IsAbs(v):
		bad("%s %q: want an absolute path (a directory on a tmpfs)", src, v)
	case v != "" && c.Runner != "process":
		bad("%s: only the process runner writes secret files on this machine (the kubernetes runner keeps them in the pod's memory volume)", src)
	}

	v, src = get("max-job-log-bytes")
	size, err := parseBytes(v)
	if err != nil {
		bad("%s %q: %v", src, v, err)
	}
	c.MaxJobLogBytes = size
}

// readOperation reads the agent's own upkeep: --rotate-every, --log-level
// and --log-format.
func (c *runConfig) readOperation(get getter, bad complaint) {
	v, src := get("rotate-every")
	d, err := time.ParseDuration(v)
	if err != nil || d < time.Minute {
		bad("%s %q: want a duration of at least 1m, such as 12h", src, v)
	}
	c.RotateEvery = d

	c.LogLevel, src = get("log-level")
	lvlSrc := src
	c.LogFormat, src = get("log-format")
	if _, err := logging.New(io.Discard, c.LogLevel, logging.FormatJSON); err != nil {
		bad("%s: %v", lvlSrc, err)
	}
	if _, err := logging.New(io.Discard, "info", c.LogFormat); err != nil {
		bad("%s: %v", src, err)
	}
}

// parseLabels reads "k=v,k=v" (empty: none).
func parseLabels(s string) (map[string]string, error) {
	out := map[string]string{}
	if strings.TrimSpace(s) == "" {
		return out, nil
	}
	for _, pair := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(pair), "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("want key=value pairs separated by commas, got %q", pair)
		}
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("label %q given twice", k)
		}
		out[k] = v
	}
	return out, nil
}

// parseBytes reads a positive byte count with an optional KiB, MiB or GiB
// suffix.
func parseBytes(s string) (int64, error) {
	units := map[string]int64{"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}
	suffixes := make([]string, 0, len(units))
	for k := range units {
		suffixes = append(suffixes, k)
	}
	sort.Strings(suffixes)
	mult := int64(1)
	num := strings.TrimSpace(s)
	for _, u := range suffixes {
		if strings.HasSuffix(num, u) {
			mult, num = units[u], strings.TrimSpace(strings.TrimSuffix(num, u))
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 || n > (1<<62)/mult {
		return 0, errors.New("want a positive number of bytes, optionally with KiB, MiB or GiB")
	}
	return n * mult, nil
}
