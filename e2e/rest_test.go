package e2e

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
)

// rest calls the REST API with the admin's token (token "" : anonymous)
// and decodes a JSON answer into out (nil: the body is returned).
func (w *world) rest(t *testing.T, method, path, token, body string, out any) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, w.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil && res.StatusCode == http.StatusOK {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %v\n%s", method, path, err, raw)
		}
	}
	return res.StatusCode, raw
}

// TestRESTRoutesAndArtifacts: the REST routes of issue 5 against a real
// agent, and an artifact uploaded by the agent, listed and downloaded.
func TestRESTRoutesAndArtifacts(t *testing.T) {
	w := newWorld(t)
	w.startAgent(t, 2)
	sha := w.push(t, "main", map[string]string{".hearth.yml": `jobs:
  build:
    steps:
      - mkdir -p out && echo "built $HEARTH_COMMIT_SHA with $FLAVOUR" > out/result.txt
    artifacts:
      paths: [out/]
`})
	p := w.waitPipeline(t, time.Minute, func(p *hearthv1.Pipeline) bool { return p.GetCommitSha() == sha && finished(p) })
	if p.GetState() != hearthv1.PipelineState_PIPELINE_STATE_SUCCESS {
		t.Fatalf("pipeline %s: %s", state(p.GetState()), jobNamed(t, p, "build").GetMessage())
	}

	var list struct {
		Pipelines []struct {
			ID, CommitSha, State string
		}
	}
	if code, raw := w.rest(t, http.MethodGet, "/api/v1/projects/admin/demo/pipelines", w.admin, "", &list); code != http.StatusOK ||
		len(list.Pipelines) != 1 || list.Pipelines[0].ID != p.GetId() || list.Pipelines[0].State != "PIPELINE_STATE_SUCCESS" {
		t.Fatalf("GET pipelines: %d %s", code, raw)
	}
	var got struct {
		Pipeline struct {
			ID   string
			Jobs []struct{ ID, Name, State string }
		}
	}
	if code, raw := w.rest(t, http.MethodGet, "/api/v1/pipelines/"+p.GetId(), w.admin, "", &got); code != http.StatusOK ||
		len(got.Pipeline.Jobs) != 1 || got.Pipeline.Jobs[0].Name != "build" {
		t.Fatalf("GET pipeline: %d %s", code, raw)
	}
	jobID := got.Pipeline.Jobs[0].ID

	var arts struct {
		Artifacts []struct {
			ID, Name  string
			SizeBytes string
		}
	}
	if code, raw := w.rest(t, http.MethodGet, "/api/v1/jobs/"+jobID+"/artifacts", w.admin, "", &arts); code != http.StatusOK || len(arts.Artifacts) != 1 {
		t.Fatalf("GET artifacts: %d %s", code, raw)
	}
	path := "/api/v1/artifacts/" + arts.Artifacts[0].ID + "/download"
	if code, _ := w.rest(t, http.MethodGet, path, "", "", nil); code != http.StatusUnauthorized && code != http.StatusNotFound {
		t.Fatalf("anonymous download of a private project's artifact: %d", code)
	}
	code, archive := w.rest(t, http.MethodGet, path, w.admin, "", nil)
	if code != http.StatusOK {
		t.Fatalf("download: %d %s", code, archive)
	}
	if content := fileInTarGz(t, archive, "out/result.txt"); content != "built "+sha+" with \n" {
		t.Fatalf("artifact content %q", content)
	}

	// Run one by hand with a variable, then cancel it (REST).
	var run struct{ Pipeline struct{ ID, Event string } }
	if code, raw := w.rest(t, http.MethodPost, "/api/v1/projects/admin/demo/pipelines", w.admin,
		`{"ref":"main","variables":{"FLAVOUR":"vanilla"}}`, &run); code != http.StatusOK || run.Pipeline.Event != "manual" {
		t.Fatalf("POST pipelines: %d %s", code, raw)
	}
	manual := w.waitFinished(t, run.Pipeline.ID, time.Minute)
	if manual.GetVariables()["FLAVOUR"] != "vanilla" || manual.GetState() != hearthv1.PipelineState_PIPELINE_STATE_SUCCESS {
		t.Fatalf("manual pipeline %s, variables %v", state(manual.GetState()), manual.GetVariables())
	}
	if code, raw := w.rest(t, http.MethodPost, "/api/v1/pipelines/"+run.Pipeline.ID+"/cancel", w.admin, `{}`, nil); code != http.StatusOK {
		t.Fatalf("POST cancel of a finished pipeline: %d %s", code, raw)
	}
	if code, raw := w.rest(t, http.MethodPost, "/api/v1/pipelines/"+run.Pipeline.ID+"/cancel", "", `{}`, nil); code != http.StatusUnauthorized {
		t.Fatalf("anonymous cancel: %d %s", code, raw)
	}
}

// fileInTarGz returns the content of name in a tar.gz archive.
func fileInTarGz(t *testing.T, archive []byte, name string) string {
	t.Helper()
	gz, err := gzip.NewReader(strings.NewReader(string(archive)))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			t.Fatalf("%s is not in the artifact", name)
		}
		if err != nil {
			t.Fatal(err)
		}
		if strings.TrimPrefix(h.Name, "./") == name {
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
	}
}
