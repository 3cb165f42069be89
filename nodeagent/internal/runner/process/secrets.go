package process

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/rs/zerolog"

	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
	"github.com/hearth-dev/hearth/shared/logfield"
)

// defaultMemDir is where jobs' secret files go when
// Options.SecretsDir is empty: the shared-memory tmpfs Linux systems
// mount. Without it, jobs with files are refused (see secretsUnusable).
const defaultMemDir = "/dev/shm"

// secretsPrefix starts the name of every job's secrets directory; the
// job id and a random part follow. Removal checks it, so a damaged
// meta.json can never make the agent remove anything else.
const secretsPrefix = "hearth-"

// checkSecretsDir reports why dir cannot hold secret files, nil if it can:
// it must be an existing directory on a filesystem that lives in memory,
// so a secret never reaches a disk (swap aside; see doc.go).
func checkSecretsDir(dir string) error {
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("the secrets directory %s does not exist", dir)
	case err != nil:
		return fmt.Errorf("the secrets directory %s: %w", dir, err)
	case !st.IsDir():
		return fmt.Errorf("the secrets directory %s is not a directory", dir)
	}
	return inMemory(dir)
}

// secretsUnusable is the error of a job with files on a runner that has
// no directory in memory for them: the job is refused rather than its
// secrets written to a disk.
func secretsUnusable(jobID string, why error) error {
	return fmt.Errorf("process runner: job %s has secret files but the agent has no in-memory directory for them (%w); it does not write secrets to a disk: mount a tmpfs and name it with --secrets-dir", jobID, why)
}

// newSecretsPath is the path of a job's secrets directory in base, not
// created yet: random, so nobody can prepare it in a shared directory
// such as /dev/shm (writeSecretFiles creates it exclusively anyway).
func newSecretsPath(base, jobID string) (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return filepath.Join(base, secretsPrefix+jobID+"-"+hex.EncodeToString(b[:])), nil
}

// writeSecretFiles creates dir (0700; it must not exist) and writes each
// file into it (0400). With a job user, dir and files become the user's,
// so the job, and only the job, reads them.
func writeSecretFiles(dir string, files map[string][]byte, u jobUser) error {
	if err := os.Mkdir(dir, 0o700); err != nil {
		return err
	}
	for name, content := range files {
		// O_EXCL|O_NOFOLLOW: the directory is new and ours; nothing may be
		// in it. Names are plain file names (runner.ValidateJob).
		f, err := os.OpenFile(filepath.Join(dir, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o400) //nolint:gosec // G304: a validated name in the directory just created
		if err != nil {
			return err
		}
		_, err = f.Write(content)
		if err == nil && u.uid != 0 {
			err = f.Chown(int(u.uid), int(u.gid))
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	if u.uid != 0 {
		return os.Lchown(dir, int(u.uid), int(u.gid))
	}
	return nil
}

// removeSecrets removes job jobID's secrets directory dir (meta.json
// records it; "" for none) if it still exists. A path that is not one the
// runner makes for this job is left alone and logged.
func removeSecrets(log zerolog.Logger, jobID, dir string) {
	if dir == "" {
		return
	}
	if !filepath.IsAbs(dir) || filepath.Clean(dir) != dir || !strings.HasPrefix(filepath.Base(dir), secretsPrefix+jobID+"-") {
		log.Error().Str(logfield.Path, dir).Msg("meta.json names a secrets directory the runner did not make; not removing it")
		return
	}
	// RemoveAll never follows a symlink: whatever the job left in the
	// directory, only the directory's own entries go.
	if err := os.RemoveAll(dir); err != nil && !errors.Is(err, os.ErrNotExist) {
		log.Error().Err(err).Str(logfield.Path, dir).Msg("removing the job's secrets directory")
	}
}

// secretNames are the job's secret variables in the order the wrapper
// reads their values from stdin.
func secretNames(job *agentv1.RunJob) []string {
	names := make([]string, 0, len(job.GetSecretEnv()))
	for k := range job.GetSecretEnv() {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// goAhead is what the agent writes to the wrapper's stdin once the job is
// recorded: the clone token's line, then each secret variable's value
// (secretNames' order) ended by a NUL byte, which no value contains
// (runner.ValidateJob). Values may hold anything else: newlines, quotes,
// backslashes, '$'.
func goAhead(job *agentv1.RunJob) []byte {
	b := []byte(job.GetCloneToken() + "\n")
	for _, k := range secretNames(job) {
		b = append(b, job.GetSecretEnv()[k]...)
		b = append(b, 0)
	}
	return b
}
