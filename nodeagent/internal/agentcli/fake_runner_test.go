package agentcli

import (
	"github.com/hearth-dev/hearth/nodeagent/internal/runner"
	"github.com/hearth-dev/hearth/nodeagent/internal/runner/fake"
)

// This package's tests run the agent in process with the fake runner,
// whatever the build tags (setting the same entry as runner_fake.go is
// harmless).
func init() {
	testRunners[fake.Kind] = func() runner.Runner { return fake.New(fake.Options{}) }
}
