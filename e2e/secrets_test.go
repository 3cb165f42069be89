package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/jackc/pgx/v5"

	"github.com/hearth-dev/hearth/controlplane/servertest"
	"github.com/hearth-dev/hearth/controlplane/testsvc"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

// The values: long enough to be masked, with characters a shell or a URL
// treats specially.
const (
	dbPassword = "pa55-w0rd/e2e+XYZ&q"
	tlsKey     = "-----BEGIN KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX\n-----END KEY-----\n"
	prodToken  = "prod-token-0123456789"
)

const secretsPipeline = `jobs:
  use:
    secrets:
      - DB_PASSWORD
      - {name: TLS_KEY, file: tls.key}
    steps:
      - echo "password is $DB_PASSWORD"
      - printf '%s\n' "$DB_PASSWORD" | base64
      - |
        printf 'url=%s\n' "$(printf '%s' "$DB_PASSWORD" | sed 's#/#%2F#g; s#+#%2B#g; s#&#%26#g')"
      - |
        # one byte per write, with pauses, so chunks split the value
        printf '%s' "$DB_PASSWORD" | while IFS= read -r -n1 c; do printf '%s' "$c"; sleep 0.02; done; echo
      - cat "$HEARTH_SECRETS_DIR/tls.key"
      - test "$(stat -c %a "$HEARTH_SECRETS_DIR/tls.key")" = 400 && echo "mode ok"
  prod:
    secrets: [PROD_TOKEN]
    steps:
      - echo "prod is $PROD_TOKEN"
`

// TestJobsReceiveSecretsMasked: a job receives a project secret as a
// variable and another as a file through the process runner; every form
// of the value it prints reaches the log as ***; a protected secret reaches
// the default branch's pipeline and fails a feature branch's job with a
// clear message; a read-only token can neither list nor write; and after
// the run, neither the database, nor the server's log, nor the agent's
// holds a value.
func TestJobsReceiveSecretsMasked(t *testing.T) {
	var serverLog testsvc.Buffer
	w := newWorld(t, servertest.LogTo(&serverLog))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", serverLog.String())
		}
	})
	secrets := hearthv1connect.NewSecretServiceClient(http.DefaultClient, w.base, servertest.BearerOption(w.admin))
	for _, in := range []*hearthv1.SecretInput{
		{Name: "DB_PASSWORD", Value: []byte(dbPassword)},
		{Name: "TLS_KEY", Value: []byte(tlsKey)},
		{Name: "PROD_TOKEN", Value: []byte(prodToken), Protected: true},
	} {
		if _, err := secrets.SetProjectSecret(t.Context(), &hearthv1.SetProjectSecretRequest{Owner: w.owner, Name: w.project, Secret: in}); err != nil {
			t.Fatalf("set %s: %v", in.GetName(), err)
		}
	}
	agent := w.startAgent(t, 2)
	sha := w.push(t, "main", map[string]string{".hearth.yml": secretsPipeline})
	p := w.waitPipeline(t, 2*time.Minute, func(p *hearthv1.Pipeline) bool { return p.GetCommitSha() == sha && finished(p) })
	if p.GetError() != "" {
		t.Fatalf("pipeline error: %s", p.GetError())
	}
	use, prod := jobNamed(t, p, "use"), jobNamed(t, p, "prod")
	log := w.rawLog(t, use.GetId())
	if use.GetState() != hearthv1.PipelineState_PIPELINE_STATE_SUCCESS || prod.GetState() != hearthv1.PipelineState_PIPELINE_STATE_SUCCESS {
		t.Fatalf("use %s (%s), prod %s (%s)\n%s", state(use.GetState()), use.GetMessage(), state(prod.GetState()), prod.GetMessage(), log)
	}
	for _, want := range []string{"password is ***\n", "mode ok\n"} {
		if !bytes.Contains(log, []byte(want)) {
			t.Errorf("the log lacks %q:\n%s", want, log)
		}
	}
	if n := bytes.Count(log, []byte("***")); n < 5 {
		t.Errorf("%d masks in the log, want one per printed form (5 or more):\n%s", n, log)
	}
	if got := w.rawLog(t, prod.GetId()); !bytes.Contains(got, []byte("prod is ***\n")) {
		t.Errorf("prod log: %q", got)
	}

	// A feature branch's pipeline does not get the protected secret.
	featureSHA := w.push(t, "feature", map[string]string{".hearth.yml": secretsPipeline})
	fp := w.waitPipeline(t, 2*time.Minute, func(p *hearthv1.Pipeline) bool { return p.GetCommitSha() == featureSHA && finished(p) })
	if j := jobNamed(t, fp, "prod"); j.GetState() != hearthv1.PipelineState_PIPELINE_STATE_FAILURE ||
		!strings.Contains(j.GetMessage(), "secret PROD_TOKEN is protected") {
		t.Fatalf("feature branch prod job: %s %q", state(j.GetState()), j.GetMessage())
	}
	if j := jobNamed(t, fp, "use"); j.GetState() != hearthv1.PipelineState_PIPELINE_STATE_SUCCESS {
		t.Fatalf("feature branch use job: %s %q", state(j.GetState()), j.GetMessage())
	}

	// The admin lists names and metadata, never values (the message has
	// no value field); a read-only token can neither list nor write.
	list, err := secrets.ListProjectSecrets(t.Context(), &hearthv1.ListProjectSecretsRequest{Owner: w.owner, Name: w.project})
	if err != nil || len(list.GetSecrets()) != 3 || list.GetSecrets()[0].GetVersion() != 1 {
		t.Fatalf("list: %v %v", list, err)
	}
	readOnly := w.srv.Token(t, servertest.AdminUsername, w.srv.AdminPassword, "read-only")
	ro := hearthv1connect.NewSecretServiceClient(http.DefaultClient, w.base, servertest.BearerOption(readOnly))
	if _, err := ro.ListProjectSecrets(t.Context(), &hearthv1.ListProjectSecretsRequest{Owner: w.owner, Name: w.project}); connect.CodeOf(err) != connect.CodePermissionDenied {
		t.Fatalf("read-only list: %v", err)
	}
	_, err = ro.SetProjectSecret(t.Context(), &hearthv1.SetProjectSecretRequest{Owner: w.owner, Name: w.project,
		Secret: &hearthv1.SecretInput{Name: "DB_PASSWORD", Value: []byte("overwritten-by-a-reader")}})
	if connect.CodeOf(err) != connect.CodePermissionDenied {
		t.Fatalf("read-only set: %v", err)
	}
	if _, err := ro.DeleteProjectSecret(t.Context(), &hearthv1.DeleteProjectSecretRequest{Owner: w.owner, Name: w.project, SecretName: "DB_PASSWORD"}); connect.CodeOf(err) != connect.CodePermissionDenied {
		t.Fatalf("read-only delete: %v", err)
	}

	agent.stop()
	agent.mu.Lock()
	agentLog := agent.out.String()
	agent.mu.Unlock()
	values := []string{dbPassword, tlsKey, prodToken, "MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX"}
	assertNoValue(t, "the job logs", append(append([]byte(nil), log...), w.rawLog(t, prod.GetId())...), values)
	assertNoValue(t, "the server's log", serverLog.Bytes(), values)
	assertNoValue(t, "the agent's log", []byte(agentLog), values)
	assertNoValue(t, "the database", dumpDatabase(t, w.srv.DatabaseURL), values)
	assertNoValueInFiles(t, "the agent's job records", agent.dir, values)
}

