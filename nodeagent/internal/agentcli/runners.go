package agentcli

import (
	"sort"
	"strings"

	"github.com/hearth-dev/hearth/nodeagent/internal/runner"
)

// testRunners are the runner kinds --runner accepts besides process, each
// with its constructor. Only test builds add to it: runner_fake.go under the
// hearthfake build tag, and this package's tests. The production
// hearth-agent is built without the tag, so it neither links nor accepts
// the fake runner.
var testRunners = map[string]func() runner.Runner{}

// runnerKinds lists the kinds --runner accepts, for messages.
func runnerKinds() string {
	kinds := []string{"process", "kubernetes"}
	for k := range testRunners {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds[2:])
	return strings.Join(kinds, ", ")
}
