package rbac

import "context"

type principalKey struct{}

// WithPrincipal returns ctx carrying the request's authenticated caller.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the caller stored by WithPrincipal, or the
// anonymous principal.
func PrincipalFrom(ctx context.Context) Principal {
	p, ok := ctx.Value(principalKey{}).(Principal)
	if !ok {
		return AnonymousPrincipal
	}
	return p
}
