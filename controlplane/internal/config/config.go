package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/peterbourgon/ff/v3"
	"github.com/peterbourgon/ff/v3/ffyaml"
)

// EnvPrefix prefixes every environment variable: --data-dir is HEARTH_DATA_DIR.
const EnvPrefix = "HEARTH"

// Mode selects which command the configuration is for.
type Mode int

const (
	// ModeServer is `hearth server`: production, every URL required.
	ModeServer Mode = iota
	// ModeDev is `hearth dev`: missing URLs mean "start one locally".
	ModeDev
)

// Config is the whole control-plane configuration.
type Config struct {
	Listen string
	// PublicURL is how users reach this installation (clone URLs, links).
	PublicURL       string
	DataDir         string
	LogLevel        string
	LogFormat       string
	ShutdownTimeout time.Duration
	TLSCert         string
	TLSKey          string
	AllowPlaintext  bool
	// TrustedProxies are the peers whose X-Forwarded-For and
	// X-Forwarded-Proto are believed (TLS-terminating load balancers).
	TrustedProxies []netip.Prefix
	// MetricsListen, when set, serves an unauthenticated /metrics for
	// Prometheus on its own port; the main port's /metrics needs an admin.
	MetricsListen string

	Database Database
	Auth     Auth
	Git      Git
	RedisURL string
	// PostgresBinDir (dev only) holds initdb and postgres; empty: search
	// PATH, then /usr/lib/postgresql/*/bin.
	PostgresBinDir string
	S3             S3
	Raft           Raft
	Pipeline       Pipeline
	Secrets        Secrets
	Notify         Notify
	Observe        Observe
	// LocalAgent (dev only) starts a hearth-agent with the process runner.
	LocalAgent LocalAgent
}

// Pipeline configures CI: the agent gateway and the job queue.
type Pipeline struct {
	// AgentHeartbeat is how often agents and the control plane exchange
	// heartbeats; MaxStreamAge ends agent streams so agents rebalance.
	AgentHeartbeat time.Duration
	MaxStreamAge   time.Duration
	// ReaperGrace: a running job whose agent has been silent this long is
	// re-queued (never started) or failed.
	ReaperGrace time.Duration
	// MaxArtifactBytes bounds one uploaded artifact archive.
	MaxArtifactBytes int64
}

// Secrets locates the root key that wraps the secrets' data keys. It
// never reaches the database. Exactly one of RootKeyFile and RootKey is
// required (hearth dev generates a file in its data directory).
type Secrets struct {
	RootKeyFile string
	// RootKey is the key itself (HEARTH_SECRETS_ROOT_KEY).
	RootKey string
	// PreviousRootKeyFile is the root key being rotated out: it still opens
	// the data keys it wrapped until they are re-wrapped.
	PreviousRootKeyFile string
}

// Notify configures the notification channels.
type Notify struct {
	// SMTP: no host, no email channel.
	SMTPHost, SMTPTLS, SMTPUsername, SMTPPassword, SMTPFrom string
	SMTPPort                                                int
	// EmailCoalesce is how long a notification waits for others to share
	// its email; EmailMinInterval the least time between two emails to one
	// user.
	EmailCoalesce, EmailMinInterval time.Duration
	// WebhookAllow are the ranges webhooks may reach although they are
	// private, loopback or link-local.
	WebhookAllow []netip.Prefix
	// WebhookMaxAttempts per delivery, the first retry's delay (doubling
	// up to an hour), and how many deliveries in a row may fail for good
	// before the webhook is disabled.
	WebhookMaxAttempts  int
	WebhookRate         float64
	WebhookFirstRetry   time.Duration
	WebhookDisableAfter int
}

