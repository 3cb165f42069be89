package server

import (
	"context"
	"errors"
	"fmt"
	"io"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
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
var apiScope, _ = access.ScopePermissions([]string{string(access.ScopeAPI)})

// authzInterceptor enforces each RPC's declared rule before its handler
// runs. It is the only place Connect and REST requests are authorized.
type authzInterceptor struct {
	rules access.Rules
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
	if err := access.AuthErrorFrom(ctx); err != nil {
		return unauthenticated(err)
	}
	p := access.PrincipalFrom(ctx)
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
		return a.also(ctx, rule, p, uuid.Nil, req)
	}
	var target uuid.UUID
	var err error
	switch {
	case rule.Group != nil:
		if target, err = rule.Group(ctx, req); err != nil {
			return anonymousNotFound(p, err)
		}
		err = a.authz.AuthorizeGroup(ctx, p, rule.Permission, target)
	case rule.Project != nil:
		if target, err = rule.Project(ctx, req); err != nil {
			return anonymousNotFound(p, err)
		}
		err = a.authz.Authorize(ctx, p, rule.Permission, target)
	default:
		err = a.authz.Authorize(ctx, p, rule.Permission, uuid.Nil)
	}
	if err != nil {
		return asUnauthenticated(hidden(rule, err))
	}
	return a.also(ctx, rule, p, target, req)
}

// also decides what the request needs beyond its rule's permission (see
// access.Rule.Also), through the same authorizer.
func (a *authzInterceptor) also(ctx context.Context, rule access.Rule, p access.Principal, target uuid.UUID, req any) error {
	if rule.Also == nil {
		return nil
	}
	needs, err := rule.Also(ctx, p, target, req)
	if err != nil {
		return anonymousNotFound(p, err)
	}
	for _, n := range needs {
		var err error
		if n.Group != uuid.Nil {
			err = a.authz.AuthorizeGroup(ctx, p, n.Permission, n.Group)
		} else {
			err = a.authz.Authorize(ctx, p, n.Permission, n.Project)
		}
		if e, ok := apperr.As(err); ok && (e.Kind == apperr.KindPermissionDenied || e.Kind == apperr.KindNotFound && n.Known) {
			switch {
			case n.Hidden != "":
				err = apperr.NotFound("%s", n.Hidden)
			case n.Refusal != "":
				err = apperr.PermissionDenied("%s", n.Refusal)
			default:
				err = apperr.PermissionDenied("permission %s on the %s is required", n.Permission, needScope(n))
			}
		}
		if err != nil {
			return asUnauthenticated(err)
		}
	}
	return nil
}

// needScope names where a Need asks its permission, for refusals.
func needScope(n access.Need) string {
	switch {
	case n.Group != uuid.Nil:
		return "group"
	case n.Project != uuid.Nil:
		return "project"
	default:
		return "installation"
	}
}

// hidden answers a target the caller may not see as the rule's extractor
// answers one that does not exist (access.Rule.NotFound): no existence
// oracle through differing messages.
func hidden(rule access.Rule, err error) error {
	if e, ok := apperr.As(err); ok && e.Kind == apperr.KindNotFound && rule.NotFound != "" {
		return apperr.NotFound("%s", rule.NotFound)
	}
	return err
}

// anonymousNotFound asks an anonymous caller to sign in rather than
// telling it what does not exist (as for a private project).
func anonymousNotFound(p access.Principal, err error) error {
	if e, ok := apperr.As(err); ok && e.Kind == apperr.KindNotFound && p.IsAnonymous() {
		return unauthenticated(apperr.Unauthenticated("sign in first"))
	}
	return err
}

// asUnauthenticated gives the authorizer's Unauthenticated answers their
// WWW-Authenticate challenge.
func asUnauthenticated(err error) error {
	if e, ok := apperr.As(err); ok && e.Kind == apperr.KindUnauthenticated {
		return unauthenticated(err)
	}
	return err
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

// WrapStreamingHandler decides a streaming RPC on its first request
// message, as a unary one is decided on its request: it receives that
// message, checks the rule with it, and hands the handler a connection
// whose first Receive returns it. A Public rule reads nothing (the agent
// gateway authenticates its own credential before reading), nor does a
// rule that cannot depend on the request.
func (a *authzInterceptor) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		rule := a.rules[conn.Spec().Procedure]
		if rule.Public || rule.Project == nil && rule.Group == nil && rule.Also == nil {
			if err := a.check(ctx, conn.Spec(), conn.RequestHeader(), nil); err != nil {
				return err
			}
			return next(ctx, conn)
		}
		first, err := newRequestMessage(conn.Spec())
		if err != nil {
			return err
		}
		recvErr := conn.Receive(first)
		if recvErr != nil && !errors.Is(recvErr, io.EOF) {
			return recvErr
		}
		// A stream closed before its first message is decided on an empty
		// request, so a caller learns no more than from an empty one.
		if err := a.check(ctx, conn.Spec(), conn.RequestHeader(), first); err != nil {
			return err
		}
		return next(ctx, &firstMessageConn{StreamingHandlerConn: conn, first: first, err: recvErr})
	}
}
