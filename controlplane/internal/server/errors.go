package server

import (
	"context"
	"errors"

	"connectrpc.com/connect"
	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/shared/logfield"
)

// toConnectError answers err with the Connect code and message the one
// classifier (apperr.Classify) gives it. An internal error's message names
// the request id its cause is logged under; a user-safe error's cause is
// logged as a warning. A *connect.Error passes as it is.
func toConnectError(ctx context.Context, procedure string, err error) error {
	if err == nil {
		return nil
	}
	var ce *connect.Error
	if errors.As(err, &ce) {
		return err
	}
	c := apperr.Classify(err)
	switch {
	case c.Internal():
		id := requestIDFrom(ctx)
		zerolog.Ctx(ctx).Error().Err(c.Log).Str(logfield.Procedure, procedure).Msg("internal error")
		return connect.NewError(c.Code, errors.New(c.Message+" (request id "+id+")"))
	case c.Log != nil:
		zerolog.Ctx(ctx).Warn().Err(c.Log).Str(logfield.Procedure, procedure).Msg(c.Message)
	}
	return connect.NewError(c.Code, errors.New(c.Message))
}

// errorInterceptor applies toConnectError to every handler's result.
type errorInterceptor struct{}

func (errorInterceptor) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		res, err := next(ctx, req)
		return res, toConnectError(ctx, req.Spec().Procedure, err)
	}
}

func (errorInterceptor) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

func (errorInterceptor) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		return toConnectError(ctx, conn.Spec().Procedure, next(ctx, conn))
	}
}