// Observe configures telemetry ingest and storage.
type Observe struct {
	// WALDir holds this replica's write-ahead log (default
	// <data-dir>/observe-wal); SegmentBytes seals a segment at that size.
	WALDir       string
	SegmentBytes int64
	// FlushInterval: a segment is sealed and written to Parquet at least
	// this often, so memory and the WAL stay small.
	FlushInterval time.Duration
	// Retention is how long telemetry is kept when a project sets none.
	Retention time.Duration
	// MaxRequestBytes bounds one ingest request, after decompression.
	MaxRequestBytes int64
	// Rate is the items (spans, log records, points) per second one
	// project may send to one replica, in bursts of Burst.
	Rate  float64
	Burst int
	// AlertInterval spaces the leader's evaluations of alert rules.
	AlertInterval time.Duration
	// SelfProject ("owner/name"), when set, receives Hearth's own traces
	// and log records; it is created, private, for the user owner when
	// missing.
	SelfProject string
}

func (o Observe) problems() []string {
	var p []string
	if o.SegmentBytes < 1<<20 || o.SegmentBytes > 1<<30 {
		p = append(p, "--observe-segment-bytes must be between 1 MiB and 1 GiB")
	}
	if o.FlushInterval < time.Second || o.FlushInterval > time.Hour {
		p = append(p, "--observe-flush-interval must be between 1s and 1h")
	}
	if o.Retention < time.Hour {
		p = append(p, "--observe-retention must be at least 1h")
	}
	if o.MaxRequestBytes < 64<<10 || o.MaxRequestBytes > 256<<20 {
		p = append(p, "--observe-max-request-bytes must be between 64 KiB and 256 MiB")
	}
	if o.SelfProject != "" {
		owner, name, ok := strings.Cut(o.SelfProject, "/")
		if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
			p = append(p, "--self-telemetry-project must be owner/name")
		}
	}
	if o.AlertInterval < time.Second || o.AlertInterval > time.Hour {
		p = append(p, "--observe-alert-interval must be between 1s and 1h")
	}
	if o.Rate <= 0 || o.Burst < 1 {
		p = append(p, "--observe-rate and --observe-burst must be positive")
	}
	return p
}

// problems are the email settings' problems (the mailer checks the SMTP
// ones in depth when it is built).
func (n Notify) problems() []string {
	var p []string
	if n.SMTPHost != "" && n.SMTPFrom == "" {
		p = append(p, "--smtp-from is required with --smtp-host")
	}
	if n.EmailCoalesce < 0 || n.EmailMinInterval < 0 {
		p = append(p, "--email-coalesce and --email-min-interval must not be negative")
	}
	if n.WebhookRate <= 0 {
		p = append(p, "--webhook-rate must be positive")
	}
	if n.WebhookMaxAttempts < 1 || n.WebhookMaxAttempts > 50 || n.WebhookDisableAfter < 1 || n.WebhookFirstRetry < 10*time.Millisecond {
		p = append(p, "--webhook-max-attempts (1-50) and --webhook-disable-after must be at least 1, --webhook-first-retry at least 10ms")
	}
	return p
}

// problems are the pool settings' problems, one line each.
func (d Database) problems() []string {
	var p []string
	if d.MaxConns < 1 {
		p = append(p, "--database-max-conns must be at least 1")
	}
	if d.MinConns < 0 || d.MinConns > d.MaxConns {
		p = append(p, "--database-min-conns must be between 0 and --database-max-conns")
	}
	if d.ConnectTimeout <= 0 {
		p = append(p, "--database-connect-timeout must be positive")
	}
	if d.StatementTimeout < 0 {
		p = append(p, "--database-statement-timeout must not be negative")
	}
	return p
}

// problem says what is wrong with the root key settings ("" if nothing):
// a server needs exactly one key; dev generates one when none is given.
func (s Secrets) problem(mode Mode) string {
	switch {
	case s.RootKeyFile != "" && s.RootKey != "":
		return "--secrets-root-key-file and HEARTH_SECRETS_ROOT_KEY both give the secrets root key: give one"
	case mode == ModeServer && s.RootKeyFile == "" && s.RootKey == "":
		return "no secrets root key: give --secrets-root-key-file or HEARTH_SECRETS_ROOT_KEY (generate one with: head -c 32 /dev/urandom | base64)"
	}
	return ""
}

// LocalAgent configures hearth dev's own node agent.
type LocalAgent struct {
	Enabled  bool
	Binary   string
	Capacity int
}

// Database configures the PostgreSQL pool.
type Database struct {
	URL              string
	MaxConns         int
	MinConns         int
	ConnectTimeout   time.Duration
	StatementTimeout time.Duration
}

