package git

import (
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hearth-dev/hearth/shared/gitref"
)

// preReceiveHook is the one hook the server installs (see hooks/pre-receive).
//
//go:embed hooks/pre-receive
var preReceiveHook []byte

// installHooks writes the server-managed hooks directory that every
// receive-pack runs with (-c core.hooksPath=dir), so hooks inside a
// repository never run. The write is atomic: a concurrent push sees the old
// or the new script, never half of one.
func installHooks(dir string) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("hooks directory: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".pre-receive-*")
	if err != nil {
		return fmt.Errorf("hooks directory: %w", err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }()
	if _, err := tmp.Write(preReceiveHook); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("writing the pre-receive hook: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing the pre-receive hook: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o755); err != nil { //nolint:gosec // G302: git must execute the hook.
		return fmt.Errorf("pre-receive hook: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, "pre-receive")); err != nil {
		return fmt.Errorf("pre-receive hook: %w", err)
	}
	return nil
}

// verdict is the server's decision about one ref of a push, for the hook.
type verdict struct {
	mode   string // "allow", "deny" or "ff"
	reason string // shown to the pusher when the ref is refused
}

// policyFile renders the hook's policy lines. Ref names never contain
// spaces, newlines or control characters (gitref.ValidRefName), and reasons are
// flattened to one line.
func policyFile(cmds []RefCommand, verdicts []verdict) []byte {
	var b strings.Builder
	for i, c := range cmds {
		v := verdicts[i]
		reason := strings.Map(func(r rune) rune {
			if r < 0x20 || r == 0x7f {
				return ' '
			}
			return r
		}, v.reason)
		if !gitref.ValidRefName(c.Ref) {
			// The hook matches git's own list; a name we cannot write
			// safely gets no line and is refused by default.
			continue
		}
		fmt.Fprintf(&b, "%s %s %s\n", c.Ref, v.mode, reason)
	}
	return []byte(b.String())
}
