package runner_test

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/hearth-dev/hearth/nodeagent/internal/runner"
	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
)

func TestResultRoundTrip(t *testing.T) {
	dir := t.TempDir()
	if _, found, err := runner.ReadResult(dir); found || err != nil {
		t.Fatalf("empty dir: found %v err %v", found, err)
	}
	for _, want := range []runner.Result{
		{State: agentv1.JobState_JOB_STATE_SUCCESS, Step: 3, Artifacts: runner.ArtifactsFile},
		{State: agentv1.JobState_JOB_STATE_FAILURE, Step: 2, ExitCode: 7, Message: "exit status 7"},
		{State: agentv1.JobState_JOB_STATE_CANCELLED, Step: 1, Message: "by alice"},
		{State: agentv1.JobState_JOB_STATE_TIMED_OUT, Step: 0, Message: "timed out after 10m0s"},
	} {
		if err := runner.WriteResult(dir, want); err != nil {
			t.Fatal(err)
		}
		got, found, err := runner.ReadResult(dir)
		if err != nil || !found || got != want {
			t.Errorf("read %+v %v %v, want %+v", got, found, err, want)
		}
	}
	data, _ := os.ReadFile(filepath.Join(dir, runner.ResultFile))
	if want := `{"state":"TIMED_OUT","step":0,"exit_code":0,"message":"timed out after 10m0s","artifacts":""}` + "\n"; string(data) != want {
		t.Errorf("result.json %s, want %s", data, want)
	}
	if _, err := os.Stat(filepath.Join(dir, runner.ResultFile+".tmp")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temporary file left: %v", err)
	}
	if err := runner.WriteResult(dir, runner.Result{State: agentv1.JobState_JOB_STATE_RUNNING}); err == nil {
		t.Error("a non-final state was written")
	}
	for _, bad := range []string{`{"state":"RUNNING"}`, `not json`} {
		if err := os.WriteFile(filepath.Join(dir, runner.ResultFile), []byte(bad), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, _, err := runner.ReadResult(dir); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestAppendLogLine(t *testing.T) {
	dir := t.TempDir()
	if err := runner.AppendLogLine(dir, 2, "first"); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(runner.LogPath(dir, 2), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.WriteString("no newline")
	_ = f.Close()
	if err := runner.AppendLogLine(dir, 2, "second"); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(filepath.Join(dir, "logs", "2.log"))
	if want := "hearth: first\nno newline\nhearth: second\n"; string(data) != want {
		t.Errorf("log %q, want %q", data, want)
	}
}

func TestValidateJob(t *testing.T) {
	ok := &agentv1.RunJob{JobId: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", Env: map[string]string{"A_1": "x\ny"}, Steps: []*agentv1.Step{{Script: "echo"}},
		Files: map[string][]byte{"db_password": []byte("x"), "tls.key": {0, 1, 2}},
		SecretEnv: map[string]string{"MY_SECRET": "it's \"q\" $HOME `x` \\\n\n", "_lower": "", "HEARTHSTONE": "x", strings.Repeat("B", 255): "x",
			"BIG": strings.Repeat("x", 64<<10)}} // the control plane's largest value
	if err := runner.ValidateJob(ok); err != nil {
		t.Errorf("valid job refused: %v", err)
	}
	manySecrets := &agentv1.RunJob{JobId: "j", Files: map[string][]byte{}, SecretEnv: map[string]string{}}
	for i := range runner.MaxSecrets {
		if i%2 == 0 {
			manySecrets.Files[fmt.Sprintf("f%d", i)] = []byte("x")
		} else {
			manySecrets.SecretEnv[fmt.Sprintf("V%d", i)] = "x"
		}
	}
	if err := runner.ValidateJob(manySecrets); err != nil {
		t.Errorf("%d secrets refused: %v", runner.MaxSecrets, err)
	}
	// The bytes of files and variables count together.
	half := runner.MaxSecretBytes / 2
	bigEnv := map[string]string{}
	for i := 0; i*runner.MaxSecretEnvBytes/2 < half; i++ {
		bigEnv[fmt.Sprintf("BIG%d", i)] = strings.Repeat("v", runner.MaxSecretEnvBytes/2)
	}
	tooBig := &agentv1.RunJob{JobId: "j", Files: map[string][]byte{"f": make([]byte, half)}, SecretEnv: bigEnv}
	for name, job := range map[string]*agentv1.RunJob{
		"nil":          nil,
		"empty id":     {},
		"path id":      {JobId: "a/b"},
		"dot id":       {JobId: ".."},
		"env name":     {JobId: "j", Env: map[string]string{"1A": "x"}},
		"env readonly": {JobId: "j", Env: map[string]string{"SHELLOPTS": "x"}},
		"env NUL":      {JobId: "j", Env: map[string]string{"A": "x\x00"}},
		"script NUL":   {JobId: "j", Steps: []*agentv1.Step{{Script: "\x00"}}},
		"timeout":      {JobId: "j", Timeout: &durationpb.Duration{Seconds: 1, Nanos: -1}},
		"too many":     {JobId: "j", Steps: make([]*agentv1.Step, runner.MaxSteps+1)},
		"artifacts":    {JobId: "j", ArtifactPaths: make([]string, runner.MaxArtifactPaths+1)},
		"long path":    {JobId: "j", ArtifactPaths: []string{strings.Repeat("a", runner.MaxArtifactPathBytes+1)}},
		"file path":    {JobId: "j", Files: map[string][]byte{"../x": nil}},
		"file dot":     {JobId: "j", Files: map[string][]byte{".profile": nil}},
		"file big":     {JobId: "j", Files: map[string][]byte{"a": make([]byte, runner.MaxSecretBytes+1)}},
	} {
		if err := runner.ValidateJob(job); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	tooMany := proto.CloneOf(manySecrets)
	tooMany.SecretEnv["ONE_MORE"] = "x"
	// Secret variables: refused with a message naming the variable, never
	// showing its value.
	for name, c := range map[string]struct {
		env  map[string]string
		job  *agentv1.RunJob
		want string
	}{
		"name":           {env: map[string]string{"A-B": "v4lue"}, want: `secret variable name "A-B" is not valid`},
		"digit":          {env: map[string]string{"1A": "v4lue"}, want: `secret variable name "1A" is not valid`},
		"empty name":     {env: map[string]string{"": "v4lue"}, want: `secret variable name "" is not valid`},
		"long name":      {env: map[string]string{strings.Repeat("A", 256): "v4lue"}, want: "is not valid (letters, digits and _, not starting with a digit, at most 255)"},
		"readonly":       {env: map[string]string{"EUID": "v4lue"}, want: "secret variable EUID is read-only in bash"},
		"reserved":       {env: map[string]string{"HEARTH_SECRETS_DIR": "v4lue"}, want: "secret variable HEARTH_SECRETS_DIR: names starting with HEARTH_ are the agent's"},
		"runner's":       {env: map[string]string{"__hearth_v": "v4lue"}, want: "secret variable __hearth_v: names starting with __hearth_ are the runners' own"},
		"NUL":            {env: map[string]string{"A": "v4lue\x00"}, want: "secret variable A contains a NUL byte"},
		"one too big":    {env: map[string]string{"A": strings.Repeat("v4lue", (runner.MaxSecretEnvBytes+1)/5)}, want: "secret variable A is 131072 bytes (at most 131071): pass a secret this large as a file"},
		"too many":       {job: tooMany, want: "job has 101 secrets (50 files, 51 variables) of 254 bytes (at most 100 secrets, 1048576 bytes)"},
		"too many bytes": {job: tooBig, want: "(at most 100 secrets, 1048576 bytes)"},
	} {
		job := c.job
		if job == nil {
			job = &agentv1.RunJob{JobId: "j", SecretEnv: c.env}
		}
		err := runner.ValidateJob(job)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "v4lue") {
			t.Errorf("%s: the error shows the value: %v", name, err)
		}
	}
}

func TestWriteArtifactsGlobs(t *testing.T) {
	ws := t.TempDir()
	for name, content := range map[string]string{
		"a.txt": "a", "b.log": "b", "deep/x/y/z.log": "z", "deep/top.log": "t", "deep/skip.txt": "s", "[lit].txt": "l",
	} {
		p := filepath.Join(ws, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mkfifo(filepath.Join(ws, "fifo.log"), 0o600); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "out.tar.gz")
	n, warnings, err := runner.WriteArtifacts(context.Background(), ws, []string{"*.txt", "deep/**/*.log", "./a.txt", "*.log", "[", "", "a.txt/../../x"}, dst)
	if err != nil {
		t.Fatal(err)
	}
	got := list(t, dst)
	want := []string{"[lit].txt=l", "a.txt=a", "b.log=b", "deep/top.log=t", "deep/x/y/z.log=z"}
	if strings.Join(got, "|") != strings.Join(want, "|") || n != len(want) {
		t.Errorf("archive (%d entries) %q, want %q", n, got, want)
	}
	wantWarnings := []string{
		"artifacts: fifo.log skipped: not a regular file, directory or symlink",
		`artifacts: path "[" refused: bad glob syntax`,
		`artifacts: path "" refused: empty path`,
		`artifacts: path "a.txt/../../x" refused: ".." is not allowed`,
	}
	if strings.Join(warnings, "|") != strings.Join(wantWarnings, "|") {
		t.Errorf("warnings\n%q\nwant\n%q", warnings, wantWarnings)
	}

	n, warnings, err = runner.WriteArtifacts(context.Background(), ws, []string{"none/*"}, dst+"2")
	if err != nil || n != 0 || len(warnings) != 2 {
		t.Errorf("nothing matched: %d %q %v", n, warnings, err)
	}
	if _, err := os.Stat(dst + "2"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("empty archive left: %v", err)
	}
	if _, _, err := runner.WriteArtifacts(context.Background(), filepath.Join(ws, "missing"), []string{"x"}, dst); err == nil {
		t.Error("missing workspace: no error")
	}
}

// TestWriteArtifactsPathologicalPattern: "**/**/…/x" against a deep tree
// took exponential time with a backtracking matcher; it must be quick, and
// "**" must still mean any number of segments, none included.
func TestWriteArtifactsPathologicalPattern(t *testing.T) {
	ws := t.TempDir()
	deep := filepath.Join(ws, strings.Repeat("d/", 40))
	if err := os.MkdirAll(deep, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{filepath.Join(deep, "y"), filepath.Join(deep, "x"), filepath.Join(ws, "x")} {
		if err := os.WriteFile(name, []byte("1"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	begin := time.Now()
	dst := filepath.Join(t.TempDir(), "out.tar.gz")
	pattern := strings.Repeat("**/", 30) + "x"
	n, warnings, err := runner.WriteArtifacts(context.Background(), ws, []string{pattern, strings.Repeat("*/**/", 20) + "y"}, dst)
	if err != nil || len(warnings) != 0 {
		t.Fatalf("%v %q", err, warnings)
	}
	if d := time.Since(begin); d > 5*time.Second {
		t.Errorf("took %s", d)
	}
	want := []string{"x=1", strings.Repeat("d/", 40) + "x=1", strings.Repeat("d/", 40) + "y=1"}
	sort.Strings(want)
	if got := list(t, dst); strings.Join(got, "|") != strings.Join(want, "|") || n != 3 {
		t.Errorf("archive (%d) %q, want %q", n, got, want)
	}
}

func TestWriteArtifactsStopsWithContext(t *testing.T) {
	ws := t.TempDir()
	if err := os.WriteFile(filepath.Join(ws, "a"), []byte("a"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A huge (sparse) file: archiving it takes minutes, so only the
	// context can end it in time.
	f, err := os.Create(filepath.Join(ws, "big"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(100 << 30); err != nil {
		t.Fatal(err)
	}
	_ = f.Close()
	dst := filepath.Join(t.TempDir(), "out.tar.gz")
	for name, patterns := range map[string][]string{"walk": {"**"}, "copy": {"big"}} {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		begin := time.Now()
		_, _, err := runner.WriteArtifacts(ctx, ws, patterns, dst)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s: err %v", name, err)
		}
		if d := time.Since(begin); d > 5*time.Second {
			t.Errorf("%s: stopped after %s", name, d)
		}
		for _, p := range []string{dst, dst + ".tmp"} {
			if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s: %s left: %v", name, p, err)
			}
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := runner.WriteArtifacts(ctx, ws, []string{"a"}, dst); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
}

func list(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var out []string
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if hdr.Typeflag == tar.TypeReg {
			data, _ := io.ReadAll(tr)
			out = append(out, hdr.Name+"="+string(data))
			if hdr.Uid != 0 || hdr.Gid != 0 || hdr.Uname != "" {
				t.Errorf("%s: owner recorded (%d/%d %q)", hdr.Name, hdr.Uid, hdr.Gid, hdr.Uname)
			}
		} else {
			out = append(out, hdr.Name)
		}
	}
	sort.Strings(out)
	return out
}