// Auth configures sign-in.
type Auth struct {
	// AdminPassword, when set, is the first administrator's password
	// (otherwise a random one is written to the data directory).
	AdminPassword     string
	SessionIdle       time.Duration
	SessionMaxAge     time.Duration
	PasswordMemoryKiB uint
	PasswordTime      uint
	PasswordThreads   uint
}

// Git limits smart-HTTP serving. Zero values take the git feature's defaults.
type Git struct {
	MaxPushBytes int64
	MaxProcesses int
	MaxPerRepo   int
	// NoPushWorker (--push-worker=false): this replica does not consume
	// recorded pushes into pipelines and merge-request refreshes; they
	// wait for a replica that does. Negative so the zero Config consumes.
	NoPushWorker bool
}

// S3 locates the object store. Endpoint is a URL: http:// or https://.
type S3 struct {
	Endpoint  string
	Region    string
	Bucket    string
	AccessKey string
	SecretKey string
}

// Raft configures this replica's consensus membership.
type Raft struct {
	Listen string
	NodeID string
}

// Error lists every invalid setting, one per line.
type Error struct {
	Problems []string
}

func (e *Error) Error() string { return strings.Join(e.Problems, "\n") }

// ErrHelp is returned when -h or --help was asked for; usage was printed.
var ErrHelp = flag.ErrHelp

