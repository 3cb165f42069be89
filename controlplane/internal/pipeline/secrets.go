package pipeline

import (
	"container/list"
	"context"
	"fmt"
	"sync"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hearth-dev/hearth/controlplane/internal/audit"
	"github.com/hearth-dev/hearth/controlplane/internal/pipeline/internal/db"
	"github.com/hearth-dev/hearth/controlplane/internal/pipeline/spec"
	"github.com/hearth-dev/hearth/shared/logmask"
)

// Secrets resolves the secrets a job asks for, at dispatch (the secret
// feature, for pipeline usage).
type Secrets interface {
	// ForPipeline returns the current values of the named secrets a
	// project's pipeline jobs may receive; names that answer nothing are
	// left out.
	ForPipeline(ctx context.Context, projectID uuid.UUID, names []string) ([]SecretValue, error)
}

// SecretValue is one resolved secret.
type SecretValue struct {
	Name      string
	Value     []byte
	Protected bool
	Version   int32
}

// RefRules says whether a ref is a protected branch or tag of a project
// (git's rules): only their pipelines receive protected secrets.
type RefRules interface {
	RefProtected(ctx context.Context, projectID uuid.UUID, defaultBranch, ref string) (bool, error)
}

// jobSecrets is what a job receives: files by name and variables.
type jobSecrets struct {
	files map[string][]byte
	env   map[string]string
	// used names each secret with its version, for the audit row.
	used map[string]int32
	// values are every delivered value, for masking.
	values [][]byte
}

// resolveSecrets resolves what sp asks for in pipeline p of proj. Errors
// that are the job's (a missing secret, a protected one on an unprotected
// ref) are *undispatchable, with a message that names the secret and never
// its value.
func (s *Service) resolveSecrets(ctx context.Context, proj Project, p pipelineRef, refs []spec.SecretRef) (*jobSecrets, error) {
	if s.secrets == nil {
		return nil, &undispatchable{fmt.Errorf("it asks for secrets, and this control plane has no secrets feature configured")}
	}
	names := make([]string, 0, len(refs))
	for _, r := range refs {
		names = append(names, r.Name)
	}
	values, err := s.secrets.ForPipeline(ctx, proj.ID, names)
	if err != nil {
		return nil, &undispatchable{fmt.Errorf("resolving its secrets: %w", err)}
	}
	byName := make(map[string]SecretValue, len(values))
	for _, v := range values {
		byName[v.Name] = v
	}
	out := &jobSecrets{files: map[string][]byte{}, env: map[string]string{}, used: map[string]int32{}}
	var protectedRef *bool
	total := 0
	for _, r := range refs {
		v, ok := byName[r.Name]
		if !ok {
			return nil, &undispatchable{fmt.Errorf("secret %s does not exist for this project's pipelines", r.Name)}
		}
		if v.Protected {
			if protectedRef == nil {
				ok := false
				if s.refRules != nil {
					if ok, err = s.refRules.RefProtected(ctx, proj.ID, proj.DefaultBranch, p.ref); err != nil {
						return nil, err
					}
				}
				protectedRef = &ok
			}
			if !*protectedRef {
				return nil, &undispatchable{fmt.Errorf("secret %s is protected: only pipelines of protected branches and tags receive it, and %s is not protected", r.Name, p.ref)}
			}
		}
		if r.File != "" {
			out.files[r.File] = v.Value
		} else {
			if containsNUL(v.Value) {
				return nil, &undispatchable{fmt.Errorf("secret %s holds a NUL byte, which an environment variable cannot: ask for it as a file", r.Name)}
			}
			out.env[r.Env] = string(v.Value)
		}
		out.used[r.Name] = v.Version
		out.values = append(out.values, v.Value)
		total += len(r.Env) + len(r.File) + len(v.Value)
	}
	if total > MaxJobSecretBytes {
		return nil, &undispatchable{fmt.Errorf("its secrets take %d bytes; a job may receive at most %d", total, MaxJobSecretBytes)}
	}
	return out, nil
}

// MaxJobSecretBytes bounds the secrets one job receives, names and values
// together: the node agent refuses more (runner.MaxSecretBytes).
const MaxJobSecretBytes = 1 << 20

// pipelineRef is what secret resolution needs of a pipeline.
type pipelineRef struct {
	id  uuid.UUID
	ref string
}

func containsNUL(b []byte) bool {
	for _, c := range b {
		if c == 0 {
			return true
		}
	}
	return false
}

// recordResolution audits that job received the secrets used, in the
// dispatch's transaction.
func recordResolution(ctx context.Context, tx pgx.Tx, projectID, jobID uuid.UUID, used map[string]int32) error {
	versions := make(map[string]any, len(used))
	for name, v := range used {
		versions[name] = v
	}
	return audit.Record(ctx, tx, audit.Event{
		Action: "secret.resolve", Resource: "job/" + jobID.String(), ProjectID: projectID,
		Detail: map[string]any{"secrets": versions, "usage": "pipeline"},
	})
}

