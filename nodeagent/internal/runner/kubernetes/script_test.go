package kubernetes

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/hearth-dev/hearth/nodeagent/internal/podjob"
	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
)

// trickySecret has what a shell could mangle: quotes, '$', backquotes,
// backslashes, blanks at both ends, a value ending in x (the script's
// own end mark), and trailing newlines, which $(...) would drop.
const trickySecret = " it's \"quoted\" $HOME $(id) `id` \\ back\\\\slash\\n\n\tline two '\\'' \u00e9 x\n\n"

func secretJob() *agentv1.RunJob {
	job := testJob("job-secrets")
	job.CloneUrl = ""
	job.Env = map[string]string{"GREETING": "hello", "OVERRIDDEN": "from env", "HEARTH_SECRETS_DIR": "/from/env"}
	job.SecretEnv = map[string]string{"MY_SECRET": trickySecret, "OVERRIDDEN": "v4lue-override", "EMPTY": "", "X_ONLY": "x"}
	job.Files = map[string][]byte{"db_password": []byte("f1le-secret\n")}
	job.Steps = []*agentv1.Step{
		{Name: "one", Script: `printf '<%s>\n' "$MY_SECRET" "$OVERRIDDEN" "$EMPTY" "$X_ONLY" "$GREETING" "${__hearth_v0-unset}"; cat "$HEARTH_SECRETS_DIR/db_password"`},
		{Name: "two", Script: `printf '<%s>\n' "$MY_SECRET"`},
	}
	return job
}

// runScript runs the job container's script with shell, after job-init
// wrote the payload into a directory standing in for the memory volume:
// the pod's paths are rewritten to temporary directories, as a node's
// mounts would map them.
func runScript(t *testing.T, shell []string, job *agentv1.RunJob, pay podjob.Payload) (string, error) {
	t.Helper()
	ws, run := t.TempDir(), t.TempDir()
	line, err := json.Marshal(pay)
	if err != nil {
		t.Fatal(err)
	}
	if err := podjob.Init(context.Background(), []string{"--workspace", ws, "--run-dir", run}, bytes.NewReader(append(line, '\n')), io.Discard); err != nil {
		t.Fatal(err)
	}
	paths := strings.NewReplacer(workspacePath, ws, runPath, run)
	env := []string{"PATH=" + os.Getenv("PATH")}
	for _, kv := range jobEnv(job) {
		env = append(env, kv[0]+"="+paths.Replace(kv[1]))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, shell[0], append(shell[1:], "-c", paths.Replace(stepsScript(job, "n0nce")))...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	return strings.ReplaceAll(string(out), run, runPath), err
}

// TestStepsScriptExportsSecretsExactly: the job container's script, run by
// each shell at hand (dash, busybox sh, bash), exports every secret
// variable from the memory volume with its exact value (trailing newlines
// included) to every step, over the job's env of the same name, and
// HEARTH_SECRETS_DIR names the files.
func TestStepsScriptExportsSecretsExactly(t *testing.T) {
	job := secretJob()
	want := "##hearth:n0nce:step:1##\n<" + trickySecret + ">\n<v4lue-override>\n<>\n<x>\n<hello>\n<unset>\nf1le-secret\n##hearth:n0nce:exit:1:0##\n" +
		"##hearth:n0nce:step:2##\n<" + trickySecret + ">\n##hearth:n0nce:exit:2:0##\n"
	shells := 0
	for _, shell := range [][]string{{"dash"}, {"busybox", "sh"}, {"bash"}} {
		if _, err := exec.LookPath(shell[0]); err != nil {
			continue
		}
		shells++
		t.Run(shell[0], func(t *testing.T) {
			out, err := runScript(t, shell, job, podjob.Payload{Env: job.GetSecretEnv(), Files: job.GetFiles()})
			if err != nil || out != want {
				t.Errorf("%v; output\n%q\nwant\n%q", err, out, want)
			}
		})
	}
	if shells == 0 {
		t.Fatal("no shell to run the script with")
	}
}

// TestStepsScriptSurvivesHostileNames: secret variables named PATH and IFS
// change neither how the script reads the others nor how it runs the
// steps. (The steps' shells do not import IFS: it is not printed.)
func TestStepsScriptSurvivesHostileNames(t *testing.T) {
	job := testJob("job-hostile")
	job.Env = nil
	job.SecretEnv = map[string]string{"IFS": " -ce/", "PATH": "/nonexistent", "ZZ": "v4lue"}
	job.Steps = []*agentv1.Step{{Name: "one", Script: `printf '<%s>\n' "$ZZ" "$PATH"`}}
	out, err := runScript(t, []string{"sh"}, job, podjob.Payload{Env: job.GetSecretEnv()})
	if want := "##hearth:n0nce:step:1##\n<v4lue>\n</nonexistent>\n##hearth:n0nce:exit:1:0##\n"; err != nil || out != want {
		t.Errorf("%v; output\n%q\nwant\n%q", err, out, want)
	}
}

// TestStepsScriptStopsWithoutASecret: a secret variable whose file is
// missing (the checkout never got its payload) fails the job before any
// step runs, naming the variable.
func TestStepsScriptStopsWithoutASecret(t *testing.T) {
	job := secretJob()
	out, err := runScript(t, []string{"sh"}, job, podjob.Payload{Env: map[string]string{"MY_SECRET": "v4lue"}})
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("exit %v, want 1; output %q", err, out)
	}
	if !strings.Contains(out, "hearth: cannot read the secret variable EMPTY from /hearth/run/env/EMPTY\n") || strings.Contains(out, "step:1") {
		t.Errorf("output %q", out)
	}
}