// Parse reads args (without the command name), the environment and the
// optional --config YAML file, then validates. Usage goes to usage when
// --help is given. Every problem found is reported, one line each.
func Parse(mode Mode, name string, args []string, usage io.Writer) (Config, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var c Config
	hostname, _ := os.Hostname()
	logFormat := "json"
	// Dev takes a free Raft port: two `hearth dev` on one machine must not
	// collide, and a lone replica's Raft address may change across restarts.
	raftListen, raftHelp := "127.0.0.1:8301", "address for Raft traffic between replicas (host:port)"
	if mode == ModeDev {
		logFormat = "console"
		raftListen, raftHelp = "127.0.0.1:0", "address for Raft traffic (host:port; default: a free loopback port)"
	}
	var trustedProxies, webhookAllow string
	var pushWorker bool

	fs.StringVar(&c.Listen, "listen", "127.0.0.1:8080", "address for HTTP, gRPC and git (host:port)")
	fs.StringVar(&c.PublicURL, "public-url", "", "URL users reach Hearth at, for clone URLs and links (default: http://<listen>)")
	fs.StringVar(&c.DataDir, "data-dir", "./.hearth", "directory for repositories, Raft state and (dev) local services")
	fs.StringVar(&c.LogLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&c.LogFormat, "log-format", logFormat, "json or console")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 20*time.Second, "how long a graceful stop may take")
	fs.StringVar(&c.TLSCert, "tls-cert", "", "TLS certificate file (PEM); required with --tls-key for a non-loopback --listen")
	fs.StringVar(&c.TLSKey, "tls-key", "", "TLS private key file (PEM)")
	fs.BoolVar(&c.AllowPlaintext, "allow-plaintext", false, "serve without TLS on a non-loopback --listen (only behind a TLS-terminating proxy)")
	fs.StringVar(&trustedProxies, "trusted-proxies", "", "comma-separated CIDRs or addresses of proxies whose X-Forwarded-For and X-Forwarded-Proto are believed")
	fs.StringVar(&c.MetricsListen, "metrics-listen", "", "address for an unauthenticated Prometheus /metrics (host:port); empty: none (the main port's /metrics needs an admin)")
	fs.StringVar(&c.Database.URL, "database-url", "", "PostgreSQL URL (postgres://user:pass@host/db)"+devNote(mode))
	fs.IntVar(&c.Database.MaxConns, "database-max-conns", 20, "maximum open PostgreSQL connections")
	fs.IntVar(&c.Database.MinConns, "database-min-conns", 0, "connections kept open when idle")
	fs.DurationVar(&c.Database.ConnectTimeout, "database-connect-timeout", 5*time.Second, "timeout for connecting to PostgreSQL")
	fs.DurationVar(&c.Database.StatementTimeout, "database-statement-timeout", 30*time.Second, "server-side limit per SQL statement (0: none)")
	fs.StringVar(&c.Auth.AdminPassword, "admin-password", "", "first administrator's password (prefer HEARTH_ADMIN_PASSWORD); empty: a random one in <data-dir>/initial-admin-password")
	fs.DurationVar(&c.Auth.SessionIdle, "session-idle-timeout", 24*time.Hour, "a session unused this long ends")
	fs.DurationVar(&c.Auth.SessionMaxAge, "session-max-age", 30*24*time.Hour, "a session ends this long after sign-in, used or not")
	fs.UintVar(&c.Auth.PasswordMemoryKiB, "password-memory-kib", 19456, "argon2id memory per password hash, KiB (OWASP: 19456)")
	fs.UintVar(&c.Auth.PasswordTime, "password-iterations", 2, "argon2id passes (OWASP: 2)")
	fs.UintVar(&c.Auth.PasswordThreads, "password-parallelism", 1, "argon2id lanes (OWASP: 1)")
	fs.Int64Var(&c.Git.MaxPushBytes, "git-max-push-bytes", 2<<30, "largest pack a push may send, in bytes")
	fs.IntVar(&c.Git.MaxProcesses, "git-max-processes", 0, "git processes serving clients at once on this replica (0: 4 per CPU, at least 8)")
	fs.IntVar(&c.Git.MaxPerRepo, "git-max-processes-per-repo", 16, "git processes serving one repository at once")
	fs.BoolVar(&pushWorker, "push-worker", true, "consume recorded pushes into pipelines and merge-request refreshes on this replica (false: pushes wait for a replica that does)")
	fs.StringVar(&c.RedisURL, "redis-url", "", "Redis or Valkey URL (redis://host:6379/0)"+devNote(mode))
	fs.StringVar(&c.S3.Endpoint, "s3-endpoint", "", "S3 endpoint URL (https://s3.example.com)"+devNote(mode))
	fs.StringVar(&c.S3.Region, "s3-region", "us-east-1", "S3 region")
	fs.StringVar(&c.S3.Bucket, "s3-bucket", "hearth", "S3 bucket, created at start if missing")
	fs.StringVar(&c.S3.AccessKey, "s3-access-key", "", "S3 access key id")
	fs.StringVar(&c.S3.SecretKey, "s3-secret-key", "", "S3 secret key (prefer HEARTH_S3_SECRET_KEY)")
	fs.StringVar(&c.Raft.Listen, "raft-listen", raftListen, raftHelp)
	fs.StringVar(&c.Raft.NodeID, "node-id", hostname, "this replica's stable Raft id")
	fs.DurationVar(&c.Pipeline.AgentHeartbeat, "agent-heartbeat-interval", 10*time.Second, "heartbeat interval on node-agent streams")
	fs.DurationVar(&c.Pipeline.MaxStreamAge, "agent-max-stream-age", 30*time.Minute, "node-agent streams end (and reconnect) after about this long, so agents rebalance over replicas")
	fs.DurationVar(&c.Pipeline.ReaperGrace, "job-reaper-grace", 2*time.Minute, "a running job whose agent is silent this long is re-queued or failed")
	fs.Int64Var(&c.Pipeline.MaxArtifactBytes, "max-artifact-bytes", 1<<30, "largest artifact archive a job may upload, in bytes")
	c.featureFlags(fs, mode, &webhookAllow)
	if mode == ModeDev {
		fs.StringVar(&c.PostgresBinDir, "postgres-bin-dir", "", "directory holding initdb and postgres (default: PATH, then /usr/lib/postgresql/*/bin)")
		fs.BoolVar(&c.LocalAgent.Enabled, "local-agent", true, "start a node agent with the process runner, so pushes run pipelines on this machine")
		fs.StringVar(&c.LocalAgent.Binary, "agent-binary", "", "the hearth-agent executable (default: next to hearth, then PATH)")
		fs.IntVar(&c.LocalAgent.Capacity, "local-agent-capacity", 4, "jobs the local agent runs at once")
	}
	fs.String("config", "", "optional YAML file with the same settings (keys are flag names)")

	err := ff.Parse(fs, args,
		ff.WithEnvVarPrefix(EnvPrefix),
		ff.WithConfigFileFlag("config"),
		ff.WithConfigFileParser(ffyaml.Parser),
	)
	if errors.Is(err, flag.ErrHelp) {
		printUsage(usage, name, fs)
		return Config{}, ErrHelp
	}
	if err != nil {
		return Config{}, &Error{Problems: []string{flagError(err)}}
	}
	if fs.NArg() > 0 {
		return Config{}, &Error{Problems: []string{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}}
	}
	c.Git.NoPushWorker = !pushWorker
	return c, c.validate(mode, trustedProxies, webhookAllow)
}

