package controlplane_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestControlPlaneDependencies: hearth never links client-go (node agents
// reach clusters) nor the node agent's code.
func TestControlPlaneDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "./cmd/hearth").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	forbidden := []string{"k8s.io/client-go", "github.com/hearth-dev/hearth/nodeagent"}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list returned only %d packages; the check would prove nothing", len(deps))
	}
	for _, dep := range deps {
		for _, f := range forbidden {
			if strings.HasPrefix(dep, f) {
				t.Errorf("hearth links %s (forbidden prefix %s)", dep, f)
			}
		}
	}
}
