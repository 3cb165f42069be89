//go:build !race

package e2e

// raceEnabled: the tests run without -race (benchmarks): so does the agent.
const raceEnabled = false
