package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/hearth-dev/hearth/controlplane/testsvc"
)

// agentBinary is the hearth-agent built from this checkout by TestMain,
// in binDir (where hearthBinary builds hearth on first use).
var agentBinary, binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "hearth-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	agentBinary = filepath.Join(dir, "hearth-agent")
	// -race like the tests (a data race in the agent fails the scenario);
	// benchmarks run without it, and so does the agent they measure.
	args := []string{"build", "-o", agentBinary}
	if raceEnabled {
		args = append(args, "-race")
	}
	build := exec.Command("go", append(args, "./cmd/hearth-agent")...)
	build.Dir = filepath.Join("..", "nodeagent")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "building hearth-agent: %v\n", err)
		os.Exit(1)
	}
	code := testsvc.Run(m)
	_ = os.RemoveAll(dir)
	os.Exit(code)
}
