package artifact_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/uuid"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/objectstore"
	"github.com/hearth-dev/hearth/controlplane/internal/pipeline/artifact"
	"github.com/hearth-dev/hearth/controlplane/internal/store"
	"github.com/hearth-dev/hearth/controlplane/testsvc"
)

func TestMain(m *testing.M) { testsvc.Main(m) }

const waitLimit = 30 * time.Second

// clock is an injectable clock tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type fixture struct {
	store   *artifact.Store
	db      *store.DB
	objects *objectstore.Store
	bucket  *minio.Client // lists what is really in the bucket
	name    string        // the bucket's
	clock   *clock
	tmp     string
}

const maxBytes = 1 << 20

func newFixture(t *testing.T) fixture {
	t.Helper()
	ctx := t.Context()
	db := testsvc.NewDatabase(t)
	s3 := testsvc.S3(t)
	objects, err := objectstore.Open(ctx, objectstore.Config{
		Endpoint: "http://" + s3.Endpoint, Region: s3.Region, Bucket: s3.Bucket,
		AccessKey: s3.AccessKey, SecretKey: s3.SecretKey,
	})
	if err != nil {
		t.Fatal(err)
	}
	lister, err := minio.New(s3.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(s3.AccessKey, s3.SecretKey, ""), Region: s3.Region})
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Now().UTC().Truncate(time.Microsecond)}
	tmp := t.TempDir()
	st, err := artifact.New(artifact.Deps{DB: db, Objects: objects, Logger: testsvc.Logger(t), MaxBytes: maxBytes, TempDir: tmp, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	return fixture{store: st, db: db, objects: objects, bucket: lister, name: s3.Bucket, clock: clk, tmp: tmp}
}

// objectKeys lists every object in the bucket.
func (f fixture) objectKeys(t *testing.T) []string {
	t.Helper()
	var keys []string
	for o := range f.bucket.ListObjects(t.Context(), f.name, minio.ListObjectsOptions{Recursive: true}) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		keys = append(keys, o.Key)
	}
	return keys
}

