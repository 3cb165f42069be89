package secret

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/secret/envelope"
	"github.com/hearth-dev/hearth/controlplane/internal/store"
	"github.com/hearth-dev/hearth/controlplane/testsvc"
)

func TestMain(m *testing.M) { testsvc.Main(m) }

// fakeProjects maps projects to groups; the lookups by path are the
// API's, not exercised here.
type fakeProjects map[uuid.UUID]uuid.UUID

func (f fakeProjects) GroupOf(_ context.Context, id uuid.UUID) (uuid.UUID, error) { return f[id], nil }
func (f fakeProjects) ProjectID(context.Context, string, string) (uuid.UUID, error) {
	return uuid.Nil, apperr.NotFound("project not found")
}
func (f fakeProjects) GroupID(context.Context, string) (uuid.UUID, error) {
	return uuid.Nil, apperr.NotFound("group not found")
}

type world struct {
	db       *store.DB
	project  uuid.UUID
	group    uuid.UUID
	projects fakeProjects
	ctx      context.Context
}

func newWorld(t *testing.T) *world {
	t.Helper()
	db := testsvc.NewDatabase(t)
	w := &world{db: db, project: uuid.New(), group: uuid.New(), projects: fakeProjects{}}
	w.ctx = access.WithPrincipal(t.Context(), access.Principal{Kind: access.User, UserID: uuid.New(), Username: "ada"})
	if _, err := db.Exec(w.ctx, `INSERT INTO groups (id, name, created_by) VALUES ($1, 'acme', $2)`, w.group, uuid.New()); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(w.ctx, `INSERT INTO projects (id, owner_id, owner_name, name) VALUES ($1, $2, 'acme', 'web')`, w.project, w.group); err != nil {
		t.Fatal(err)
	}
	w.projects[w.project] = w.group
	return w
}

