package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hearth-dev/hearth/controlplane/testsvc"
)

// TestTwoDevsOnOneMachine: two `hearth dev` without --raft-listen each
// take a free Raft port instead of both claiming 127.0.0.1:8301. The
// second also serves --metrics-listen: /metrics there is open, on the main
// port it needs an administrator, as in `hearth server`.
func TestTwoDevsOnOneMachine(t *testing.T) {
	metrics := freeAddr(t)
	devs := make([]*hearthProcess, 2)
	listens := make([]string, 2)
	for i := range devs {
		s3 := testsvc.S3(t)
		listens[i] = freeAddr(t)
		args := []string{"dev", "--data-dir", t.TempDir(), "--listen", listens[i], "--local-agent=false",
			"--log-format", "json", "--database-url", testsvc.NewDatabaseURL(t), "--redis-url", testsvc.Redis(t),
			"--s3-endpoint", "http://" + s3.Endpoint, "--s3-access-key", s3.AccessKey, "--s3-secret-key", s3.SecretKey,
			"--s3-bucket", s3.Bucket}
		if i == 1 {
			args = append(args, "--metrics-listen", metrics)
		}
		devs[i] = startHearth(t, nil, args...)
		// One after the other: the first holds its Raft port when the
		// second starts.
		devs[i].waitOutput(t, &devs[i].stdout, "Hearth is running at http://"+listens[i], 2*time.Minute)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for i, d := range devs {
		if code, body := httpGet(ctx, "http://"+listens[i]+"/readyz"); code != http.StatusOK {
			t.Fatalf("dev %d /readyz: %d %s", i, code, body)
		}
		if strings.Contains(d.stderr.String(), "127.0.0.1:8301") {
			t.Errorf("dev %d uses the fixed Raft port", i)
		}
	}
	if code, body := httpGet(ctx, "http://"+metrics+"/metrics"); code != http.StatusOK || !strings.Contains(string(body), "hearth_leader_is_leader") {
		t.Fatalf("--metrics-listen /metrics: %d %.200s", code, body)
	}
	if code, body := httpGet(ctx, "http://"+listens[1]+"/metrics"); code != http.StatusUnauthorized {
		t.Fatalf("anonymous /metrics on the main port: %d %.200s", code, body)
	}
}
