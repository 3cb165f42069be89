package access

import (
	"context"

	"github.com/google/uuid"
)

// Rule declares what one RPC needs. Every RPC registered on the server has
// exactly one, declared next to its handler in the feature's api.go; the
// server refuses to start, and a test fails, for an RPC without one.
//
// The server's authorization interceptor is the only code that reads a
// Rule, for every transport (Connect, gRPC, gRPC-Web, REST), and decides
// before the handler runs; a streaming RPC is decided on its first request
// message. Handlers hold no permission checks of their own: whatever a
// request needs beyond the RPC's permission (a field, another user's row,
// the group a project goes to) is declared here, with Also, so the
// authorization tests exercise it. Two decisions stay with their data, as
// they are not "may the caller use this permission here": what a role
// grant passes on (CheckGrant: through the caller's own bindings, never a
// delegation) and what a merge may do to protected branches (the git
// feature's push rules, decided as the target moves, as for a push).
//
// An RPC without `option idempotency_level = NO_SIDE_EFFECTS` in its proto
// is a mutation: its rule must not declare a read permission (project:read,
// repo:read, pipeline:read, deploy:read, observe:read), so read-only and
// repo:read tokens can never reach it (server/readonly_test.go walks every
// RPC to keep it so).
type Rule struct {
	// Public: anyone may call, anonymous too (sign-in, version, lists that
	// show each caller only what it may see). Nothing else is checked: a
	// Public rule sets no other field.
	Public bool
	// Authenticated: any signed-in principal may call; the handler limits
	// itself to the caller's own data (profile, own tokens). A token may
	// make such a call that changes something only if its scopes are as
	// broad as "api" and it names no project (the interceptor's account
	// rule), so a read-only token changes nothing of its owner's account.
	Authenticated bool
	// Permission is required of the caller, on the project Project returns
	// (on the group Group returns) or installation-wide when both are nil or
	// return uuid.Nil.
	Permission Permission
	// Project extracts the project the request targets. Its NotFound
	// answers an anonymous caller with Unauthenticated.
	Project func(ctx context.Context, req any) (uuid.UUID, error)
	// Group extracts the group the request targets; Permission is then
	// required on the group's scope (Service.AuthorizeGroup). A rule sets
	// at most one of Project and Group.
	Group func(ctx context.Context, req any) (uuid.UUID, error)
	// NotFound, when set, is the message of the NotFound answered when the
	// caller may not see the project (or group) of the id the request
	// names: the very message Project (or Group) gives an id that names
	// nothing ("pipeline not found"), so a private id and a made-up one
	// answer alike. Empty: the authorizer's own ("project not found"),
	// right for rules naming the project itself.
	NotFound string
	// Also returns what this very request needs beyond Permission: per
	// field (labels on a new issue need project:write) or per row (editing
	// someone else's issue needs project:write, deleting someone else's
	// comment project:admin). It runs only after Permission was granted,
	// with the caller and the project or group the rule resolved (uuid.Nil
	// for neither), so it may look rows up without revealing anything the
	// caller could not read; each Need is then decided by the same
	// authorizer, and the first refusal answers the request. Nothing more
	// needed: (nil, nil). An error (a row not found) answers the request.
	Also func(ctx context.Context, p Principal, target uuid.UUID, req any) ([]Need, error)
}

// Need is one more permission a request needs (see Rule.Also), on the
// project Project, on the group Group, or installation-wide when both are
// uuid.Nil. At most one of Project and Group is set.
type Need struct {
	Permission Permission
	Project    uuid.UUID
	Group      uuid.UUID
	// Known: the caller already knows the scope exists (the project it
	// may administer is named after its group), so a refusal is
	// PermissionDenied even where the scope is invisible to it, rather
	// than NotFound.
	Known bool
	// Refusal, when set, is the message of a PermissionDenied refusal
	// (one naming the group, say), instead of the authorizer's.
	Refusal string
	// Hidden, when set, answers a refusal with NotFound and this message,
	// the one a made-up id gets ("delegation not found"): the caller may
	// not learn the row exists.
	Hidden string
}

// NeedOn is Permission on project (uuid.Nil: installation-wide).
func NeedOn(perm Permission, project uuid.UUID) []Need {
	return []Need{{Permission: perm, Project: project}}
}

// Rules maps full procedure names ("/hearth.v1.UserService/CreateUser") to
// their rule. Each feature's API returns its own.
type Rules map[string]Rule
