// Command hearth-agent is Hearth's node agent: one per machine (one per
// Kubernetes cluster once the kubernetes runner exists), dialling out to the control plane to run jobs and stream
// their logs back (see docs/agent.md and nodeagent/internal/session).
//
// SIGINT and SIGTERM end the context Main runs with: the agent closes its
// stream and exits 0, leaving running jobs to the next start.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/hearth-dev/hearth/nodeagent/internal/agentcli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := agentcli.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