func (w *world) service(t *testing.T, primary envelope.RootKey, previous ...envelope.RootKey) *Service {
	t.Helper()
	ring, err := envelope.NewKeyring(primary, previous...)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Deps{DB: w.db, Keys: ring, Projects: w.projects, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func rootKey(t *testing.T) envelope.RootKey {
	t.Helper()
	text, err := envelope.GenerateKeyText()
	if err != nil {
		t.Fatal(err)
	}
	k, err := envelope.ParseKey(text)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func (w *world) set(t *testing.T, s *Service, sc Scope, in Input) Secret {
	t.Helper()
	sec, err := s.Set(w.ctx, sc, in)
	if err != nil {
		t.Fatalf("set %s in %s: %v", in.Name, sc, err)
	}
	return sec
}

func resolveOne(t *testing.T, s *Service, project uuid.UUID, env, name string) string {
	t.Helper()
	rs, err := s.Resolve(context.Background(), project, env, UsagePipeline, []string{name})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 {
		t.Fatalf("%s resolved to %d values", name, len(rs))
	}
	return string(rs[0].Value)
}

// TestResolvePrecedence: project over group over installation, and an
// environment's own over the one for every environment; versions count.
func TestResolvePrecedence(t *testing.T) {
	w := newWorld(t)
	s := w.service(t, rootKey(t))
	w.set(t, s, Installation, Input{Name: "TOKEN", Value: []byte("instance-value")})
	if got := resolveOne(t, s, w.project, "", "TOKEN"); got != "instance-value" {
		t.Fatalf("installation: %q", got)
	}
	w.set(t, s, GroupScope(w.group), Input{Name: "TOKEN", Value: []byte("group-value")})
	if got := resolveOne(t, s, w.project, "", "TOKEN"); got != "group-value" {
		t.Fatalf("group: %q", got)
	}
	w.set(t, s, ProjectScope(w.project), Input{Name: "TOKEN", Value: []byte("project-value")})
	w.set(t, s, ProjectScope(w.project), Input{Name: "TOKEN", Environment: "production", Value: []byte("production-value")})
	if got := resolveOne(t, s, w.project, "", "TOKEN"); got != "project-value" {
		t.Fatalf("project: %q", got)
	}
	if got := resolveOne(t, s, w.project, "production", "TOKEN"); got != "production-value" {
		t.Fatalf("environment: %q", got)
	}
	sec := w.set(t, s, ProjectScope(w.project), Input{Name: "TOKEN", Value: []byte("project-value-2")})
	if sec.Version != 2 || sec.UpdatedBy != "ada" {
		t.Fatalf("second version: %+v", sec)
	}
	if got := resolveOne(t, s, w.project, "", "TOKEN"); got != "project-value-2" {
		t.Fatalf("new version: %q", got)
	}
	// Metadata only: the value stays.
	sec = w.set(t, s, ProjectScope(w.project), Input{Name: "TOKEN", Protected: true, Description: "deploys"})
	if sec.Version != 2 || !sec.Protected {
		t.Fatalf("metadata change: %+v", sec)
	}
	rs, _ := s.Resolve(context.Background(), w.project, "", UsagePipeline, []string{"TOKEN"})
	if !rs[0].Protected || string(rs[0].Value) != "project-value-2" {
		t.Fatalf("after metadata change: %+v", rs)
	}
	// Usage: an agent-session-only secret does not reach pipelines.
	w.set(t, s, ProjectScope(w.project), Input{Name: "AGENT_ONLY", Usages: []Usage{UsageAgentSession}, Value: []byte("agent-value")})
	if rs, _ := s.Resolve(context.Background(), w.project, "", UsagePipeline, []string{"AGENT_ONLY"}); len(rs) != 0 {
		t.Fatalf("agent-only secret reached a pipeline: %d", len(rs))
	}
	list, err := s.List(w.ctx, ProjectScope(w.project))
	if err != nil || len(list) != 3 {
		t.Fatalf("list: %d %v", len(list), err)
	}
	if err := s.Delete(w.ctx, ProjectScope(w.project), "TOKEN", ""); err != nil {
		t.Fatal(err)
	}
	if got := resolveOne(t, s, w.project, "", "TOKEN"); got != "group-value" {
		t.Fatalf("after delete: %q", got)
	}
	if err := s.Delete(w.ctx, ProjectScope(w.project), "TOKEN", ""); apperr.KindOf(err) != apperr.KindNotFound {
		t.Fatalf("delete twice: %v", err)
	}
}

// TestInvalidInput: names, environments and value sizes are refused with
// a clear message, and nothing is stored.
func TestInvalidInput(t *testing.T) {
	w := newWorld(t)
	s := w.service(t, rootKey(t))
	for _, in := range []Input{
		{Name: "1BAD", Value: []byte("long enough value")},
		{Name: "A-B", Value: []byte("long enough value")},
		{Name: "OK", Environment: "Prod!", Value: []byte("long enough value")},
		{Name: "OK", Value: []byte("short")},
		{Name: "OK", Value: bytes.Repeat([]byte("x"), MaxValueBytes+1)},
		{Name: "OK"}, // a new secret needs a value
		{Name: "OK", Usages: []Usage{"everything"}, Value: []byte("long enough value")},
	} {
		if _, err := s.Set(w.ctx, Installation, in); apperr.KindOf(err) != apperr.KindInvalid {
			t.Errorf("%+v: %v", in.Name, err)
		}
	}
	if list, _ := s.List(w.ctx, Installation); len(list) != 0 {
		t.Fatalf("stored %d", len(list))
	}
}

// TestCiphertextBoundToItsRow: a value copied onto another secret's row,
// or a wrapped key onto another scope's, does not open.
func TestCiphertextBoundToItsRow(t *testing.T) {
	w := newWorld(t)
	s := w.service(t, rootKey(t))
	w.set(t, s, ProjectScope(w.project), Input{Name: "A", Value: []byte("value-of-a-123")})
	w.set(t, s, ProjectScope(w.project), Input{Name: "B", Value: []byte("value-of-b-456")})
	if _, err := w.db.Exec(w.ctx, `UPDATE secret_versions SET ciphertext = (
		SELECT v.ciphertext FROM secret_versions v JOIN secrets s ON s.id = v.secret_id WHERE s.name = 'A')
		WHERE secret_id = (SELECT id FROM secrets WHERE name = 'B')`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Resolve(context.Background(), w.project, "", UsagePipeline, []string{"B"}); !errors.Is(err, envelope.ErrOpen) {
		t.Fatalf("a copied ciphertext: %v", err)
	}
	if got := resolveOne(t, s, w.project, "", "A"); got != "value-of-a-123" {
		t.Fatal(got)
	}
	// The group's key moved onto the project's row.
	w.set(t, s, GroupScope(w.group), Input{Name: "G", Value: []byte("value-of-g-789")})
	if _, err := w.db.Exec(w.ctx, `UPDATE secret_keys SET wrapped = (SELECT wrapped FROM secret_keys WHERE group_id IS NOT NULL)
		WHERE project_id IS NOT NULL`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Resolve(context.Background(), w.project, "", UsagePipeline, []string{"A"}); !errors.Is(err, envelope.ErrOpen) {
		t.Fatalf("a moved wrapped key: %v", err)
	}
}

// TestRootKeyRotationAndWrongKey: a new primary with the old key as
// previous re-wraps every data key without touching the values; then the
// old key is no longer needed. Starting with a wrong key fails Verify.
func TestRootKeyRotationAndWrongKey(t *testing.T) {
	w := newWorld(t)
	oldKey, newKey := rootKey(t), rootKey(t)
	s := w.service(t, oldKey)
	w.set(t, s, ProjectScope(w.project), Input{Name: "A", Value: []byte("value-of-a-123")})
	w.set(t, s, Installation, Input{Name: "I", Value: []byte("value-of-i-123")})
	var before [][]byte
	rows, err := w.db.Query(w.ctx, `SELECT ciphertext FROM secret_versions ORDER BY secret_id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var c []byte
		if err := rows.Scan(&c); err != nil {
			t.Fatal(err)
		}
		before = append(before, c)
	}
	rows.Close()

	if err := w.service(t, rootKey(t)).Verify(context.Background()); err == nil || !contains(err.Error(), "which is not configured") {
		t.Fatalf("a wrong key: %v", err)
	}
	if err := w.service(t, newKey).Verify(context.Background()); err == nil {
		t.Fatal("the new key alone verified before re-wrapping")
	}
	rotating := w.service(t, newKey, oldKey)
	if err := rotating.Verify(context.Background()); err != nil {
		t.Fatal(err)
	}
	n, err := rotating.rewrapRootKeys(w.ctx)
	if err != nil || n != 2 {
		t.Fatalf("re-wrapped %d: %v", n, err)
	}
	after := w.service(t, newKey)
	if err := after.Verify(context.Background()); err != nil {
		t.Fatalf("after re-wrapping, the new key alone: %v", err)
	}
	if got := resolveOne(t, after, w.project, "", "A"); got != "value-of-a-123" {
		t.Fatal(got)
	}
	if got := resolveOne(t, after, w.project, "", "I"); got != "value-of-i-123" {
		t.Fatal(got)
	}
	i := 0
	rows, _ = w.db.Query(w.ctx, `SELECT ciphertext FROM secret_versions ORDER BY secret_id`)
	for rows.Next() {
		var c []byte
		_ = rows.Scan(&c)
		if !bytes.Equal(c, before[i]) {
			t.Fatal("a root key rotation re-encrypted a value")
		}
		i++
	}
	rows.Close()
}

// TestDataKeyRotation: RotateKey retires the project's key; the worker's
// pass re-encrypts its values under the new one and deletes the old key;
// every value stays readable throughout.
func TestDataKeyRotation(t *testing.T) {
	w := newWorld(t)
	s := w.service(t, rootKey(t))
	for _, name := range []string{"A", "B", "C"} {
		w.set(t, s, ProjectScope(w.project), Input{Name: name, Value: []byte("value-of-" + name + "-123")})
	}
	w.set(t, s, ProjectScope(w.project), Input{Name: "A", Value: []byte("value-of-A-v2")})
	pending, err := s.RotateKey(w.ctx, ProjectScope(w.project))
	if err != nil || pending != 4 {
		t.Fatalf("rotate: %d pending, %v", pending, err)
	}
	if got := resolveOne(t, s, w.project, "", "B"); got != "value-of-B-123" {
		t.Fatalf("before re-encryption: %q", got)
	}
	// A new version during the rotation goes under the new key.
	w.set(t, s, ProjectScope(w.project), Input{Name: "C", Value: []byte("value-of-C-v2")})
	n, err := s.reencryptRetired(w.ctx)
	if err != nil || n != 4 {
		t.Fatalf("re-encrypted %d: %v", n, err)
	}
	var keys, retired int
	if err := w.db.QueryRow(w.ctx, `SELECT count(*), count(retired_at) FROM secret_keys WHERE project_id = $1`, w.project).Scan(&keys, &retired); err != nil {
		t.Fatal(err)
	}
	if keys != 1 || retired != 0 {
		t.Fatalf("%d keys, %d retired after re-encryption", keys, retired)
	}
	for name, want := range map[string]string{"A": "value-of-A-v2", "B": "value-of-B-123", "C": "value-of-C-v2"} {
		if got := resolveOne(t, s, w.project, "", name); got != want {
			t.Fatalf("%s: %q", name, got)
		}
	}
}

func contains(s, sub string) bool { return bytes.Contains([]byte(s), []byte(sub)) }