func (f fixture) rowCount(t *testing.T) int {
	t.Helper()
	var n int
	if err := f.db.Pool.QueryRow(t.Context(), "SELECT count(*) FROM artifacts").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// nothingLeft checks the bucket and table hold exactly want artifacts and
// no spooled file is left.
func (f fixture) wantStored(t *testing.T, want int) {
	t.Helper()
	if keys := f.objectKeys(t); len(keys) != want {
		t.Errorf("objects %v, want %d", keys, want)
	}
	if n := f.rowCount(t); n != want {
		t.Errorf("%d rows, want %d", n, want)
	}
	if left, _ := os.ReadDir(f.tmp); len(left) != 0 {
		t.Errorf("spooled files left behind: %v", left)
	}
}

func wantKind(t *testing.T, what string, err error, want apperr.Kind) {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok || e.Kind != want {
		t.Fatalf("%s: error %v, want apperr kind %d", what, err, want)
	}
}

func hash(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func (f fixture) put(t *testing.T, project, job uuid.UUID, name string, body []byte, expireIn time.Duration) artifact.Artifact {
	t.Helper()
	a, err := f.store.Put(t.Context(), project, job, name, bytes.NewReader(body), expireIn)
	if err != nil {
		t.Fatalf("put %s: %v", name, err)
	}
	return a
}

func (f fixture) read(t *testing.T, id uuid.UUID) (string, artifact.Artifact) {
	t.Helper()
	r, a, err := f.store.Open(t.Context(), id)
	if err != nil {
		t.Fatalf("open %s: %v", id, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b), a
}

func TestPutListOpen(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	project, job := uuid.New(), uuid.New()
	body := bytes.Repeat([]byte("binary\x00\xff payload "), 5000)
	a := f.put(t, project, job, "dist.tar.gz", body, time.Hour)
	if a.ID == uuid.Nil || a.ProjectID != project || a.JobID != job || a.Name != "dist.tar.gz" ||
		a.Size != int64(len(body)) || a.SHA256 != hash(body) ||
		!a.CreatedAt.Equal(f.clock.Now()) || !a.ExpiresAt.Equal(f.clock.Now().Add(time.Hour)) {
		t.Fatalf("put returned %+v", a)
	}
	empty := f.put(t, project, job, "EMPTY_file-1", nil, 0)
	if empty.Size != 0 || empty.SHA256 != hash(nil) || !empty.ExpiresAt.Equal(f.clock.Now().Add(artifact.DefaultExpireIn)) {
		t.Fatalf("empty artifact %+v", empty)
	}
	f.put(t, project, uuid.New(), "other-job", []byte("x"), 0)

	list, err := f.store.List(ctx, job)
	if err != nil || len(list) != 2 || list[0] != empty || list[1] != a {
		t.Fatalf("list: %+v %v", list, err)
	}
	got, err := f.store.Get(ctx, a.ID)
	if err != nil || got != a {
		t.Fatalf("get: %+v %v", got, err)
	}
	content, opened := f.read(t, a.ID)
	if content != string(body) || opened != a {
		t.Fatalf("open: %d bytes, %+v", len(content), opened)
	}
	if keys := f.objectKeys(t); !containsKey(keys, artifact.ObjectKey(project, job, a.ID)) {
		t.Fatalf("object key %s not in %v", artifact.ObjectKey(project, job, a.ID), keys)
	}
	f.wantStored(t, 3)

	_, err = f.store.Get(ctx, uuid.New())
	wantKind(t, "get unknown", err, apperr.KindNotFound)
	_, _, err = f.store.Open(ctx, uuid.New())
	wantKind(t, "open unknown", err, apperr.KindNotFound)
	if list, err := f.store.List(ctx, uuid.New()); err != nil || len(list) != 0 {
		t.Fatalf("list of a job without artifacts: %v %v", list, err)
	}
}

func containsKey(keys []string, key string) bool {
	for _, k := range keys {
		if k == key {
			return true
		}
	}
	return false
}

func TestPutReplacesTheSameName(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	project, job := uuid.New(), uuid.New()
	first := f.put(t, project, job, "report.txt", []byte("first"), time.Hour)
	second := f.put(t, project, job, "report.txt", []byte("second"), time.Hour)
	if second.ID == first.ID {
		t.Fatal("a replacement gets a new id")
	}
	list, err := f.store.List(ctx, job)
	if err != nil || len(list) != 1 || list[0].ID != second.ID {
		t.Fatalf("list after replace: %+v %v", list, err)
	}
	if content, _ := f.read(t, second.ID); content != "second" {
		t.Fatalf("content %q", content)
	}
	_, err = f.store.Get(ctx, first.ID)
	wantKind(t, "the replaced artifact", err, apperr.KindNotFound)
	if _, err := f.objects.Get(ctx, artifact.ObjectKey(project, job, first.ID)); !errors.Is(err, objectstore.ErrNotFound) {
		t.Fatalf("the replaced object still exists: %v", err)
	}
	f.wantStored(t, 1)

	// Concurrent replacements: exactly one survives, with its object.
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = f.store.Put(ctx, project, job, "report.txt", strings.NewReader(fmt.Sprint("writer ", i)), time.Hour)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("concurrent put %d: %v", i, err)
		}
	}
	list, err = f.store.List(ctx, job)
	if err != nil || len(list) != 1 {
		t.Fatalf("list after concurrent replaces: %+v %v", list, err)
	}
	if content, _ := f.read(t, list[0].ID); !strings.HasPrefix(content, "writer ") {
		t.Fatalf("content %q", content)
	}
	f.wantStored(t, 1)
}

func TestOversizeAndBrokenUploadsLeaveNothing(t *testing.T) {
	f := newFixture(t)
	project, job := uuid.New(), uuid.New()
	if a := f.put(t, project, job, "exact", make([]byte, maxBytes), time.Hour); a.Size != maxBytes {
		t.Fatalf("an artifact of exactly the limit: %+v", a)
	}
	_, err := f.store.Put(t.Context(), project, job, "big", bytes.NewReader(make([]byte, maxBytes+1)), time.Hour)
	wantKind(t, "oversize", err, apperr.KindResourceExhausted)
	if !strings.Contains(err.Error(), "larger than the limit") {
		t.Fatalf("unclear error: %v", err)
	}
	// An oversized replacement keeps the existing artifact.
	_, err = f.store.Put(t.Context(), project, job, "exact", io.MultiReader(bytes.NewReader(make([]byte, maxBytes)), strings.NewReader("!")), time.Hour)
	wantKind(t, "oversize replacement", err, apperr.KindResourceExhausted)

	boom := errors.New("connection reset")
	_, err = f.store.Put(t.Context(), project, job, "broken", io.MultiReader(strings.NewReader("partial"), iotest.ErrReader(boom)), time.Hour)
	if !errors.Is(err, boom) {
		t.Fatalf("broken upload: %v", err)
	}
	f.wantStored(t, 1)
	if list, err := f.store.List(t.Context(), job); err != nil || len(list) != 1 || list[0].Name != "exact" {
		t.Fatalf("list: %+v %v", list, err)
	}
}

func TestHostileNamesAreRefused(t *testing.T) {
	f := newFixture(t)
	project, job := uuid.New(), uuid.New()
	for _, name := range []string{
		"", ".", "..", ".hidden", "../etc/passwd", "a/b", `a\b`, "a b", "a\x00b", "a\nb", "ünicode",
		"name;rm -rf", "%2e%2e", strings.Repeat("a", artifact.MaxNameLen+1),
	} {
		_, err := f.store.Put(t.Context(), project, job, name, strings.NewReader("x"), time.Hour)
		wantKind(t, fmt.Sprintf("name %q", name), err, apperr.KindInvalid)
		if artifact.ValidName(name) {
			t.Errorf("ValidName(%q) = true", name)
		}
	}
	for _, name := range []string{"a", "_", "-x", "report.v1.tar.gz", strings.Repeat("a", artifact.MaxNameLen)} {
		if !artifact.ValidName(name) {
			t.Errorf("ValidName(%q) = false", name)
		}
		f.put(t, project, job, name, []byte("ok"), time.Hour)
	}
	f.wantStored(t, 5)
}

func TestExpiry(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	project, job := uuid.New(), uuid.New()
	short := f.put(t, project, job, "short", []byte("soon gone"), time.Hour)
	long := f.put(t, project, job, "long", []byte("stays"), 48*time.Hour)
	f.clock.Advance(2 * time.Hour)

	_, err := f.store.Get(ctx, short.ID)
	wantKind(t, "get expired", err, apperr.KindNotFound)
	_, _, err = f.store.Open(ctx, short.ID)
	wantKind(t, "open expired", err, apperr.KindNotFound)
	if list, err := f.store.List(ctx, job); err != nil || len(list) != 1 || list[0].ID != long.ID {
		t.Fatalf("list: %+v %v", list, err)
	}

	// Two leaders briefly at once.
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 2)
	for range 2 {
		go func() { done <- f.store.RunExpiry(runCtx, 10*time.Millisecond) }()
	}
	deadline := time.Now().Add(waitLimit)
	for f.rowCount(t) != 1 {
		if time.Now().After(deadline) {
			t.Fatal("expired artifact not deleted")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	for range 2 {
		if err := <-done; err != nil {
			t.Fatalf("RunExpiry: %v", err)
		}
	}
	if keys := f.objectKeys(t); len(keys) != 1 || keys[0] != artifact.ObjectKey(project, job, long.ID) {
		t.Fatalf("objects after expiry: %v", keys)
	}
	if content, _ := f.read(t, long.ID); content != "stays" {
		t.Fatalf("the unexpired artifact: %q", content)
	}
	if err := f.store.RunExpiry(ctx, 0); err == nil {
		t.Fatal("a zero interval is accepted")
	}
}
