package agentcli

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

type fakeSystem struct{}

func (fakeSystem) GetVersion(context.Context, *hearthv1.GetVersionRequest) (*hearthv1.GetVersionResponse, error) {
	return &hearthv1.GetVersionResponse{Version: "v9", GoVersion: "go1.x"}, nil
}

// The control plane is faked here on purpose: the node agent module must
// not link the control plane (see deps_test.go); the real pairing is
// tested end to end once the agent protocol exists.
func TestVersionReachesTheServer(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle(hearthv1connect.NewSystemServiceHandler(fakeSystem{}))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	var stdout, stderr bytes.Buffer
	code := Main(t.Context(), []string{"version", "--server", srv.URL}, &stdout, &stderr)
	if code != exitOK || !strings.Contains(stdout.String(), "server: v9 (go1.x)") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout.String(), stderr.String())
	}
}

func TestVersionRejectsBadServerURL(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := Main(t.Context(), []string{"version", "--server", "nope"}, &stdout, &stderr); code != exitUsage {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if code := Main(t.Context(), []string{"launch"}, &stdout, &stderr); code != exitUsage {
		t.Fatalf("unknown command: exit %d", code)
	}
}
