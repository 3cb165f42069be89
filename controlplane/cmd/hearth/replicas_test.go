package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hearth-dev/hearth/controlplane/testsvc"
)

// TestFourServersMigrateAnEmptyDatabaseOnce starts four control planes at
// the same moment against one empty database: the migrations apply exactly
// once, one initial administrator is created, and all four serve.
func TestFourServersMigrateAnEmptyDatabaseOnce(t *testing.T) {
	dbURL := testsvc.EmptyDatabaseURL(t)
	s3 := testsvc.S3(t)
	redisURL := testsvc.Redis(t)

	const replicas = 4
	key := rootKeyFile(t) // the replicas share one root key
	procs := make([]*hearthProcess, replicas)
	for i := range procs {
		procs[i] = startHearth(t, nil, "server",
			"--data-dir", t.TempDir(), "--listen", "127.0.0.1:0", "--raft-listen", "127.0.0.1:0",
			"--node-id", fmt.Sprintf("replica-%d", i), "--log-level", "info",
			"--database-url", dbURL, "--redis-url", redisURL,
			"--s3-endpoint", "http://"+s3.Endpoint, "--s3-access-key", s3.AccessKey, "--s3-secret-key", s3.SecretKey,
			"--s3-bucket", s3.Bucket, "--secrets-root-key-file", key)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	applied, upToDate := 0, 0
	for i, p := range procs {
		logs := p.waitOutput(t, &p.stderr, `"hearth is serving"`, 2*time.Minute)
		addr := servingAddress(t, logs)
		waitHTTP(ctx, t, "http://"+addr+"/readyz")
		code, body := httpGet(ctx, "http://"+addr+"/api/v1/version")
		if code != 200 {
			t.Fatalf("replica %d: version %d %s", i, code, body)
		}
		applied += strings.Count(logs, `"applied database migrations"`)
		upToDate += strings.Count(logs, `"database schema is up to date"`)
	}
	if applied != 1 || upToDate != replicas-1 {
		t.Fatalf("migrations applied by %d replicas and found up to date by %d; want 1 and %d", applied, upToDate, replicas-1)
	}

	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var version int64
	var dirty bool
	if err := conn.QueryRow(ctx, "SELECT version, dirty FROM schema_migrations").Scan(&version, &dirty); err != nil {
		t.Fatal(err)
	}
	if dirty || version == 0 {
		t.Fatalf("schema_migrations: version %d dirty %v", version, dirty)
	}
	var users int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM users").Scan(&users); err != nil {
		t.Fatal(err)
	}
	if users != 1 {
		t.Fatalf("%d users after four simultaneous starts, want exactly the one initial admin", users)
	}
}

// servingAddress finds the address in the JSON "hearth is serving" line.
func servingAddress(t *testing.T, logs string) string {
	t.Helper()
	for line := range strings.SplitSeq(logs, "\n") {
		var entry struct {
			Message string `json:"message"`
			Address string `json:"address"`
		}
		if json.Unmarshal([]byte(line), &entry) == nil && entry.Message == "hearth is serving" {
			return entry.Address
		}
	}
	t.Fatalf("no serving address in:\n%s", logs)
	return ""
}
