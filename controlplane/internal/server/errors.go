package server

import (
	"context"
	"errors"

	"connectrpc.com/connect"
	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/store"
	"github.com/hearth-dev/hearth/shared/logfield"
)

var kindCodes = map[apperr.Kind]connect.Code{
	apperr.KindInvalid:            connect.CodeInvalidArgument,
	apperr.KindNotFound:           connect.CodeNotFound,
	apperr.KindConflict:           connect.CodeAlreadyExists,
	apperr.KindUnauthenticated:    connect.CodeUnauthenticated,
	apperr.KindPermissionDenied:   connect.CodePermissionDenied,
	apperr.KindFailedPrecondition: connect.CodeFailedPrecondition,
	apperr.KindResourceExhausted:  connect.CodeResourceExhausted,
	apperr.KindUnavailable:        connect.CodeUnavailable,
}

// toConnectError is the one place errors become Connect codes. Errors that
// carry no user-safe message become Internal with a generic message naming
// the request id; their cause is logged under that id.
func toConnectError(ctx context.Context, procedure string, err error) error {
	if err == nil {
		return nil
	}
	var ce *connect.Error
	if errors.As(err, &ce) {
		return err
	}
	if e, ok := apperr.As(err); ok {
		if ce := apiError(e); ce != nil {
			if e.Cause != nil {
				zerolog.Ctx(ctx).Warn().Err(e.Cause).Str(logfield.Procedure, procedure).Msg(e.Message)
			}
			return ce
		}
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		return connect.NewError(connect.CodeNotFound, errors.New("not found"))
	case errors.Is(err, store.ErrConflict):
		return connect.NewError(connect.CodeAlreadyExists, errors.New("already exists"))
	case errors.Is(err, store.ErrInvalid):
		return connect.NewError(connect.CodeInvalidArgument, errors.New("invalid value"))
	case errors.Is(err, context.Canceled):
		return connect.NewError(connect.CodeCanceled, errors.New("request cancelled"))
	case errors.Is(err, context.DeadlineExceeded):
		return connect.NewError(connect.CodeDeadlineExceeded, errors.New("deadline exceeded"))
	}
	id := requestIDFrom(ctx)
	zerolog.Ctx(ctx).Error().Err(err).Str(logfield.Procedure, procedure).Msg("internal error")
	return connect.NewError(connect.CodeInternal, errors.New("internal error (request id "+id+")"))
}

// apiError is the Connect error of a user-safe error: its message as is,
// its kind's code. Nil for a kind without a code.
func apiError(e *apperr.Error) *connect.Error {
	code, ok := kindCodes[e.Kind]
	if !ok {
		return nil
	}
	return connect.NewError(code, errors.New(e.Message))
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
