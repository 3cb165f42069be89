// Package module is the contract between a feature and the server: what a
// feature's Module method hands over for the server to mount and run. It
// holds no logic; the server serves the APIs behind its interceptors,
// adds the mounts to its one URL space, runs Workers on every replica and
// LeaderWorkers only on the Raft leader, and stops everything in reverse.
package module

import (
	"context"
	"net/http"

	"connectrpc.com/connect"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/supervisor"
)

// API is one Connect service of a feature: its handler (the generated
// New<Service>Handler) and the authorization rule of each of its RPCs.
type API interface {
	Handler(opts ...connect.HandlerOption) (string, http.Handler)
	Rules() access.Rules
}

// Mount adds plain HTTP routes (git smart HTTP, downloads, OTLP,
// WebSockets) to the server's mux. They run behind authentication, which
// records the principal; each route authorizes through the one authorizer.
type Mount func(mux *http.ServeMux)

// Check is one readiness dependency: nil means it answers.
type Check struct {
	Name string
	Func func(ctx context.Context) error
}

// Module is what a feature hands the server. Every field may be empty.
type Module struct {
	// Name identifies the feature in logs and errors.
	Name string
	// APIs are served as Connect, gRPC, gRPC-Web and REST.
	APIs []API
	// Mounts add plain HTTP routes. At most one module may mount "/".
	Mounts []Mount
	// Workers run on every replica; LeaderWorkers only on the leader,
	// fenced by its epoch.
	Workers       []supervisor.Worker
	LeaderWorkers []supervisor.Worker
	// Checks join /readyz.
	Checks []Check
	// Draining runs when the server begins to shut down, before it waits
	// for open requests (long-lived streams are told to go elsewhere).
	Draining []func()
	// Stops run last, after the server stopped serving and every worker
	// ended (closing a write-ahead log, say), in reverse module order.
	Stops []func(ctx context.Context) error
}

// List is the modules in dependency order.
type List []Module

// APIs is every module's APIs, in order.
func (l List) APIs() []API { return collect(l, func(m Module) []API { return m.APIs }) }

// Mounts is every module's mounts, in order.
func (l List) Mounts() []Mount { return collect(l, func(m Module) []Mount { return m.Mounts }) }

// Workers is every module's every-replica workers.
func (l List) Workers() []supervisor.Worker {
	return collect(l, func(m Module) []supervisor.Worker { return m.Workers })
}

// LeaderWorkers is every module's leader-only workers.
func (l List) LeaderWorkers() []supervisor.Worker {
	return collect(l, func(m Module) []supervisor.Worker { return m.LeaderWorkers })
}

// Checks is every module's readiness checks.
func (l List) Checks() []Check { return collect(l, func(m Module) []Check { return m.Checks }) }

// Draining is every module's drain hooks.
func (l List) Draining() []func() { return collect(l, func(m Module) []func() { return m.Draining }) }

func collect[T any](l List, of func(Module) []T) []T {
	var out []T
	for _, m := range l {
		out = append(out, of(m)...)
	}
	return out
}
