// Package agentcli implements the hearth-agent command line: parsing flags
// and HEARTH_AGENT_* variables and dispatching to the agent's parts.
package agentcli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"connectrpc.com/connect"

	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
	"github.com/hearth-dev/hearth/shared/version"
)

// Exit codes, as for hearth.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

const usageHead = `hearth-agent: Hearth's node agent. It dials out to a Hearth control plane,
runs the jobs it is given and streams their logs back.

Usage:
  hearth-agent [run] --server URL --data-dir DIR [flags]
  hearth-agent version [--server URL]
  hearth-agent help

Commands:
  run       (the default) register on first start, then run jobs until
            SIGINT or SIGTERM; running jobs keep running and are resumed
            by the next start on the same --data-dir
  version   print the agent's version and, with --server, the control plane's
  help      show this text
  job-init, job-sidecar, job-artifacts
            run inside a job's pod by the kubernetes runner (docs/kubernetes.md)

Flags of run (each also as the environment variable shown; a flag wins):
`

const usageTail = `
Exit codes: 0 stopped by a signal; 1 the agent failed (for example its
credential was revoked: register it again with a new join token);
2 bad flags or variables.
See docs/agent.md.
`

// Main runs the command and returns its exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") && !isHelp(args[0]) {
		return runAgent(ctx, args, stdout, stderr)
	}
	switch args[0] {
	case "run":
		return runAgent(ctx, args[1:], stdout, stderr)
	case "version":
		return runVersion(ctx, args[1:], stdout, stderr)
	case "job-init", "job-sidecar", "job-artifacts":
		return runPodCommand(ctx, args[0], args[1:], stdout, stderr)
	case "help", "-h", "--help", "-help":
		printUsage(stdout)
		return exitOK
	default:
		fmt.Fprintf(stderr, "hearth-agent: unknown command %q (run 'hearth-agent help')\n", args[0])
		return exitUsage
	}
}

func isHelp(arg string) bool { return arg == "-h" || arg == "--help" || arg == "-help" }

func printUsage(w io.Writer) {
	fmt.Fprint(w, usageHead)
	for _, s := range settings {
		def := s.def
		if def == "" {
			def = "none"
		}
		fmt.Fprintf(w, "  --%s %s  (%s, default %s)\n      %s\n", s.name, s.arg, envName(s.name), def, s.help)
	}
	fmt.Fprint(w, usageTail)
}

func runVersion(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	server := fs.String("server", "", "control plane URL, e.g. http://127.0.0.1:8080")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return exitOK
		}
		fmt.Fprintf(stderr, "hearth-agent: %v\n", err)
		return exitUsage
	}
	fmt.Fprintf(stdout, "agent: %s\n", version.Get())
	if *server == "" {
		return exitOK
	}
	u, err := url.Parse(*server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		fmt.Fprintf(stderr, "hearth-agent: --server %q: want an http:// or https:// URL\n", *server)
		return exitUsage
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	client := hearthv1connect.NewSystemServiceClient(http.DefaultClient, u.String())
	res, err := client.GetVersion(ctx, &hearthv1.GetVersionRequest{})
	if err != nil {
		fmt.Fprintf(stderr, "hearth-agent: server %s: %s\n", u, connect.CodeOf(err))
		return exitFailure
	}
	fmt.Fprintf(stdout, "server: %s\n", version.Info{Version: res.GetVersion(), Commit: res.GetCommit(), GoVersion: res.GetGoVersion()})
	return exitOK
}
