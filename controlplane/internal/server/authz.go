package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"

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

// newRequestMessage returns an empty request message of the RPC's input
// type (the generated Go type, so the handler can take it as its own).
func newRequestMessage(spec connect.Spec) (proto.Message, error) {
	md, ok := spec.Schema.(protoreflect.MethodDescriptor)
	if !ok {
		return nil, fmt.Errorf("no schema for %s: cannot read its first message to authorize it", spec.Procedure)
	}
	mt, err := protoregistry.GlobalTypes.FindMessageByName(md.Input().FullName())
	if err != nil {
		return nil, fmt.Errorf("request type of %s: %w", spec.Procedure, err)
	}
	return mt.New().Interface(), nil
}

// firstMessageConn replays the message the interceptor read (or the error
// reading it ended with) on the handler's first Receive.
type firstMessageConn struct {
	connect.StreamingHandlerConn
	first    proto.Message
	err      error
	replayed bool
}

func (c *firstMessageConn) Receive(m any) error {
	if c.replayed {
		return c.StreamingHandlerConn.Receive(m)
	}
	c.replayed = true
	if c.err != nil {
		return c.err
	}
	dst, ok := m.(proto.Message)
	if !ok {
		return fmt.Errorf("receive into %T: not a protobuf message", m)
	}
	if dst.ProtoReflect().Descriptor() != c.first.ProtoReflect().Descriptor() {
		return fmt.Errorf("receive into %T: the request is a %T", m, c.first)
	}
	proto.Reset(dst)
	proto.Merge(dst, c.first)
	return nil
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

// checkDeclared fails for any served procedure without a rule, any rule
// naming a procedure nobody serves (a typo that would guard nothing), any
// rule of an impossible shape, and any rule declaring a read permission for
// an RPC its proto does not mark NO_SIDE_EFFECTS: a read-only token would
// reach a mutation.
func checkDeclared(served []string, rules access.Rules) error {
	for _, p := range served {
		rule, ok := rules[p]
		if !ok {
			return fmt.Errorf("RPC %s has no authorization rule: declare one in its feature's api.go", p)
		}
		if err := checkRule(p, rule); err != nil {
			return err
		}
	}
	for p := range rules {
		if !slices.Contains(served, p) {
			return fmt.Errorf("authorization rule for %s, which is not served", p)
		}
	}
	return nil
}

// checkRule fails for a rule whose fields contradict each other or the
// RPC's proto.
func checkRule(procedure string, rule access.Rule) error {
	declares := rule.Permission != 0 || rule.Project != nil || rule.Group != nil || rule.Also != nil
	switch {
	case rule.Public && (rule.Authenticated || declares):
		return fmt.Errorf("authorization rule for %s is Public and declares more: Public checks nothing", procedure)
	case rule.Authenticated && (rule.Permission != 0 || rule.Project != nil || rule.Group != nil):
		return fmt.Errorf("authorization rule for %s is Authenticated and declares a permission", procedure)
	case !rule.Public && !rule.Authenticated && rule.Permission == 0:
		return fmt.Errorf("authorization rule for %s declares no permission", procedure)
	case rule.Project != nil && rule.Group != nil:
		return fmt.Errorf("authorization rule for %s sets both Project and Group", procedure)
	}
	if access.ReadPermissions().Has(rule.Permission) && !sideEffectFree(procedure) {
		return fmt.Errorf("RPC %s changes something (no NO_SIDE_EFFECTS in its proto) but its rule asks only %s: a read-only token would reach it", procedure, rule.Permission)
	}
	return nil
}

// sideEffectFree reports whether the RPC's proto marks it
// idempotency_level = NO_SIDE_EFFECTS.
func sideEffectFree(procedure string) bool {
	svc, method, ok := strings.Cut(strings.TrimPrefix(procedure, "/"), "/")
	if !ok {
		return false
	}
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(svc))
	if err != nil {
		return false
	}
	sd, ok := d.(protoreflect.ServiceDescriptor)
	if !ok {
		return false
	}
	md := sd.Methods().ByName(protoreflect.Name(method))
	if md == nil {
		return false
	}
	opts, ok := md.Options().(*descriptorpb.MethodOptions)
	return ok && opts.GetIdempotencyLevel() == descriptorpb.MethodOptions_NO_SIDE_EFFECTS
}
