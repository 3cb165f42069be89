package agentcli

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/hearth-dev/hearth/nodeagent/internal/podjob"
)

// runPodCommand runs one of the commands the kubernetes runner starts
// inside a job's pod.
func runPodCommand(ctx context.Context, name string, args []string, stdout, stderr io.Writer) int {
	var err error
	switch name {
	case "job-init":
		err = podjob.Init(ctx, args, os.Stdin, stdout)
	case "job-sidecar":
		err = podjob.Sidecar(ctx)
	case "job-artifacts":
		err = podjob.Artifacts(ctx, args, stdout, stderr)
	}
	if err != nil {
		fmt.Fprintf(stderr, "hearth-agent %s: %v\n", name, err)
		return exitFailure
	}
	return exitOK
}
