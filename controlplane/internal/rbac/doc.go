// Package rbac owns permissions, roles, role bindings and delegations, and
// the one authorizer every entry point (Connect, REST, git HTTP, WebSocket,
// OTLP, the agent gateway) asks: may this principal do this to this
// resource? Its answers are cached in Redis and invalidated on every change
// that can alter them.
//
// The vocabulary it decides with (Principal, Permission, Rule, Visibility,
// Binding) lives in the leaf package access, so features declare their
// rules and read the caller without importing rbac; only the server wires
// rbac in. What rbac needs of other features it asks through interfaces
// it defines, served by readers built before it: whether a user is active
// (UserStatus: auth), a project's visibility (ProjectVisibility: project)
// and, from groups' one owner, the project feature, a group's visibility
// and which group owns a project (Groups). Every mutation writes its audit
// row with audit.Record in its own transaction; CreateBindingTx and
// SetAdmin join the caller's.
//
// What a user holds on a project is the union of its roles bound
// installation-wide and on that project, plus every valid delegation to it
// on that scope, each narrowed to what its (active) delegator holds through
// its own bindings at the time of the request; delegations are never passed
// on. A token narrows that to its scopes and, when it names a project, to
// that project alone. Read permissions on public projects are anyone's, on
// internal projects any signed-in caller's; project:participate (opening
// issues, commenting) on both is any signed-in user's, within its token's
// scopes (never a read-only or repo:read token's).
//
// Cache: one entry per (user, project) under "rbac:eff:<user>:<project>",
// holding the generation it was computed under, the time it stops being
// valid (the TTL, or sooner when a delegation it counts expires) and the
// set. "rbac:gen" is the generation: Invalidate increments it after every
// committed change, and each decision reads it together with the entry
// (one MGET), so every replica's next decision ignores older entries.
// Without Redis, decisions are computed from PostgreSQL. Other features
// whose changes alter decisions (auth deactivating a user, SetAdmin) call
// Invalidate after their transaction commits.
package rbac
