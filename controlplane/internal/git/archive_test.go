package git

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
)

// fakeProjects resolves "ada/tools" only.
type fakeProjects struct{ id uuid.UUID }

func (p fakeProjects) ResolveProject(_ context.Context, owner, name string) (uuid.UUID, error) {
	if owner == "ada" && name == "tools" {
		return p.id, nil
	}
	return uuid.Nil, apperr.NotFound("project not found")
}

// fakeAuthz treats the project as private, readable by user "reader" only.
type fakeAuthz struct{}

func (fakeAuthz) Authorize(_ context.Context, p access.Principal, perm access.Permission, _ uuid.UUID) error {
	switch {
	case perm != access.RepoRead:
		return errors.New("unexpected permission")
	case p.IsAnonymous():
		return apperr.Unauthenticated("sign in first")
	case p.Username == "reader":
		return nil
	default:
		return apperr.NotFound("project not found")
	}
}

// withTestPrincipal stands for the server's authentication: X-Test-User
// signs in, X-Test-Bad-Credentials refuses the credentials.
func withTestPrincipal(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if u := r.Header.Get("X-Test-User"); u != "" {
			ctx = access.WithPrincipal(ctx, access.Principal{Kind: access.User, UserID: uuid.New(), Username: u})
		}
		if r.Header.Get("X-Test-Bad-Credentials") != "" {
			ctx = access.WithAuthError(ctx, errors.New("bad token"))
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func newDownloadServer(t *testing.T, f *browseFixture, maxRaw int64) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	RegisterDownloads(mux, DownloadDeps{Browser: f.b, Projects: fakeProjects{id: f.id}, Authz: fakeAuthz{}, MaxRawSize: maxRaw})
	srv := httptest.NewServer(withTestPrincipal(mux))
	t.Cleanup(srv.Close)
	return srv
}

// downloaded is a finished response.
type downloaded struct {
	StatusCode int
	Header     http.Header
}

func download(t *testing.T, srv *httptest.Server, path string, q url.Values, user string) (downloaded, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, srv.URL+path+"?"+q.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	switch user {
	case "":
	case "bad":
		req.Header.Set("X-Test-Bad-Credentials", "1")
	default:
		req.Header.Set("X-Test-User", user)
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return downloaded{StatusCode: res.StatusCode, Header: res.Header}, body
}

func TestArchiveDownloads(t *testing.T) {
	f := newBrowseFixture(t)
	srv := newDownloadServer(t, f, 0)
	const path = "/api/v1/projects/ada/tools/repository/archive"
	prefix := "tools-" + f.commits[0][:8] + "/"

	res, body := download(t, srv, path, url.Values{"ref": {"v1"}}, "reader")
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/gzip" ||
		res.Header.Get("Content-Disposition") != `attachment; filename="tools-`+f.commits[0][:8]+`.tar.gz"` {
		t.Fatalf("tar.gz: %d %v %s", res.StatusCode, res.Header, body)
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
	}
	for _, want := range []string{prefix + "README.md", prefix + "src/pkg/util.go", prefix + "del.txt"} {
		if !slices.Contains(names, want) {
			t.Errorf("tar.gz lacks %s: %v", want, names)
		}
	}

	res, body = download(t, srv, path, url.Values{"ref": {"main"}, "format": {"zip"}}, "reader")
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/zip" {
		t.Fatalf("zip: %d %s", res.StatusCode, body)
	}
	zipr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatal(err)
	}
	names = names[:0]
	for _, zf := range zipr.File {
		names = append(names, zf.Name)
	}
	mainPrefix := "tools-" + f.commits[6][:8] + "/"
	if !slices.Contains(names, mainPrefix+"moved.txt") || slices.Contains(names, mainPrefix+"del.txt") {
		t.Errorf("zip entries %v", names)
	}

	for _, tc := range []struct {
		name string
		q    url.Values
		want int
	}{
		{"bad format", url.Values{"format": {"rar"}}, http.StatusBadRequest},
		{"option as ref", url.Values{"ref": {"--output=/tmp/hearth-archive-x"}}, http.StatusBadRequest},
		{"unknown ref", url.Values{"ref": {"nope"}}, http.StatusNotFound},
	} {
		res, body := download(t, srv, path, tc.q, "reader")
		if res.StatusCode != tc.want || res.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s: %d %s", tc.name, res.StatusCode, body)
		}
	}
}