// assertNoValue fails if data holds a value in the clear, hex, base64 or
// URL-encoded.
func assertNoValue(t *testing.T, where string, data []byte, values []string) {
	t.Helper()
	for _, v := range values {
		for _, form := range []string{v, hex.EncodeToString([]byte(v)), base64.StdEncoding.EncodeToString([]byte(v)), url.QueryEscape(v)} {
			if bytes.Contains(data, []byte(form)) {
				t.Errorf("%s holds a secret value (%d bytes, as %.6s…)", where, len(v), form)
			}
		}
	}
}

// assertNoValueInFiles scans the files the agent keeps that are not the
// jobs' own output: job.json and its state. Step logs (logs/*.log) are
// what the job itself wrote on this machine, before masking.
func assertNoValueInFiles(t *testing.T, where, dir string, values []string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if filepath.Base(filepath.Dir(path)) == "logs" && strings.HasSuffix(path, ".log") {
			return nil
		}
		if filepath.Base(filepath.Dir(path)) == "workspace" || strings.Contains(path, string(filepath.Separator)+"workspace"+string(filepath.Separator)) {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		assertNoValue(t, where+" ("+path+")", b, values)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// dumpDatabase is every row of every table of the database, as COPY
// writes it (bytea as hex).
func dumpDatabase(t *testing.T, dbURL string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public'`)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	for _, table := range tables {
		if _, err := conn.PgConn().CopyTo(ctx, &out, "COPY "+table+" TO STDOUT"); err != nil {
			t.Fatalf("dump %s: %v", table, err)
		}
	}
	if out.Len() == 0 || len(tables) < 10 {
		t.Fatal(errors.New("the dump is empty"))
	}
	t.Logf("database dump: %d tables, %d bytes", len(tables), out.Len())
	return out.Bytes()
}
