package apperr_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"connectrpc.com/connect"

	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/store"
)

func TestClassifyGivesEveryErrorOneAnswer(t *testing.T) {
	dialErr := errors.New("dial tcp: secret-host")
	internal := errors.New("pq: relation users_secret_table does not exist")
	for _, c := range []struct {
		err     error
		kind    apperr.Kind
		code    connect.Code
		status  int
		message string
		log     error
	}{
		{apperr.Invalid("name %q is too long", "x"), apperr.KindInvalid, connect.CodeInvalidArgument, http.StatusBadRequest, `name "x" is too long`, nil},
		{apperr.NotFound("no such project"), apperr.KindNotFound, connect.CodeNotFound, http.StatusNotFound, "no such project", nil},
		{apperr.Conflict("taken"), apperr.KindConflict, connect.CodeAlreadyExists, http.StatusConflict, "taken", nil},
		{apperr.Unauthenticated("sign in"), apperr.KindUnauthenticated, connect.CodeUnauthenticated, http.StatusUnauthorized, "sign in", nil},
		{apperr.PermissionDenied("no"), apperr.KindPermissionDenied, connect.CodePermissionDenied, http.StatusForbidden, "no", nil},
		{apperr.FailedPrecondition("archived"), apperr.KindFailedPrecondition, connect.CodeFailedPrecondition, http.StatusBadRequest, "archived", nil},
		{apperr.ResourceExhausted("slow down"), apperr.KindResourceExhausted, connect.CodeResourceExhausted, http.StatusTooManyRequests, "slow down", nil},
		{apperr.Unavailable(dialErr, "try later"), apperr.KindUnavailable, connect.CodeUnavailable, http.StatusServiceUnavailable, "try later", dialErr},
		// The store's sentinels are the same vocabulary, however wrapped.
		{fmt.Errorf("load: %w", store.ErrNotFound), apperr.KindNotFound, connect.CodeNotFound, http.StatusNotFound, "not found", nil},
		{fmt.Errorf("insert: %w", store.ErrConflict), apperr.KindConflict, connect.CodeAlreadyExists, http.StatusConflict, "already exists", nil},
		{fmt.Errorf("insert: %w", store.ErrInvalid), apperr.KindInvalid, connect.CodeInvalidArgument, http.StatusBadRequest, "invalid value", nil},
		// The outermost user-safe error wins.
		{fmt.Errorf("x: %w", &apperr.Error{Kind: apperr.KindNotFound, Message: "no such job", Cause: store.ErrNotFound}),
			apperr.KindNotFound, connect.CodeNotFound, http.StatusNotFound, "no such job", store.ErrNotFound},
		{fmt.Errorf("wait: %w", context.Canceled), apperr.KindCanceled, connect.CodeCanceled, 499, "request cancelled", nil},
		{context.DeadlineExceeded, apperr.KindDeadlineExceeded, connect.CodeDeadlineExceeded, http.StatusGatewayTimeout, "deadline exceeded", nil},
		{internal, apperr.KindInternal, connect.CodeInternal, http.StatusInternalServerError, "internal error", internal},
		// A kind no answer exists for is a bug: internal, logged.
		{&apperr.Error{Kind: 99, Message: "secret"}, apperr.KindInternal, connect.CodeInternal, http.StatusInternalServerError, "internal error", nil},
	} {
		got := apperr.Classify(c.err)
		if got.Kind != c.kind || got.Code != c.code || got.Status != c.status || got.Message != c.message {
			t.Errorf("%v: got %+v, want kind %d, %v, %d, %q", c.err, got, c.kind, c.code, c.status, c.message)
		}
		if c.log != nil && !errors.Is(got.Log, c.log) || c.log == nil && c.kind != apperr.KindInternal && got.Log != nil {
			t.Errorf("%v: logs %v, want %v", c.err, got.Log, c.log)
		}
		if got.Internal() != (c.kind == apperr.KindInternal) {
			t.Errorf("%v: Internal() = %t", c.err, got.Internal())
		}
	}
	if got := apperr.Classify(nil); got != (apperr.Class{}) {
		t.Errorf("nil: %+v", got)
	}
}

func TestIfNotFoundNamesWhatIsMissing(t *testing.T) {
	missing := fmt.Errorf("get job: %w", store.ErrNotFound)
	err := apperr.IfNotFound(missing, "job not found")
	if e, ok := apperr.As(err); !ok || e.Kind != apperr.KindNotFound || e.Message != "job not found" {
		t.Fatalf("store.ErrNotFound named: %v", err)
	}
	if err := apperr.IfNotFound(apperr.NotFound("no such project"), "job not found"); err.Error() != "job not found" {
		t.Fatalf("a feature's NotFound named: %v", err)
	}
	for _, other := range []error{nil, store.ErrConflict, errors.New("disk on fire")} {
		if got := apperr.IfNotFound(other, "job not found"); got != other { //nolint:errorlint // the very error must come back, not a wrapper.
			t.Errorf("%v changed to %v", other, got)
		}
	}
}