// TestPodSpecHoldsNoSecret: neither the pod object (its spec, env, args,
// annotations) nor the adoption record holds a secret's value, in any
// encoding; the script only names the variables, and the job container
// is told where the files are.
func TestPodSpecHoldsNoSecret(t *testing.T) {
	r := &Runner{o: Options{Namespace: "ns", Agent: "a", HelperImage: "hearth/helper:test", DefaultImage: "busybox", HelperCommand: []string{"/hearth-agent"}, KillGrace: time.Second}}
	job := secretJob()
	job.SecretEnv["LONG_ENOUGH"] = "v4lue-in-the-pod"
	pod, err := r.buildPod(job, "n0nce", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(pod)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"v4lue-in-the-pod", "v4lue-override", "f1le-secret", "line two", base64.StdEncoding.EncodeToString([]byte("v4lue-in-the-pod"))[:12], base64.StdEncoding.EncodeToString([]byte("f1le-secret"))[:12]} {
		if bytes.Contains(raw, []byte(v)) {
			t.Errorf("the pod object holds %q: %s", v, raw)
		}
	}
	c := pod.Spec.Containers[0]
	if !strings.Contains(c.Command[2], ` MY_SECRET="${__hearth_v`) || !strings.Contains(c.Command[2], "/hearth/run/env/MY_SECRET") {
		t.Errorf("the script does not export MY_SECRET from the memory volume:\n%s", c.Command[2])
	}
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	if env["HEARTH_SECRETS_DIR"] != "/hearth/run/files" || env["OVERRIDDEN"] != "from env" {
		t.Errorf("job container env %v", env)
	}
	rec := &agentv1.RunJob{}
	if err := protojson.Unmarshal([]byte(pod.Annotations[AnnotationJob]), rec); err != nil {
		t.Fatal(err)
	}
	if len(rec.GetSecretEnv()) != 0 || len(rec.GetFiles()) != 0 || rec.GetCloneToken() != "" || rec.GetJobId() != job.GetJobId() {
		t.Errorf("adoption record %v", rec)
	}
	if strings.Contains(pod.Annotations[AnnotationJob], "MY_SECRET") {
		t.Errorf("the adoption record names a secret: %s", pod.Annotations[AnnotationJob])
	}

	// A job without files is not told about a secrets directory.
	job.Files = nil
	pod, err = r.buildPod(job, "n0nce", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range pod.Spec.Containers[0].Env {
		if e.Name == "HEARTH_SECRETS_DIR" && e.Value != "/from/env" {
			t.Errorf("HEARTH_SECRETS_DIR=%s for a job without files", e.Value)
		}
	}
}