// maskCacheSize bounds the jobs whose maskers a replica keeps.
const maskCacheSize = 4096

// masks keeps, per running job, the masker of its secrets and the tail of
// each step's log received last, for the control plane's second masking
// pass on log chunks (the agent masks first). A job dispatched by another
// replica, or before a restart, has its secrets resolved again on its
// first chunk here.
type masks struct {
	mu    sync.Mutex
	order *list.List // of uuid.UUID, most recent first
	jobs  map[uuid.UUID]*jobMask
}

type jobMask struct {
	elem   *list.Element
	masker *logmask.Masker // nil: the job has no secrets
	steps  map[uint32]*stepTail
}

// stepTail is the end of a step's stored log as this replica appended it.
type stepTail struct {
	end  uint64
	tail []byte
}

func newMasks() *masks { return &masks{order: list.New(), jobs: map[uuid.UUID]*jobMask{}} }

func (m *masks) put(job uuid.UUID, values [][]byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.putLocked(job, logmask.New(values))
}

func (m *masks) putLocked(job uuid.UUID, mk *logmask.Masker) *jobMask {
	if jm, ok := m.jobs[job]; ok {
		jm.masker = mk
		m.order.MoveToFront(jm.elem)
		return jm
	}
	if !mk.Active() {
		mk = nil
	}
	jm := &jobMask{masker: mk, steps: map[uint32]*stepTail{}}
	jm.elem = m.order.PushFront(job)
	m.jobs[job] = jm
	for m.order.Len() > maskCacheSize {
		oldest := m.order.Back()
		m.order.Remove(oldest)
		delete(m.jobs, oldest.Value.(uuid.UUID))
	}
	return jm
}

func (m *masks) forget(job uuid.UUID) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if jm, ok := m.jobs[job]; ok {
		m.order.Remove(jm.elem)
		delete(m.jobs, job)
	}
}

// mask returns data with every byte of an occurrence of the job's secrets
// replaced by '*', same length, so the agent's offsets stay right.
// load resolves the job's secret values when this replica has none.
func (m *masks) mask(ctx context.Context, job uuid.UUID, step uint32, offset uint64, data []byte, load func(context.Context) ([][]byte, error)) ([]byte, error) {
	m.mu.Lock()
	jm, ok := m.jobs[job]
	m.mu.Unlock()
	if !ok {
		values, err := load(ctx)
		if err != nil {
			return nil, err
		}
		m.mu.Lock()
		jm = m.putLocked(job, logmask.New(values))
		m.mu.Unlock()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if jm.masker == nil {
		return data, nil
	}
	st := jm.steps[step]
	if st == nil {
		st = &stepTail{}
		jm.steps[step] = st
	}
	var prev []byte
	if st.end == offset {
		prev = st.tail
	}
	out := jm.masker.Overwrite(prev, data)
	end := offset + uint64(len(data))
	// The tail keeps the bytes as they arrived, not as starred here: an
	// occurrence overlapping one this pass starred is still found.
	switch {
	case offset == st.end:
		st.end, st.tail = end, lastBytes(append(append([]byte(nil), prev...), data...), jm.masker.HoldBack())
	case end > st.end:
		// A chunk this replica did not see came before: start again here.
		st.end, st.tail = end, lastBytes(data, jm.masker.HoldBack())
	}
	return out, nil
}

// lastBytes is a copy of b's last n bytes (the caller's buffer is not kept).
func lastBytes(b []byte, n int) []byte {
	return append([]byte(nil), b[max(0, len(b)-n):]...)
}

// secretValuesOf resolves again the values of the secrets job j asked
// for, for masking its log on a replica that did not dispatch it. Names
// that no longer resolve are skipped (the job already has its values),
// and the protected rule does not apply: masking more is harmless.
func (s *Service) secretValuesOf(ctx context.Context, j db.Job) ([][]byte, error) {
	sp, err := decodeSpec(j.Spec)
	if err != nil || len(sp.Secrets) == 0 || s.secrets == nil {
		return nil, nil //nolint:nilerr // a job whose spec does not decode never ran with secrets
	}
	p, err := s.q.GetPipeline(ctx, j.PipelineID)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(sp.Secrets))
	for i, r := range sp.Secrets {
		names[i] = r.Name
	}
	values, err := s.secrets.ForPipeline(ctx, p.ProjectID, names)
	if err != nil {
		return nil, err
	}
	out := make([][]byte, len(values))
	for i, v := range values {
		out[i] = v.Value
	}
	return out, nil
}