// featureFlags declares the flags of secrets and notifications.
func (c *Config) featureFlags(fs *flag.FlagSet, mode Mode, webhookAllow *string) {
	fs.StringVar(&c.Secrets.RootKeyFile, "secrets-root-key-file", "", "file holding the root key that wraps secrets' data keys (32 bytes as base64 or hex; generate: head -c 32 /dev/urandom | base64)"+secretsNote(mode))
	fs.StringVar(&c.Secrets.RootKey, "secrets-root-key", "", "the secrets root key itself, instead of a file (set it as HEARTH_SECRETS_ROOT_KEY, never on the command line)")
	fs.StringVar(&c.Notify.SMTPHost, "smtp-host", "", "SMTP server for notification emails (host name or address, no port); empty: no emails")
	fs.IntVar(&c.Notify.SMTPPort, "smtp-port", 0, "SMTP port (0: 25, 587 or 465 after --smtp-tls)")
	fs.StringVar(&c.Notify.SMTPTLS, "smtp-tls", "starttls", "none, starttls (required, never a fallback to plain) or tls (implicit, SMTPS)")
	fs.StringVar(&c.Notify.SMTPUsername, "smtp-username", "", "SMTP AUTH PLAIN user name")
	fs.StringVar(&c.Notify.SMTPPassword, "smtp-password", "", "SMTP password (prefer HEARTH_SMTP_PASSWORD)")
	fs.StringVar(&c.Notify.SMTPFrom, "smtp-from", "", `the sender of notification emails, e.g. "Hearth <hearth@example.com>"`)
	fs.DurationVar(&c.Notify.EmailCoalesce, "email-coalesce", 30*time.Second, "a notification waits this long for others of the same user to share one email")
	fs.DurationVar(&c.Notify.EmailMinInterval, "email-min-interval", time.Minute, "the least time between two notification emails to one user")
	fs.IntVar(&c.Notify.WebhookMaxAttempts, "webhook-max-attempts", 8, "attempts per webhook delivery before it fails for good")
	fs.DurationVar(&c.Notify.WebhookFirstRetry, "webhook-first-retry", 10*time.Second, "delay before a failed webhook delivery's second attempt; it doubles for each next one, up to an hour")
	fs.Float64Var(&c.Notify.WebhookRate, "webhook-rate", 50, "deliveries per second to one webhook from one replica (bursts of twice that); the rest wait in the queue")
	fs.StringVar(&c.Observe.WALDir, "observe-wal-dir", "", "directory of this replica's telemetry write-ahead log (default: <data-dir>/observe-wal)")
	fs.Int64Var(&c.Observe.SegmentBytes, "observe-segment-bytes", 64<<20, "a telemetry WAL segment is sealed and flushed to Parquet at this size")
	fs.DurationVar(&c.Observe.FlushInterval, "observe-flush-interval", time.Minute, "telemetry reaches Parquet on S3 at least this often")
	fs.DurationVar(&c.Observe.Retention, "observe-retention", 30*24*time.Hour, "how long telemetry is kept when a project sets no retention")
	fs.Int64Var(&c.Observe.MaxRequestBytes, "observe-max-request-bytes", 16<<20, "the largest OTLP or remote-write request, after decompression")
	fs.Float64Var(&c.Observe.Rate, "observe-rate", 200000, "spans, log records and points per second one project may send to one replica")
	fs.IntVar(&c.Observe.Burst, "observe-burst", 400000, "the burst --observe-rate allows")
	selfDefault := ""
	if mode == ModeDev {
		selfDefault = "admin/hearth"
	}
	fs.StringVar(&c.Observe.SelfProject, "self-telemetry-project", selfDefault, "owner/name: store Hearth's own traces and logs there (created, private, for the user owner when missing); empty: off")
	fs.DurationVar(&c.Observe.AlertInterval, "observe-alert-interval", 15*time.Second, "how often the leader evaluates alert rules")
	fs.IntVar(&c.Notify.WebhookDisableAfter, "webhook-disable-after", 5, "a webhook is disabled, and its owner told, after this many deliveries in a row failed for good")
	fs.StringVar(webhookAllow, "webhook-allow-cidr", "", "comma-separated CIDRs webhooks may reach although private, loopback or link-local (default: none)")
	fs.StringVar(&c.Secrets.PreviousRootKeyFile, "secrets-previous-root-key-file", "", "while rotating the root key: the old key's file, which still opens the data keys it wrapped until they are re-wrapped")
}

