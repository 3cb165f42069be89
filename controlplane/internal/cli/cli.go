package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/controlplane/internal/config"
	"github.com/hearth-dev/hearth/controlplane/internal/devenv"
	"github.com/hearth-dev/hearth/controlplane/internal/server"
	"github.com/hearth-dev/hearth/shared/logging"
	"github.com/hearth-dev/hearth/shared/version"
)

// Exit codes.
const (
	ExitOK      = 0
	ExitFailure = 1 // failed while running
	ExitUsage   = 2 // bad usage or configuration, or could not start
)

const usage = `Hearth: git hosting, CI, deployments, agent sessions and observability.

Usage: hearth <command> [flags]

Commands:
  server    run the control plane (production: PostgreSQL, Redis and S3 URLs required)
  dev       run everything on this machine with embedded defaults (what 'make run' runs)
  version   print the client's version and, with --server, the server's
  login     sign in and store an API token for this machine (~/.config/hearth, mode 0600)
  logout    revoke and forget the stored token
  token     create, list or revoke your API tokens
  user      create, list or deactivate users (admins)
  role      list, create, bind or unbind roles (admins)
  cluster   create or list clusters, create join tokens for node agents (admins)
  pipeline  list, show, run, cancel or retry pipelines; print or follow job logs
  project   create, list or show projects
  group     create or list groups, add or list their members
  issue     create, list, close or comment on issues
  mr        create, list or merge merge requests
  secret    set, list or delete secrets (values are read from stdin, never shown)
  notifications  list your notifications (the default) or mark them read
  webhook   create, list or delete webhooks; show and redeliver their deliveries
  logs      query a project's log records, or follow them live
  traces    show a trace as a waterfall, or search traces
  metrics   list a project's metrics, or aggregate one
  help      show this text

Run 'hearth <command> --help' for a command's flags.
`

// Main runs the hearth command with args (without the program name) and
// returns the process exit code.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	std := stdio{in: stdin, out: stdout, err: stderr}
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return ExitUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "server":
		return runServer(ctx, config.ModeServer, rest, stdout, stderr)
	case "dev":
		return runServer(ctx, config.ModeDev, rest, stdout, stderr)
	case "version":
		return runVersion(ctx, rest, stdout, stderr)
	case "login":
		return runLogin(ctx, rest, std)
	case "logout":
		return runLogout(ctx, rest, std)
	case "token":
		return runGroup(ctx, "token", tokenCommands(), rest, std)
	case "user":
		return runGroup(ctx, "user", userCommands(), rest, std)
	case "role":
		return runGroup(ctx, "role", roleCommands(), rest, std)
	case "cluster":
		return runGroup(ctx, "cluster", clusterCommands(), rest, std)
	case "pipeline":
		return runGroup(ctx, "pipeline", pipelineCommands(), rest, std)
	case "project":
		return runGroup(ctx, "project", projectCommands(), rest, std)
	case "group":
		return runGroup(ctx, "group", groupCommands(), rest, std)
	case "issue":
		return runGroup(ctx, "issue", issueCommands(), rest, std)
	case "mr":
		return runGroup(ctx, "mr", mergeRequestCommands(), rest, std)
	case "secret":
		return runGroup(ctx, "secret", secretCommands(), rest, std)
	case "notifications":
		return runNotifications(ctx, rest, std)
	case "webhook":
		return runGroup(ctx, "webhook", webhookCommands(), rest, std)
	case "logs":
		return runLogs(ctx, rest, std)
	case "traces":
		return runTraces(ctx, rest, std)
	case "metrics":
		return runMetrics(ctx, rest, std)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return ExitOK
	default:
		fmt.Fprintf(stderr, "hearth: unknown command %q (run 'hearth help')\n", cmd)
		return ExitUsage
	}
}

// fail prints one line per problem, prefixed so it reads as hearth's own.
func fail(stderr io.Writer, code int, err error) int {
	for line := range strings.SplitSeq(err.Error(), "\n") {
		fmt.Fprintf(stderr, "hearth: %s\n", line)
	}
	return code
}

func runServer(ctx context.Context, mode config.Mode, args []string, stdout, stderr io.Writer) int {
	name := "server"
	if mode == config.ModeDev {
		name = "dev"
	}
	cfg, err := config.Parse(mode, name, args, stdout)
	if errors.Is(err, config.ErrHelp) {
		return ExitOK
	}
	if err != nil {
		return fail(stderr, ExitUsage, err)
	}
	tee := &logging.Tee{}
	log, err := logging.NewTeed(stderr, cfg.LogLevel, cfg.LogFormat, tee)
	if err != nil {
		return fail(stderr, ExitUsage, err)
	}
	opts := server.Options{Config: cfg, Logger: log, Version: version.Get(), LogTee: tee}
	if mode == config.ModeDev {
		err = devenv.Run(ctx, opts, stdout)
	} else {
		err = server.Run(ctx, opts)
	}
	return exitFor(stderr, log, err)
}

// exitFor maps Run's error to an exit code: start-up problems are the
// operator's to fix (2), anything later is a failure (1).
func exitFor(stderr io.Writer, log zerolog.Logger, err error) int {
	if err == nil {
		return ExitOK
	}
	var startErr *server.StartupError
	if errors.As(err, &startErr) {
		return fail(stderr, ExitUsage, startErr)
	}
	log.Error().Err(err).Msg("hearth stopped on an error")
	return fail(stderr, ExitFailure, err)
}
