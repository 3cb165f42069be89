package access_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/hearth-dev/hearth/controlplane/"

// imports returns the import paths of every .go file under dir (tests too
// when withTests), by file.
func imports(t *testing.T, dir string, withTests bool) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
			return err
		}
		if !withTests && strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, spec := range f.Imports {
			p, err := strconv.Unquote(spec.Path.Value)
			if err != nil {
				return err
			}
			out[path] = append(out[path], p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestAccessIsALeaf: access imports nothing of Hearth but apperr, so every
// feature (audit included) can speak it without a cycle.
func TestAccessIsALeaf(t *testing.T) {
	for file, ps := range imports(t, ".", false) {
		for _, p := range ps {
			if strings.HasPrefix(p, "github.com/hearth-dev/") && p != module+"internal/apperr" {
				t.Errorf("%s imports %s: access must stay a leaf (the standard library, uuid and apperr only)", file, p)
			}
		}
	}
}

// TestOnlyTheWiringImportsRbac: features declare rules and read the caller
// with access; only the server (which wires rbac) and rbac's own tests
// import rbac.
func TestOnlyTheWiringImportsRbac(t *testing.T) {
	allowed := []string{filepath.Join("..", "server") + string(filepath.Separator), filepath.Join("..", "rbac") + string(filepath.Separator)}
	for file, ps := range imports(t, "..", true) {
		for _, p := range ps {
			if p != module+"internal/rbac" {
				continue
			}
			ok := false
			for _, prefix := range allowed {
				ok = ok || strings.HasPrefix(file, prefix)
			}
			if !ok {
				t.Errorf("%s imports rbac: use controlplane/internal/access (only the server wires rbac)", file)
			}
		}
	}
}
