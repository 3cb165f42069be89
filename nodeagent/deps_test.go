package nodeagent_test

import (
	"os/exec"
	"strings"
	"testing"
)

// fakeRunner is the package of the fake runner, which only test builds of
// the agent (-tags hearthfake) contain.
const fakeRunner = "github.com/hearth-dev/hearth/nodeagent/internal/runner/fake"

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
		fakeRunner, // tests only: builds with -tags hearthfake
		// The kubernetes runner speaks core/v1 through its own REST client:
		// client-go's clientsets and informer factories register every API
		// group and double the binary (21 MB instead of 35 MB).
		"k8s.io/client-go/kubernetes",
		"k8s.io/client-go/informers",
		// The OTLP receiver serves gRPC through connect-go with OTLP's
		// wire-identical *Data messages: the collector packages would
		// link grpc-go and grpc-gateway (43 MB instead of 32 MB).
		"go.opentelemetry.io/proto/otlp/collector",
		"google.golang.org/grpc",
		"github.com/grpc-ecosystem",
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list returned only %d packages; the check would prove nothing", len(deps))
	}
	for _, dep := range deps {
		if strings.HasPrefix(dep, "k8s.io/api/") && dep != "k8s.io/api/core/v1" && dep != "k8s.io/api/coordination/v1" {
			t.Errorf("hearth-agent links the API group %s: only core/v1 and coordination/v1 (the Lease) are needed", dep)
		}
		for _, f := range forbidden {
			if strings.HasPrefix(dep, f) {
				t.Errorf("hearth-agent links %s (forbidden prefix %s)", dep, f)
			}
		}
	}
}

// TestFakeRunnerOnlyWithTag proves the check above can see the fake runner:
// a build with the hearthfake tag links it.
func TestFakeRunnerOnlyWithTag(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-tags", "hearthfake", "./cmd/hearth-agent").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		if dep == fakeRunner {
			return
		}
	}
	t.Fatalf("hearth-agent built with -tags hearthfake does not link %s: runner_fake.go no longer registers it", fakeRunner)
}
