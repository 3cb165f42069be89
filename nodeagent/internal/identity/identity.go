package identity

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// FileName is the identity file inside the data directory.
const FileName = "identity.json"

// ErrUnauthenticated is wrapped by every error that means the control plane
// refused the agent's credential (revoked, expired or unknown) or its join
// token: final, the agent stops.
var ErrUnauthenticated = errors.New("the control plane refused the agent's credential")

// Identity is what identity.json holds.
type Identity struct {
	AgentID   string `json:"agent_id"`
	ClusterID string `json:"cluster_id"`
	// Credential is the one the agent presents ("hac_…"). Never log it.
	Credential string `json:"credential"`
	// PreviousCredential is the credential presented to the latest
	// RotateCredential. The control plane keeps it valid for an overlap
	// (24 hours by default); it is kept for the operator, not used.
	PreviousCredential string `json:"previous_credential,omitempty"`
	// IssuedAt is when Credential was obtained, so a restarted agent keeps
	// its rotation schedule instead of starting it over.
	IssuedAt time.Time `json:"issued_at,omitzero"`
}

// Validate reports a file that cannot be an identity.
func (id Identity) Validate() error {
	switch {
	case id.AgentID == "":
		return errors.New("agent_id is empty")
	case id.ClusterID == "":
		return errors.New("cluster_id is empty")
	case id.Credential == "":
		return errors.New("credential is empty")
	}
	return nil
}

// Store keeps the agent's identity: a directory (Dir, the default) or,
// for an agent running in a cluster whose data directory does not outlive
// its pod, a Kubernetes Secret (package kubeagent).
type Store interface {
	// Load returns the stored identity; with none, an error wrapping
	// fs.ErrNotExist.
	Load(ctx context.Context) (Identity, error)
	// Save stores id durably before returning.
	Save(ctx context.Context, id Identity) error
	// String says where, for messages.
	String() string
}

// Dir stores identity.json in a directory.
type Dir string

// Load implements Store.
func (d Dir) Load(context.Context) (Identity, error) { return Load(string(d)) }

// Save implements Store.
func (d Dir) Save(_ context.Context, id Identity) error { return Save(string(d), id) }

func (d Dir) String() string { return Path(string(d)) }

// Path is identity.json in dir.
func Path(dir string) string { return filepath.Join(dir, FileName) }

// Load reads dir's identity. A missing file is an error wrapping
// fs.ErrNotExist; a malformed one says which file and why.
func Load(dir string) (Identity, error) {
	b, err := os.ReadFile(Path(dir))
	if err != nil {
		return Identity{}, err
	}
	var id Identity
	if err := json.Unmarshal(b, &id); err != nil {
		return Identity{}, fmt.Errorf("%s: %w", Path(dir), err)
	}
	if err := id.Validate(); err != nil {
		return Identity{}, fmt.Errorf("%s: %w (delete it and register again with a new join token)", Path(dir), err)
	}
	return id, nil
}

// Exists reports whether dir holds an identity file (valid or not).
func Exists(dir string) (bool, error) {
	_, err := os.Stat(Path(dir))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// Save writes id to dir atomically (temporary file, fsync, rename, fsync of
// the directory) with mode 0600: a crash leaves the old file or the new
// one, never a torn one, and a credential the control plane issued is on
// disk before the agent uses it.
func Save(dir string, id Identity) error {
	if err := id.Validate(); err != nil {
		return fmt.Errorf("saving identity: %w", err)
	}
	b, err := json.MarshalIndent(id, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(Path(dir), append(b, '\n'))
}

func writeFileAtomic(path string, data []byte) (err error) {
	dir, base := filepath.Dir(path), filepath.Base(path)
	f, err := os.CreateTemp(dir, "."+base+".tmp*") // mode 0600
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(dir) //nolint:gosec // G304: the directory of the file just written
	if err != nil {
		return err
	}
	defer func() { _ = d.Close() }()
	return d.Sync()
}
