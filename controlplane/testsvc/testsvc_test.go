package testsvc_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/hearth-dev/hearth/controlplane/internal/store"
	"github.com/hearth-dev/hearth/controlplane/testsvc"
)

func TestMain(m *testing.M) {
	code := testsvc.Run(m)
	// Nothing testsvc started may outlive Run.
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

func TestNewDatabaseIsFreshAndMigrated(t *testing.T) {
	began := time.Now()
	a := testsvc.NewDatabase(t)
	t.Logf("first NewDatabase (server start, template migration, clone): %v", time.Since(began))
	began = time.Now()
	b := testsvc.NewDatabase(t)
	t.Logf("second NewDatabase (clone): %v", time.Since(began))

	ctx := t.Context()
	names := map[string]bool{}
	for _, db := range []*store.DB{a, b} {
		var name, fn string
		if err := db.Pool.QueryRow(ctx, "select current_database(), 'set_updated_at'::regproc::text").Scan(&name, &fn); err != nil {
			t.Fatalf("database not migrated: %v", err)
		}
		if fn != "set_updated_at" {
			t.Errorf("%s: set_updated_at = %q", name, fn)
		}
		names[name] = true
	}
	if len(names) != 2 {
		t.Fatalf("the two databases are one: %v", names)
	}
	// A commit in one is invisible in the other.
	if _, err := a.Pool.Exec(ctx, "create table only_in_a (v int)"); err != nil {
		t.Fatal(err)
	}
	var found *string
	if err := b.Pool.QueryRow(ctx, "select to_regclass('only_in_a')::text").Scan(&found); err != nil || found != nil {
		t.Errorf("only_in_a visible in the other database: %v, %v", found, err)
	}
}

func TestNewDatabaseURL(t *testing.T) {
	url := testsvc.NewDatabaseURL(t)
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	var fn string
	if err := conn.QueryRow(t.Context(), "select 'set_updated_at'::regproc::text").Scan(&fn); err != nil {
		t.Fatalf("not migrated: %v", err)
	}
}

func TestTxIsRolledBack(t *testing.T) {
	var table string
	t.Run("writes", func(t *testing.T) {
		tx := testsvc.Tx(t)
		table = "tx_" + strings.ToLower(strings.ReplaceAll(testsvc.KeyPrefix(t), ":", "_"))
		if _, err := tx.Exec(t.Context(), "create table "+pgx.Identifier{table}.Sanitize()+" (v int)"); err != nil {
			t.Fatal(err)
		}
		var fn string
		if err := tx.QueryRow(t.Context(), "select 'set_updated_at'::regproc::text").Scan(&fn); err != nil {
			t.Fatalf("shared database not migrated: %v", err)
		}
		// Another test's transaction does not see it meanwhile.
		var found *string
		if err := testsvc.Tx(t).QueryRow(t.Context(), "select to_regclass($1)::text", table).Scan(&found); err != nil || found != nil {
			t.Errorf("uncommitted table seen by another transaction: %v, %v", found, err)
		}
	})
	t.Run("after rollback", func(t *testing.T) {
		var found *string
		if err := testsvc.Tx(t).QueryRow(t.Context(), "select to_regclass($1)::text", table).Scan(&found); err != nil || found != nil {
			t.Errorf("table survived the rollback: %v, %v", found, err)
		}
	})
}

func TestEmptyDatabaseURLIsNotMigrated(t *testing.T) {
	url := testsvc.EmptyDatabaseURL(t)
	db, err := store.Open(t.Context(), store.Config{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var found *string
	if err := db.Pool.QueryRow(t.Context(), "select to_regclass($1)::text", store.MigrationsTable).Scan(&found); err != nil || found != nil {
		t.Fatalf("%s exists in the empty database: %v, %v", store.MigrationsTable, found, err)
	}
	// And it can be migrated, as the control planes of a test would.
	if err := store.Migrate(t.Context(), db, testsvc.Logger(t)); err != nil {
		t.Fatal(err)
	}
}

func TestRedisIsRealAndIsolated(t *testing.T) {
	began := time.Now()
	urlA := testsvc.Redis(t)
	t.Logf("first Redis (server start): %v", time.Since(began))
	urlB := testsvc.Redis(t)
	if urlA == urlB {
		t.Fatalf("two tests got the same database: %s", urlA)
	}
	ca, cb := client(t, urlA), client(t, urlB)
	ctx := t.Context()
	info, err := ca.Info(ctx, "server").Result()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(info, "redis_version:") {
		t.Fatalf("INFO server does not look like redis-server: %q", info)
	}
	if err := ca.Set(ctx, "k", "a", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if n, err := cb.Exists(ctx, "k").Result(); err != nil || n != 0 {
		t.Errorf("key of one database seen in the other: %d, %v", n, err)
	}
}

func client(t *testing.T, url string) *redis.Client {
	t.Helper()
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opts)
	t.Cleanup(func() { c.Close() })
	return c
}

func TestS3BucketIsUsable(t *testing.T) {
	began := time.Now()
	cfg := testsvc.S3(t)
	t.Logf("first S3 (server start, bucket): %v", time.Since(began))
	other := testsvc.S3(t)
	if cfg.Bucket == other.Bucket {
		t.Fatalf("two calls got the same bucket %s", cfg.Bucket)
	}
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	c, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:     credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Region:    cfg.Region,
		Transport: tr,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	body := []byte("artifact")
	if _, err := c.PutObject(ctx, cfg.Bucket, "a/b.txt", bytes.NewReader(body), int64(len(body)), minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	obj, err := c.GetObject(ctx, cfg.Bucket, "a/b.txt", minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(obj)
	obj.Close()
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("GetObject = %q, %v", got, err)
	}
	n := 0
	for info := range c.ListObjects(ctx, other.Bucket, minio.ListObjectsOptions{Recursive: true}) {
		if info.Err != nil {
			t.Fatal(info.Err)
		}
		n++
	}
	if n != 0 {
		t.Errorf("fresh bucket holds %d objects", n)
	}
}

// Parallel tests share the services safely (run with -race).
func TestParallelUse(t *testing.T) {
	for i := range 6 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			db := testsvc.NewDatabase(t)
			if _, err := db.Pool.Exec(t.Context(), "select 1"); err != nil {
				t.Fatal(err)
			}
			if _, err := testsvc.Tx(t).Exec(t.Context(), "select 1"); err != nil {
				t.Fatal(err)
			}
			if err := client(t, testsvc.Redis(t)).Ping(t.Context()).Err(); err != nil {
				t.Fatal(err)
			}
			_ = testsvc.S3(t)
		})
	}
}
