package download

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/store"
)

func TestErrorAnswersLikeTheAPI(t *testing.T) {
	for _, c := range []struct {
		err    error
		status int
		body   string
	}{
		{apperr.NotFound("job not found"), http.StatusNotFound, `{"code":"not_found","message":"job not found"}`},
		{apperr.Unauthenticated("sign in first"), http.StatusUnauthorized, `"unauthenticated"`},
		{errors.New("disk on fire at /var/secret"), http.StatusInternalServerError, `{"code":"internal","message":"internal error"}`},
		// The store's sentinels answer as they do on the API (one classifier).
		{fmt.Errorf("get job: %w", store.ErrNotFound), http.StatusNotFound, `{"code":"not_found","message":"not found"}`},
		{fmt.Errorf("put: %w", store.ErrConflict), http.StatusConflict, `{"code":"already_exists","message":"already exists"}`},
		{fmt.Errorf("read: %w", context.DeadlineExceeded), http.StatusGatewayTimeout, `{"code":"deadline_exceeded","message":"deadline exceeded"}`},
	} {
		rec := httptest.NewRecorder()
		Error(rec, httptest.NewRequest(http.MethodGet, "/x", nil), c.err, `Bearer realm="hearth"`)
		if rec.Code != c.status || !strings.Contains(rec.Body.String(), c.body) {
			t.Errorf("%v: %d %s", c.err, rec.Code, rec.Body)
		}
		if (c.status == http.StatusUnauthorized) != (rec.Header().Get("WWW-Authenticate") != "") {
			t.Errorf("%v: WWW-Authenticate %q", c.err, rec.Header().Get("WWW-Authenticate"))
		}
	}
}

func TestFailedAbortsAStartedStream(t *testing.T) {
	rec := httptest.NewRecorder()
	sw := &Writer{W: rec}
	Failed(rec, httptest.NewRequest(http.MethodGet, "/x", nil), sw, apperr.NotFound("gone"), "")
	if rec.Code != http.StatusNotFound {
		t.Fatalf("nothing sent yet: %d, want an error response", rec.Code)
	}
	rec = httptest.NewRecorder()
	sw = &Writer{W: rec}
	_, _ = sw.Write([]byte("partial"))
	defer func() {
		if v := recover(); v != http.ErrAbortHandler { //nolint:errorlint // compared by identity, as net/http does.
			t.Fatalf("a started stream was not aborted: %v", v)
		}
	}()
	Failed(rec, httptest.NewRequest(http.MethodGet, "/x", nil), sw, errors.New("s3 went away"), "")
}
