// Command hearth-agent is Hearth's node agent: one per Kubernetes cluster
// or machine, dialling out to the control plane to run jobs and sessions.
//
// This build knows its version and can check it reaches a control plane;
// registration, the agent stream and the runners come with the node agent
// protocol (see DESIGN.md).
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
