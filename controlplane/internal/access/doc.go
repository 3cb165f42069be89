// Package access is the authorization vocabulary every feature speaks:
// who is calling (Principal, carried in the request's context by
// WithPrincipal), what a call needs (Permission, Set, the token Scopes),
// how an RPC declares it (Rule, Need), who may read a project or group
// without a role (Visibility), and the role binding values features pass
// around (Binding, the system role names).
//
// It is a leaf: it imports only the standard library and uuid, so audit,
// auth, project and every other feature can use it without importing rbac,
// which decides with it (rbac imports access, never the other way round).
// Stored names (permissions, scopes, roles) are stable: they live in
// roles, delegations and tokens.
package access
