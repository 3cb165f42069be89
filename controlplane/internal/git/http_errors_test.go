package git_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/git"
	"github.com/hearth-dev/hearth/controlplane/internal/store"
)

// TestGitAnswersErrorsThroughTheOneClassifier: whatever fails resolving a
// project, git's answer (status, and the text git shows) is the one
// apperr.Classify gives, as the API's would be; the store's ErrNotFound is
// the same "not found" as a feature's.
func TestGitAnswersErrorsThroughTheOneClassifier(t *testing.T) {
	h := newHarness(t, git.Limits{})
	u := h.addUser("alice")
	for _, c := range []struct {
		err    error
		status int
		body   string
	}{
		{fmt.Errorf("resolve: %w", store.ErrNotFound), http.StatusNotFound, "repository not found\n"},
		{apperr.NotFound("no such project"), http.StatusNotFound, "repository not found\n"},
		{apperr.Unavailable(errors.New("dial tcp: secret-host"), "the database is unavailable; retry later"), http.StatusServiceUnavailable,
			"the database is unavailable; retry later\n"},
		{errors.New("pq: relation secret_table does not exist"), http.StatusInternalServerError, "internal error\n"},
	} {
		resolveErr := c.err
		handler, err := git.NewHTTP(git.HTTPDeps{
			Storage: h.Storage, Authz: h.Authz, Events: h.Store, Rules: h.Store, Logger: zerolog.Nop(),
			Projects: resolverFunc(func(context.Context, string, string) (git.HTTPProject, error) {
				return git.HTTPProject{}, resolveErr
			}),
		})
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/alice/x.git/info/refs?service=git-upload-pack", nil)
		req.SetBasicAuth("alice", u.password) // signed in: no 401 hides the answer
		rec := httptest.NewRecorder()
		h.authn(handler.Handler()).ServeHTTP(rec, req)
		if rec.Code != c.status || rec.Body.String() != c.body {
			t.Errorf("%v: %d %q, want %d %q", c.err, rec.Code, rec.Body.String(), c.status, c.body)
		}
	}
}
