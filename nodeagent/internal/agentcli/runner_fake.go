//go:build hearthfake

package agentcli

import (
	"github.com/hearth-dev/hearth/nodeagent/internal/runner"
	"github.com/hearth-dev/hearth/nodeagent/internal/runner/fake"
)

// A hearth-agent built with -tags hearthfake also runs the fake runner
// (--runner fake), for tests that need it in a real agent process.
func init() {
	testRunners[fake.Kind] = func() runner.Runner { return fake.New(fake.Options{}) }
}