func TestArchiveRawBlob(t *testing.T) {
	f := newBrowseFixture(t)
	srv := newDownloadServer(t, f, 1000)
	const path = "/api/v1/projects/ada/tools/repository/raw"
	res, body := download(t, srv, path, url.Values{"path": {"bin.dat"}}, "reader")
	if res.StatusCode != http.StatusOK || string(body) != "\x00\x01\x02binary" ||
		res.Header.Get("Content-Type") != "application/octet-stream" || res.Header.Get("X-Content-Type-Options") != "nosniff" ||
		res.Header.Get("Content-Length") != "9" {
		t.Fatalf("raw: %d %v %q", res.StatusCode, res.Header, body)
	}
	res, body = download(t, srv, path, url.Values{"path": {"src/main.go"}, "ref": {"v1"}}, "reader")
	if res.StatusCode != http.StatusOK || string(body) != "package main\n" {
		t.Errorf("raw text: %d %q", res.StatusCode, body)
	}
	f.write(t, "big.txt", strings.Repeat("b", 1001))
	f.commit(t, "big")
	f.push(t)
	for _, tc := range []struct {
		name string
		q    url.Values
		want int
	}{
		{"over the limit", url.Values{"path": {"big.txt"}}, http.StatusRequestEntityTooLarge},
		{"directory", url.Values{"path": {"src"}}, http.StatusBadRequest},
		{"missing", url.Values{"path": {"nope"}}, http.StatusNotFound},
		{"dot-dot", url.Values{"path": {"../../etc/passwd"}}, http.StatusBadRequest},
		{"absolute", url.Values{"path": {"/etc/passwd"}}, http.StatusBadRequest},
		{"NUL", url.Values{"path": {"a\x00b"}}, http.StatusBadRequest},
		{"option ref", url.Values{"path": {"README.md"}, "ref": {"-h"}}, http.StatusBadRequest},
	} {
		res, body := download(t, srv, path, tc.q, "reader")
		if res.StatusCode != tc.want {
			t.Errorf("%s: %d %s", tc.name, res.StatusCode, body)
		}
	}
}

func TestArchiveAuthorization(t *testing.T) {
	f := newBrowseFixture(t)
	srv := newDownloadServer(t, f, 0)
	for _, route := range []string{"archive", "raw"} {
		q := url.Values{"path": {"README.md"}}
		for _, tc := range []struct {
			name, project, user string
			want                int
		}{
			{"anonymous, private", "ada/tools", "", http.StatusUnauthorized},
			{"anonymous, unknown", "ada/nope", "", http.StatusUnauthorized},
			{"refused credentials", "ada/tools", "bad", http.StatusUnauthorized},
			{"signed in without read", "ada/tools", "stranger", http.StatusNotFound},
			{"signed in, unknown", "ada/nope", "stranger", http.StatusNotFound},
			{"reader", "ada/tools", "reader", http.StatusOK},
		} {
			res, body := download(t, srv, "/api/v1/projects/"+tc.project+"/repository/"+route, q, tc.user)
			if res.StatusCode != tc.want {
				t.Errorf("%s %s: %d %s", route, tc.name, res.StatusCode, body)
			}
			if tc.want == http.StatusUnauthorized && res.Header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s %s: no WWW-Authenticate", route, tc.name)
			}
			if tc.want == http.StatusNotFound && strings.Contains(string(body), "tools") {
				t.Errorf("%s %s: body names the project: %s", route, tc.name, body)
			}
		}
	}
}
