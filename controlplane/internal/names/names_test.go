package names

import (
	"strings"
	"testing"

	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
)

func TestOwnerReserved(t *testing.T) {
	for _, c := range []struct {
		name, word string
	}{
		{"api", "api"}, {"API", "api"}, {"Assets", "assets"}, {"healthz", "healthz"}, {"readyz", "readyz"},
		{"metrics", "metrics"}, {"ws", "ws"}, {"mcp", "mcp"}, {"v1", "v1"}, {"-", "-"},
		{"favicon.ico", "favicon.ico"}, {"robots.txt", "robots.txt"}, {".well-known", ".well-known"},
		{"login", "login"}, {"static", "static"}, {"console", "console"},
		{"hearth.v1", "hearth."}, {"Hearth.Agent", "hearth."}, {"opentelemetry.proto", "opentelemetry."},
		{"grpc.health", "grpc."},
	} {
		word, ok := OwnerReserved(c.name)
		if !ok || word != c.word {
			t.Errorf("OwnerReserved(%q) = %q, %v; want %q", c.name, word, ok, c.word)
		}
		err := CheckOwner("username", c.name)
		e, isApp := apperr.As(err)
		if !isApp || e.Kind != apperr.KindInvalid || !strings.Contains(e.Message, "reserved") || !strings.Contains(e.Message, c.word) {
			t.Errorf("CheckOwner(%q) = %v; want InvalidArgument naming %q", c.name, err, c.word)
		}
	}
	for _, name := range []string{"apis", "api-team", "v10", "hearth", "hearthling", "admin", "ada", "metrics2", "wsx", "grpc"} {
		if word, ok := OwnerReserved(name); ok {
			t.Errorf("OwnerReserved(%q) = %q; want free", name, word)
		}
		if err := CheckOwner("group name", name); err != nil {
			t.Errorf("CheckOwner(%q) = %v", name, err)
		}
	}
}

func TestCheckProject(t *testing.T) {
	for _, name := range []string{"feed.atom", "FEED.ATOM", "tools.git", "x.Git"} {
		err := CheckProject(name)
		if e, ok := apperr.As(err); !ok || e.Kind != apperr.KindInvalid || !strings.Contains(e.Message, "reserved") {
			t.Errorf("CheckProject(%q) = %v", name, err)
		}
	}
	// The owner is always one segment, so project names meet no top-level
	// route.
	for _, name := range []string{"api", "v1", "atom", "git", "tools", "info", "objects", "my.atomic"} {
		if err := CheckProject(name); err != nil {
			t.Errorf("CheckProject(%q) = %v", name, err)
		}
	}
}
