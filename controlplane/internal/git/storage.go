package git

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/google/uuid"
)

// Storage places bare repositories under Root, one per project id.
type Storage struct {
	Root string
	Git  Runner
}

// Path is the repository directory of a project. Only ids reach the
// filesystem: names never do, so no name can escape Root.
func (s Storage) Path(projectID uuid.UUID) string {
	return filepath.Join(s.Root, projectID.String()+".git")
}

// Create makes an empty bare repository whose HEAD names defaultBranch.
func (s Storage) Create(ctx context.Context, projectID uuid.UUID, defaultBranch string) error {
	if err := os.MkdirAll(s.Root, 0o750); err != nil {
		return fmt.Errorf("repositories directory: %w", err)
	}
	dir := s.Path(projectID)
	if _, err := os.Stat(dir); err == nil {
		return fmt.Errorf("repository %s already exists", projectID)
	}
	_, err := s.Git.Git("init", "--bare", "--quiet").Arg("--initial-branch=" + defaultBranch).Arg(dir).Run(ctx)
	if err != nil {
		return err
	}
	// Settings every hosted repository needs.
	for _, kv := range [][2]string{
		{"receive.fsckObjects", "true"},          // refuse malformed objects
		{"receive.denyNonFastForwards", "false"}, // ref rules decide, per branch
		{"http.receivepack", "true"},
		{"uploadpack.allowFilter", "true"}, // partial clone (--filter=blob:none)
		{"uploadpack.allowAnySHA1InWant", "false"},
		{"core.logAllRefUpdates", "false"},
	} {
		if _, err := s.Git.Git("config").Dir(dir).Arg(kv[0], kv[1]).Run(ctx); err != nil {
			return errors.Join(err, os.RemoveAll(dir))
		}
	}
	return nil
}

// Remove deletes a project's repository (a missing one is not an error).
func (s Storage) Remove(_ context.Context, projectID uuid.UUID) error {
	return os.RemoveAll(s.Path(projectID))
}

// SetDefaultBranch points a project's repository HEAD at branch (which
// need not exist yet).
func (s Storage) SetDefaultBranch(ctx context.Context, projectID uuid.UUID, branch string) error {
	_, err := s.Git.Git("symbolic-ref", "HEAD").Dir(s.Path(projectID)).Arg("refs/heads/" + branch).Run(ctx)
	return err
}
