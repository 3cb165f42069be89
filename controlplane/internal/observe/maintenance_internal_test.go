package observe

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/objectstore"
	"github.com/hearth-dev/hearth/controlplane/internal/observe/columnar"
	"github.com/hearth-dev/hearth/controlplane/internal/observe/internal/db"
	"github.com/hearth-dev/hearth/controlplane/internal/observe/record"
	"github.com/hearth-dev/hearth/controlplane/testsvc"
)

type noAuthz struct{}

func (noAuthz) Authorize(context.Context, access.Principal, access.Permission, uuid.UUID) error {
	return errors.New("not in this test")
}

type noProjects struct{}

func (noProjects) ProjectID(context.Context, string, string) (uuid.UUID, error) {
	return uuid.Nil, errors.New("not in this test")
}

// maintenanceEnv is a Service on real PostgreSQL and S3 with a clock the
// test moves.
type maintenanceEnv struct {
	svc     *Service
	objects *objectstore.Store
	offset  atomic.Int64 // added to the wall clock
}

func newMaintenanceEnv(t *testing.T) *maintenanceEnv {
	t.Helper()
	s3 := testsvc.S3(t)
	objects, err := objectstore.Open(t.Context(), objectstore.Config{
		Endpoint: "http://" + s3.Endpoint, Region: s3.Region, Bucket: s3.Bucket, AccessKey: s3.AccessKey, SecretKey: s3.SecretKey,
	})
	if err != nil {
		t.Fatal(err)
	}
	e := &maintenanceEnv{objects: objects}
	e.svc, err = New(t.Context(), Deps{
		DB: testsvc.NewDatabase(t), Objects: objects, Authz: noAuthz{}, Projects: noProjects{}, Logger: zerolog.Nop(),
		Config: Config{WALDir: t.TempDir(), Replica: "maintenance"},
		Now:    func() time.Time { return time.Now().Add(time.Duration(e.offset.Load())) },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.svc.Close() })
	return e
}

func (e *maintenanceEnv) files(t *testing.T, project uuid.UUID) []db.FilesInRangeRow {
	t.Helper()
	rows, err := db.New(e.svc.d.DB).FilesInRange(t.Context(), db.FilesInRangeParams{ProjectID: project, Signal: "logs", FromTime: 0, ToTime: 1<<63 - 1})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func (e *maintenanceEnv) count(t *testing.T, project uuid.UUID) int64 {
	t.Helper()
	n, _, err := e.svc.engine.CountLogs(t.Context(), project.String(), columnar.LogFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestCompactionAndRetention: three flushes of one hour become three
// files; compaction (once they settled) merges them into one holding
// every row once, and the replaced objects are deleted only after the
// garbage delay; retention then drops the file past the project's
// retention, and its object after the delay.
func TestCompactionAndRetention(t *testing.T) {
	e := newMaintenanceEnv(t)
	ctx := t.Context()
	project := uuid.New()
	// One fixed instant, so every row falls in the same hour.
	at := time.Now().Truncate(time.Hour).Add(30 * time.Minute).UnixNano()
	for i := range 3 {
		b := &record.Batch{Project: project.String()}
		for j := range 100 {
			b.Logs = append(b.Logs, record.Log{Project: project.String(), Service: "api", TimeNano: at + int64(i*100+j), Body: "line"})
		}
		if err := e.svc.store(ctx, "", b); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	before := e.files(t, project)
	if len(before) != 3 || e.count(t, project) != 300 {
		t.Fatalf("after three flushes: %d files, %d rows", len(before), e.count(t, project))
	}
	if n, err := e.svc.Compact(ctx); err != nil || n != 0 {
		t.Fatalf("compacting files that have not settled: %d, %v", n, err)
	}
	e.offset.Store(int64(2 * time.Minute))
	if n, err := e.svc.Compact(ctx); err != nil || n != 2 {
		t.Fatalf("Compact = %d, %v; want 2 files merged away", n, err)
	}
	after := e.files(t, project)
	if len(after) != 1 || after[0].RowCount != 300 || e.count(t, project) != 300 {
		t.Fatalf("after compaction: %+v, %d rows", after, e.count(t, project))
	}
	// The replaced objects stay for queries that listed them.
	if err := e.svc.CollectGarbage(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := e.objects.Stat(ctx, before[0].ObjectKey); err != nil {
		t.Fatalf("a replaced object went before the delay: %v", err)
	}
	e.offset.Store(int64(2*time.Minute + garbageDelay))
	if err := e.svc.CollectGarbage(ctx); err != nil {
		t.Fatal(err)
	}
	for _, f := range before {
		if _, err := e.objects.Stat(ctx, f.ObjectKey); !errors.Is(err, objectstore.ErrNotFound) {
			t.Fatalf("replaced object %s: %v", f.ObjectKey, err)
		}
	}

	// Retention: 30 days by default, 40 for this project while it says
	// so.
	if err := e.svc.SetRetention(ctx, project, 40*day); err != nil {
		t.Fatal(err)
	}
	if r, def, err := e.svc.Retention(ctx, project); err != nil || r != 40*day || def {
		t.Fatalf("Retention = %s, %v, %v", r, def, err)
	}
	e.offset.Store(int64(31 * 24 * time.Hour))
	if n, err := e.svc.Expire(ctx); err != nil || n != 0 {
		t.Fatalf("Expire within the project's retention = %d, %v", n, err)
	}
	if err := e.svc.SetRetention(ctx, project, 0); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.SetRetention(ctx, project, 36*time.Hour); err == nil {
		t.Fatal("a retention of a day and a half was accepted")
	}
	if n, err := e.svc.Expire(ctx); err != nil || n != 1 {
		t.Fatalf("Expire = %d, %v; want 1", n, err)
	}
	if len(e.files(t, project)) != 0 || e.count(t, project) != 0 {
		t.Fatal("an expired file is still listed")
	}
	e.offset.Store(int64(31*24*time.Hour + garbageDelay))
	if err := e.svc.CollectGarbage(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := e.objects.Stat(ctx, after[0].ObjectKey); !errors.Is(err, objectstore.ErrNotFound) {
		t.Fatalf("the expired object: %v", err)
	}
}