// ParsePrefixes reads comma-separated CIDRs ("10.0.0.0/8") or single
// addresses ("192.0.2.7", taken as /32 or /128). Empty entries are skipped.
func ParsePrefixes(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for item := range strings.SplitSeq(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if strings.Contains(item, "/") {
			p, err := netip.ParsePrefix(item)
			if err != nil {
				return nil, fmt.Errorf("%q is not a CIDR", item)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(item)
		if err != nil {
			return nil, fmt.Errorf("%q is neither an address nor a CIDR", item)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

func secretsNote(mode Mode) string {
	if mode == ModeDev {
		return "; empty: <data-dir>/secrets-root-key, generated on first start"
	}
	return ""
}

func devNote(mode Mode) string {
	if mode == ModeDev {
		return "; empty: start one under --data-dir"
	}
	return ""
}

// flagError turns the flag package's messages into one tidy line.
func flagError(err error) string {
	msg := err.Error()
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	return strings.TrimPrefix(msg, "error parsing commandline arguments: ")
}

func printUsage(w io.Writer, name string, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Usage: hearth %s [flags]\n\nEvery flag can also be set as %s_<FLAG> (dashes as underscores), or in --config.\n\n", name, EnvPrefix)
	fs.SetOutput(w)
	fs.PrintDefaults()
}

func (c *Config) validate(mode Mode, trustedProxies, webhookAllow string) error {
	var p []string
	bad := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }

	var err error
	if c.TrustedProxies, err = ParsePrefixes(trustedProxies); err != nil {
		bad("--trusted-proxies: %v", err)
	}
	if err := checkHostPort(c.Listen); err != nil {
		bad("--listen %q: %v", c.Listen, err)
	}
	if err := checkHostPort(c.Raft.Listen); err != nil {
		bad("--raft-listen %q: %v", c.Raft.Listen, err)
	}
	if c.MetricsListen != "" {
		if err := checkHostPort(c.MetricsListen); err != nil {
			bad("--metrics-listen %q: %v", c.MetricsListen, err)
		}
	}
	if c.DataDir == "" {
		bad("--data-dir must not be empty")
	}
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("--public-url must be an http:// or https:// URL")
		}
	}
	if c.Raft.NodeID == "" {
		bad("--node-id must not be empty")
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("--log-level %q: want debug, info, warn or error", c.LogLevel)
	}
	switch c.LogFormat {
	case "json", "console":
	default:
		bad("--log-format %q: want json or console", c.LogFormat)
	}
	if c.ShutdownTimeout <= 0 {
		bad("--shutdown-timeout must be positive")
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		bad("--tls-cert and --tls-key go together")
	}
	if c.TLSCert == "" && !c.AllowPlaintext && p == nil && !isLoopback(c.Listen) {
		bad("--listen %q is not a loopback address: give --tls-cert and --tls-key, or --allow-plaintext behind a TLS-terminating proxy", c.Listen)
	}
	p = append(p, c.Database.problems()...)

	if c.Pipeline.AgentHeartbeat < 100*time.Millisecond || c.Pipeline.AgentHeartbeat > 5*time.Minute {
		bad("--agent-heartbeat-interval must be between 100ms and 5m")
	}
	if c.Pipeline.MaxStreamAge < 10*c.Pipeline.AgentHeartbeat {
		bad("--agent-max-stream-age must be at least 10 heartbeat intervals")
	}
	if c.Pipeline.ReaperGrace < 3*c.Pipeline.AgentHeartbeat {
		bad("--job-reaper-grace must be at least 3 heartbeat intervals")
	}
	if c.Pipeline.MaxArtifactBytes < 1<<20 {
		bad("--max-artifact-bytes must be at least 1 MiB")
	}
	if mode == ModeDev && (c.LocalAgent.Capacity < 1 || c.LocalAgent.Capacity > 64) {
		bad("--local-agent-capacity must be between 1 and 64")
	}

	if msg := c.Secrets.problem(mode); msg != "" {
		bad("%s", msg)
	}
	if c.Notify.WebhookAllow, err = ParsePrefixes(webhookAllow); err != nil {
		bad("--webhook-allow-cidr: %v", err)
	}
	p = append(p, c.Notify.problems()...)
	p = append(p, c.Observe.problems()...)
	if c.Auth.AdminPassword != "" && len(c.Auth.AdminPassword) < 12 {
		bad("--admin-password must be at least 12 characters")
	}
	if c.Auth.SessionIdle <= 0 || c.Auth.SessionMaxAge < c.Auth.SessionIdle {
		bad("--session-idle-timeout must be positive and at most --session-max-age")
	}
	if c.Auth.PasswordMemoryKiB < 8*1024 || c.Auth.PasswordMemoryKiB > 4<<20 || c.Auth.PasswordTime < 1 || c.Auth.PasswordTime > 100 ||
		c.Auth.PasswordThreads < 1 || c.Auth.PasswordThreads > 255 {
		bad("argon2id parameters out of range (memory 8192-4194304 KiB, iterations 1-100, parallelism 1-255)")
	}

	if c.Git.MaxPushBytes < 1<<20 || c.Git.MaxProcesses < 0 || c.Git.MaxPerRepo < 1 {
		bad("git limits out of range (--git-max-push-bytes at least 1048576, process limits positive)")
	}

	required := mode == ModeServer
	checkURL(&p, "--database-url", c.Database.URL, required, "postgres", "postgresql")
	checkURL(&p, "--redis-url", c.RedisURL, required, "redis", "rediss", "valkey", "valkeys")
	checkURL(&p, "--s3-endpoint", c.S3.Endpoint, required, "http", "https")
	if c.S3.Endpoint != "" && (c.S3.AccessKey == "" || c.S3.SecretKey == "") {
		bad("--s3-endpoint needs --s3-access-key and --s3-secret-key")
	}
	if c.S3.Bucket == "" {
		bad("--s3-bucket must not be empty")
	}
	if p != nil {
		return &Error{Problems: p}
	}
	return nil
}

// checkURL validates a URL setting without ever echoing it: URLs carry
// passwords, and error lines end up in logs.
func checkURL(p *[]string, flagName, raw string, required bool, schemes ...string) {
	if raw == "" {
		if required {
			*p = append(*p, flagName+" is required")
		}
		return
	}
	u, err := url.Parse(raw)
	if err != nil {
		*p = append(*p, flagName+" is not a valid URL")
		return
	}
	for _, s := range schemes {
		if u.Scheme == s {
			if u.Host == "" && u.Query().Get("host") == "" {
				*p = append(*p, flagName+" has no host")
			}
			return
		}
	}
	*p = append(*p, fmt.Sprintf("%s must start with %s://", flagName, strings.Join(schemes, ":// or ")))
}

func checkHostPort(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return errors.New("want host:port")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("bad port %q (want 0-65535)", port)
	}
	if strings.ContainsAny(host, " /") {
		return fmt.Errorf("bad host %q", host)
	}
	return nil
}

// isLoopback reports whether a listen address is only reachable locally.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// IsLoopback reports whether c.Listen is a loopback address (h2c allowed).
func (c Config) IsLoopback() bool { return isLoopback(c.Listen) }
