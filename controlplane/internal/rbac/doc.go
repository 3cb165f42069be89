// Package rbac owns permissions, roles, role bindings and delegations, and
// the one authorizer every entry point (Connect, REST, git HTTP, WebSocket,
// OTLP, the agent gateway) asks: may this principal do this to this
// resource? Its answers are cached in Redis and invalidated on every change
// that can alter them.
package rbac
