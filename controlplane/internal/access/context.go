package access

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

type authErrKey struct{}

// WithAuthError records that the request's credentials were refused (the
// principal is then anonymous). Protected routes answer 401 with it rather
// than treating the caller as anonymous.
func WithAuthError(ctx context.Context, err error) context.Context {
	return context.WithValue(ctx, authErrKey{}, err)
}

// AuthErrorFrom returns why the request's credentials were refused, if
// they were.
func AuthErrorFrom(ctx context.Context) error {
	err, _ := ctx.Value(authErrKey{}).(error)
	return err
}
