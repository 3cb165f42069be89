package server

import (
	"context"
	"net/http"

	"connectrpc.com/connect"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
)

// DecideForTest is the authorization interceptor's decision on one unary
// request (no session, so no CSRF), for tests in package server_test that
// walk every rule against a stand-in authorizer (readonly_test.go).
func DecideForTest(ctx context.Context, rules access.Rules, authz Authorizer, procedure string, level connect.IdempotencyLevel, req any) error {
	a := &authzInterceptor{rules: rules, authz: authz}
	return a.check(ctx, connect.Spec{Procedure: procedure, IdempotencyLevel: level}, http.Header{}, req)
}
