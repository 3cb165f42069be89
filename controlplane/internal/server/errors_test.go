package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/store"
)

func TestToConnectErrorMapsEveryKind(t *testing.T) {
	cases := []struct {
		err  error
		code connect.Code
		msg  string
	}{
		{apperr.Invalid("name %q is too long", "x"), connect.CodeInvalidArgument, `name "x" is too long`},
		{apperr.NotFound("no such project"), connect.CodeNotFound, "no such project"},
		{apperr.Conflict("taken"), connect.CodeAlreadyExists, "taken"},
		{apperr.Unauthenticated("sign in"), connect.CodeUnauthenticated, "sign in"},
		{apperr.PermissionDenied("no"), connect.CodePermissionDenied, "no"},
		{apperr.FailedPrecondition("archived"), connect.CodeFailedPrecondition, "archived"},
		{apperr.ResourceExhausted("slow down"), connect.CodeResourceExhausted, "slow down"},
		{apperr.Unavailable(errors.New("dial tcp: secret-host"), "try later"), connect.CodeUnavailable, "try later"},
		{fmt.Errorf("load: %w", store.ErrNotFound), connect.CodeNotFound, "not found"},
		{fmt.Errorf("insert: %w", store.ErrConflict), connect.CodeAlreadyExists, "already exists"},
		{fmt.Errorf("insert: %w", store.ErrInvalid), connect.CodeInvalidArgument, "invalid value"},
		{context.Canceled, connect.CodeCanceled, "request cancelled"},
		{connect.NewError(connect.CodeAborted, errors.New("as is")), connect.CodeAborted, "as is"},
	}
	for _, c := range cases {
		got := toConnectError(context.Background(), "/p", c.err)
		var ce *connect.Error
		if !errors.As(got, &ce) || ce.Code() != c.code || ce.Message() != c.msg {
			t.Errorf("%v: got %v, want %v %q", c.err, got, c.code, c.msg)
		}
	}
	if toConnectError(context.Background(), "/p", nil) != nil {
		t.Error("nil error mapped to non-nil")
	}
}

func TestUnknownErrorsAreInternalWithRequestIDAndLogged(t *testing.T) {
	var logs bytes.Buffer
	ctx := zerolog.New(&logs).WithContext(contextWithRequestID(context.Background(), "req-42"))
	got := toConnectError(ctx, "/hearth.v1.X/Y", errors.New("pq: relation users_secret_table does not exist"))
	var ce *connect.Error
	if !errors.As(got, &ce) || ce.Code() != connect.CodeInternal {
		t.Fatalf("got %v", got)
	}
	if ce.Message() != "internal error (request id req-42)" {
		t.Errorf("message %q leaks or lacks the request id", ce.Message())
	}
	if !strings.Contains(logs.String(), "users_secret_table") || !strings.Contains(logs.String(), "/hearth.v1.X/Y") {
		t.Errorf("cause not logged: %s", logs.String())
	}
}
