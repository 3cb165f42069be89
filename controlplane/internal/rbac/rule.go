package rbac

import (
	"context"

	"github.com/google/uuid"
)

// Rule declares what one RPC needs. Every RPC registered on the server has
// exactly one, declared next to its handler in the feature's api.go; the
// server refuses to start, and a test fails, for an RPC without one.
type Rule struct {
	// Public: anyone may call, anonymous too (sign-in, version).
	Public bool
	// Authenticated: any signed-in principal may call; the handler limits
	// itself to the caller's own data (profile, own tokens).
	Authenticated bool
	// Permission is required of the caller, on the project Project returns
	// or installation-wide when Project is nil or returns uuid.Nil.
	Permission Permission
	// Project extracts the project the request targets.
	Project func(ctx context.Context, req any) (uuid.UUID, error)
	// Group extracts the group the request targets; Permission is then
	// required on the group's scope (Service.AuthorizeGroup). A rule sets
	// at most one of Project and Group.
	Group func(ctx context.Context, req any) (uuid.UUID, error)
}

// Rules maps full procedure names ("/hearth.v1.UserService/CreateUser") to
// their rule. Each feature's API returns its own.
type Rules map[string]Rule
