package nodeagent_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestAgentDependencies keeps hearth-agent small and honest: it must never
// link the control plane's storage, consensus or telemetry stacks.
func TestAgentDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "./cmd/hearth-agent").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	forbidden := []string{
		"github.com/jackc/pgx",
		"github.com/hashicorp/raft",
		"github.com/parquet-go",
		"github.com/redis/go-redis",
		"github.com/hearth-dev/hearth/controlplane",
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list returned only %d packages; the check would prove nothing", len(deps))
	}
	for _, dep := range deps {
		for _, f := range forbidden {
			if strings.HasPrefix(dep, f) {
				t.Errorf("hearth-agent links %s (forbidden prefix %s)", dep, f)
			}
		}
	}
}
