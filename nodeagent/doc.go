// Package nodeagent is the module of hearth-agent, Hearth's node agent.
// Its code lives in cmd/hearth-agent and internal/.
package nodeagent
