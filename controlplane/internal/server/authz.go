package server

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/rbac"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

// CSRFHeader carries the session's CSRF token on cookie-authenticated
// mutations.
const CSRFHeader = "X-CSRF-Token"

// wwwAuthenticate tells API clients how to authenticate. Basic is not
// offered: browsers would prompt and then re-send the password on their
// own (git routes challenge with Basic themselves).
const wwwAuthenticate = `Bearer realm="hearth"`

// passwordChangeAllowed are the RPCs a user who must change their
// password may still call.
var passwordChangeAllowed = map[string]bool{
	hearthv1connect.UserServiceChangePasswordProcedure: true,
	hearthv1connect.AuthServiceGetMeProcedure:          true,
	hearthv1connect.AuthServiceLogoutProcedure:         true,
}

// apiScope is what the "api" token scope allows.
var apiScope, _ = rbac.ScopePermissions([]string{string(rbac.ScopeAPI)})

// authzInterceptor enforces each RPC's declared rule before its handler
// runs. It is the only place Connect and REST requests are authorized.
type authzInterceptor struct {
	rules rbac.Rules
	authz Authorizer
	authn Authenticator
}

func (a *authzInterceptor) check(ctx context.Context, spec connect.Spec, header interface{ Get(string) string }, req any) error {
	rule, ok := a.rules[spec.Procedure]
	if !ok {
		// Unreachable: the server refuses to start with an undeclared RPC.
		return fmt.Errorf("no authorization rule for %s", spec.Procedure)
	}
	if rule.Public {
		return nil
	}
	if err := rbac.AuthErrorFrom(ctx); err != nil {
		return unauthenticated(err)
	}
	p := rbac.PrincipalFrom(ctx)
	if p.MustChangePassword && !passwordChangeAllowed[spec.Procedure] {
		return apperr.FailedPrecondition("you must change your password first (POST /api/v1/me/password)")
	}
	if p.ViaSession && spec.IdempotencyLevel != connect.IdempotencyNoSideEffects {
		if err := a.authn.CheckCSRF(ctx, p, header.Get(CSRFHeader)); err != nil {
			return err
		}
	}
	if rule.Authenticated {
		if p.IsAnonymous() {
			return unauthenticated(apperr.Unauthenticated("sign in first"))
		}
		// Account-level changes (tokens, delegations, profile) need a
		// token as broad as "api" and not tied to one project: a leaked
		// repo:read token must not revoke its owner's other tokens.
		if p.TokenID != uuid.Nil && spec.IdempotencyLevel != connect.IdempotencyNoSideEffects &&
			(p.TokenProject != uuid.Nil || !p.TokenLimit.Contains(apiScope)) {
			return apperr.PermissionDenied("this token's scopes do not allow changing your account: use a token with the api scope")
		}
		return nil
	}
	if rule.Group != nil {
		group, err := rule.Group(ctx, req)
		if err != nil {
			if e, ok := apperr.As(err); ok && e.Kind == apperr.KindNotFound && p.IsAnonymous() {
				return unauthenticated(apperr.Unauthenticated("sign in first"))
			}
			return err
		}
		if err := a.authz.AuthorizeGroup(ctx, p, rule.Permission, group); err != nil {
			if e, ok := apperr.As(err); ok && e.Kind == apperr.KindUnauthenticated {
				return unauthenticated(err)
			}
			return err
		}
		return nil
	}
	var project uuid.UUID
	if rule.Project != nil {
		var err error
		if project, err = rule.Project(ctx, req); err != nil {
			// An anonymous caller learns nothing from a missing project: it
			// is asked to sign in, as for a private one.
			if e, ok := apperr.As(err); ok && e.Kind == apperr.KindNotFound && p.IsAnonymous() {
				return unauthenticated(apperr.Unauthenticated("sign in first"))
			}
			return err
		}
	}
	if err := a.authz.Authorize(ctx, p, rule.Permission, project); err != nil {
		if e, ok := apperr.As(err); ok && e.Kind == apperr.KindUnauthenticated {
			return unauthenticated(err)
		}
		return err
	}
	return nil
}

// unauthenticated is a Connect Unauthenticated error carrying the
// WWW-Authenticate header (sent as an HTTP header on unary and REST calls).
func unauthenticated(err error) error {
	msg := "sign in first"
	if e, ok := apperr.As(err); ok && e.Kind == apperr.KindUnauthenticated {
		msg = e.Message
	}
	ce := connect.NewError(connect.CodeUnauthenticated, errors.New(msg))
	ce.Meta().Set("WWW-Authenticate", wwwAuthenticate)
	return ce
}

func (a *authzInterceptor) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		if err := a.check(ctx, req.Spec(), req.Header(), req.Any()); err != nil {
			return nil, err
		}
		return next(ctx, req)
	}
}

func (a *authzInterceptor) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

// WrapStreamingHandler checks before the first message, so a streaming
// RPC's rule cannot depend on its request (Project must not need it).
func (a *authzInterceptor) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		if err := a.check(ctx, conn.Spec(), conn.RequestHeader(), nil); err != nil {
			return err
		}
		return next(ctx, conn)
	}
}

// proceduresOf lists the full procedure names of the service served at
// path ("/hearth.v1.UserService/").
func proceduresOf(path string) ([]string, error) {
	name := protoreflect.FullName(path[1 : len(path)-1])
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(name)
	if err != nil {
		return nil, fmt.Errorf("service %s: %w", name, err)
	}
	sd, ok := d.(protoreflect.ServiceDescriptor)
	if !ok {
		return nil, fmt.Errorf("%s is not a service", name)
	}
	var out []string
	for i := range sd.Methods().Len() {
		out = append(out, "/"+string(name)+"/"+string(sd.Methods().Get(i).Name()))
	}
	return out, nil
}

// checkDeclared fails for any served procedure without a rule, and any
// rule naming a procedure nobody serves (a typo that would guard nothing).
func checkDeclared(served []string, rules rbac.Rules) error {
	for _, p := range served {
		if _, ok := rules[p]; !ok {
			return fmt.Errorf("RPC %s has no authorization rule: declare one in its feature's api.go", p)
		}
	}
	for p := range rules {
		if !slices.Contains(served, p) {
			return fmt.Errorf("authorization rule for %s, which is not served", p)
		}
	}
	return nil
}
