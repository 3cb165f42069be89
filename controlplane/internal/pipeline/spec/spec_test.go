package spec

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

const threeJobs = `# CI for the tools project
env:
  GOFLAGS: -mod=readonly
  CGO_ENABLED: 0
defaults:
  image: golang:1.26
  timeout: 20m
  labels: {arch: amd64}

.cache: &cache
  GOCACHE: /tmp/go-cache

jobs:
  build:
    env:
      <<: *cache
      CGO_ENABLED: 1
    steps:
      - go build ./...
      - name: vet
        run: |
          go vet ./...
          echo done
    artifacts:
      paths: [bin/, "dist/*.tar.gz"]
      expire_in: 7d
  test:
    needs: build
    retry: 2
    steps: [go test ./...]
    when:
      paths: ["**/*.go", go.mod]
  deploy:
    image: alpine:3.20
    needs: [build, test]
    timeout: 1h30m
    when:
      events: [push, manual]
      branches: [main, release/*]
    labels: {arch: arm64, env: prod}
    steps:
      - ./deploy.sh
`

func TestParseThreeJobDAG(t *testing.T) {
	p, err := Parse([]byte(threeJobs))
	if err != nil {
		t.Fatal(err)
	}
	want := &Pipeline{Jobs: []Job{
		{
			Name:  "build",
			Image: "golang:1.26",
			Steps: []Step{
				{Name: "go build ./...", Script: "go build ./..."},
				{Name: "vet", Script: "go vet ./...\necho done\n"},
			},
			Env:       map[string]string{"GOFLAGS": "-mod=readonly", "CGO_ENABLED": "1", "GOCACHE": "/tmp/go-cache"},
			When:      When{Events: AllEvents()},
			Timeout:   20 * time.Minute,
			Artifacts: Artifacts{Paths: []string{"bin/", "dist/*.tar.gz"}, ExpireIn: 7 * 24 * time.Hour},
			Labels:    map[string]string{"arch": "amd64"},
		},
		{
			Name:    "test",
			Image:   "golang:1.26",
			Steps:   []Step{{Name: "go test ./...", Script: "go test ./..."}},
			Env:     map[string]string{"GOFLAGS": "-mod=readonly", "CGO_ENABLED": "0"},
			Needs:   []string{"build"},
			When:    When{Events: AllEvents(), Paths: []string{"**/*.go", "go.mod"}},
			Timeout: 20 * time.Minute,
			Retry:   2,
			Labels:  map[string]string{"arch": "amd64"},
		},
		{
			Name:    "deploy",
			Image:   "alpine:3.20",
			Steps:   []Step{{Name: "./deploy.sh", Script: "./deploy.sh"}},
			Env:     map[string]string{"GOFLAGS": "-mod=readonly", "CGO_ENABLED": "0"},
			Needs:   []string{"build", "test"},
			When:    When{Events: []string{"push", "manual"}, Branches: []string{"main", "release/*"}},
			Timeout: 90 * time.Minute,
			Labels:  map[string]string{"arch": "arm64", "env": "prod"},
		},
	}}
	if !reflect.DeepEqual(p, want) {
		t.Fatalf("got\n%+v\nwant\n%+v", p, want)
	}
	if got := names(p.TopoOrder()); got != "build test deploy" {
		t.Errorf("TopoOrder = %s", got)
	}
	if j, ok := p.Job("test"); !ok || j.Retry != 2 {
		t.Errorf("Job(test) = %+v, %v", j, ok)
	}
	if _, ok := p.Job("nope"); ok {
		t.Error("Job(nope) found")
	}
}

func TestParseMinimalJobDefaults(t *testing.T) {
	p, err := Parse([]byte("jobs:\n  a:\n    steps: make\n    artifacts: {paths: out}\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := Job{
		Name:      "a",
		Steps:     []Step{{Name: "make", Script: "make"}},
		When:      When{Events: AllEvents()},
		Timeout:   DefaultTimeout,
		Artifacts: Artifacts{Paths: []string{"out"}, ExpireIn: DefaultExpireIn},
	}
	if !reflect.DeepEqual(p.Jobs[0], want) {
		t.Fatalf("got %+v\nwant %+v", p.Jobs[0], want)
	}
}

func TestParseAccepts(t *testing.T) {
	tests := []struct {
		name, in string
		check    func(t *testing.T, p *Pipeline)
	}{
		{"scalars are kept as written", "env: {V: 1.10, B: on, E: ~, Q: \"\"}\njobs:\n  a:\n    steps: [true, 010]\n", func(t *testing.T, p *Pipeline) {
			j := p.Jobs[0]
			if want := map[string]string{"V": "1.10", "B": "on", "E": "", "Q": ""}; !reflect.DeepEqual(j.Env, want) {
				t.Errorf("env %v", j.Env)
			}
			if j.Steps[0].Script != "true" || j.Steps[1].Script != "010" {
				t.Errorf("steps %+v", j.Steps)
			}
		}},
		{"lists of lists are spliced", ".setup: &setup [a, b]\njobs:\n  x:\n    steps: [*setup, c]\n", func(t *testing.T, p *Pipeline) {
			if got := len(p.Jobs[0].Steps); got != 3 || p.Jobs[0].Steps[2].Script != "c" {
				t.Errorf("steps %+v", p.Jobs[0].Steps)
			}
		}},
		{"merge key into a job, job keys win", ".base: &base {image: a:1, timeout: 5m, steps: [x]}\njobs:\n  j:\n    <<: *base\n    timeout: 7m\n", func(t *testing.T, p *Pipeline) {
			j := p.Jobs[0]
			if j.Image != "a:1" || j.Timeout != 7*time.Minute || j.Steps[0].Script != "x" {
				t.Errorf("job %+v", j)
			}
		}},
		{"merge of a list, earlier wins", ".a: &a {image: a:1}\n.b: &b {image: b:1, retry: 1}\njobs:\n  j:\n    <<: [*a, *b]\n    steps: [x]\n", func(t *testing.T, p *Pipeline) {
			j := p.Jobs[0]
			if j.Image != "a:1" || j.Retry != 1 {
				t.Errorf("job %+v", j)
			}
		}},
		{"hidden jobs are ignored, jobs keep file order", "jobs:\n  .tpl: &t {steps: [x]}\n  z: *t\n  a: *t\n  m: *t\n", func(t *testing.T, p *Pipeline) {
			if got := names(p.Jobs); got != "z a m" {
				t.Errorf("jobs %s", got)
			}
		}},
		{"needs a later job", "jobs:\n  b: {steps: [x], needs: [a]}\n  a: {steps: [x]}\n", func(t *testing.T, p *Pipeline) {
			if got := names(p.TopoOrder()); got != "a b" {
				t.Errorf("order %s", got)
			}
		}},
		{"step name defaults to the first line", "jobs:\n  a:\n    steps:\n      - |\n\n        set -e\n        make\n", func(t *testing.T, p *Pipeline) {
			if got := p.Jobs[0].Steps[0].Name; got != "set -e" {
				t.Errorf("name %q", got)
			}
		}},
		{"long first line is shortened", "jobs:\n  a:\n    steps: [" + strings.Repeat("x", 150) + "]\n", func(t *testing.T, p *Pipeline) {
			if got := p.Jobs[0].Steps[0].Name; len([]rune(got)) != maxStepName || !strings.HasSuffix(got, "…") {
				t.Errorf("name %q", got)
			}
		}},
		{"tabs inside a block scalar are content", "jobs:\n  a:\n    steps:\n      - |\n        cat <<EOF\n        \tindented\n        EOF\n", func(t *testing.T, p *Pipeline) {
			if !strings.Contains(p.Jobs[0].Steps[0].Script, "\tindented") {
				t.Errorf("script %q", p.Jobs[0].Steps[0].Script)
			}
		}},
		{"CRLF line ends and a BOM", "\ufeffjobs:\r\n  a:\r\n    steps: [x]\r\n", func(t *testing.T, p *Pipeline) {
			if p.Jobs[0].Name != "a" {
				t.Errorf("jobs %+v", p.Jobs)
			}
		}},
		{"document markers around one document", "---\njobs: {a: {steps: [x]}}\n...\n", func(t *testing.T, p *Pipeline) {
			if len(p.Jobs) != 1 {
				t.Errorf("jobs %+v", p.Jobs)
			}
		}},
		{"defaults retry and empty job labels", "defaults: {retry: 3, labels: {a: b}}\njobs:\n  a: {steps: [x], labels: {c: \"\"}}\n  b: {steps: [x], retry: 0}\n", func(t *testing.T, p *Pipeline) {
			if p.Jobs[0].Retry != 3 || p.Jobs[1].Retry != 0 {
				t.Errorf("retry %d %d", p.Jobs[0].Retry, p.Jobs[1].Retry)
			}
			if want := map[string]string{"a": "b", "c": ""}; !reflect.DeepEqual(p.Jobs[0].Labels, want) {
				t.Errorf("labels %v", p.Jobs[0].Labels)
			}
		}},
		{"durations with days", "jobs:\n  a: {steps: [x], timeout: 24h, artifacts: {paths: [a], expire_in: 1d12h}}\n", func(t *testing.T, p *Pipeline) {
			if p.Jobs[0].Timeout != 24*time.Hour || p.Jobs[0].Artifacts.ExpireIn != 36*time.Hour {
				t.Errorf("job %+v", p.Jobs[0])
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, p)
		})
	}
}

// TestParseErrors asserts the whole message list: positions and wording.
func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"unknown job key with suggestion", "jobs:\n  build:\n    stpes: [make]\n", []string{
			`line 3, column 5: job "build": unknown key "stpes" (did you mean "steps"?)`,
		}},
		{"unknown keys everywhere", `job: {}
jobs:
  a:
    steps: [{run: x, nam: y}]
    when: {branch: [main], event: [push]}
    artifacts: {paths: [a], expires: 1d}
defaults: {imgae: x}
`, []string{
			`line 1, column 1: unknown top-level key "job" (did you mean "jobs"?); the keys are jobs, env and defaults (keys starting with "." are ignored, a place for anchors)`,
			`line 4, column 22: job "a": step 1: unknown key "nam" (did you mean "name"?)`,
			`line 5, column 12: job "a": when: unknown key "branch" (did you mean "branches"?)`,
			`line 5, column 28: job "a": when: unknown key "event" (did you mean "events"?)`,
			`line 6, column 29: job "a": artifacts: unknown key "expires" (did you mean "expire_in"?)`,
			`line 7, column 12: defaults: unknown key "imgae" (did you mean "image"?)`,
		}},
		{"duplicate job", "jobs:\n  a: {steps: [x]}\n  b: {steps: [x]}\n  a: {steps: [y]}\n", []string{
			`line 4, column 3: duplicate job "a" (first defined at line 2)`,
		}},
		{"duplicate keys in a job and in env", "jobs:\n  a:\n    steps: [x]\n    env: {A: 1, A: 2}\n    steps: [y]\n", []string{
			`line 4, column 17: job "a": duplicate key "A" (first defined at line 4)`,
			`line 5, column 5: job "a": duplicate key "steps" (first defined at line 3)`,
		}},
		{"unknown need", "jobs:\n  build: {steps: [x]}\n  deploy: {steps: [x], needs: [biuld]}\n", []string{
			`line 3, column 32: job "deploy" needs "biuld", which is not a job in this file (did you mean "build"?)`,
		}},
		{"self need and need twice", "jobs:\n  a: {steps: [x]}\n  b: {steps: [x], needs: [b, a, a]}\n", []string{
			`line 3, column 27: job "b" needs itself`,
			`line 3, column 33: job "b": needs "a" twice`,
		}},
		{"cycle", "jobs:\n  x: {steps: [s]}\n  c: {steps: [s], needs: [a]}\n  a: {steps: [s], needs: [b]}\n  b: {steps: [s], needs: [x, c]}\n", []string{
			`line 3, column 3: job "c": needs form a cycle: c → a → b → c`,
		}},
		{"two cycles", "jobs:\n  a: {steps: [s], needs: [b]}\n  b: {steps: [s], needs: [a]}\n  c: {steps: [s], needs: [d]}\n  d: {steps: [s], needs: [c]}\n", []string{
			`line 2, column 3: job "a": needs form a cycle: a → b → a`,
			`line 4, column 3: job "c": needs form a cycle: c → d → c`,
		}},
		{"empty steps", "jobs:\n  a:\n    steps: []\n  b:\n    image: x\n  c:\n  d:\n    steps: ['  ', {run: ''}, {name: n}]\n", []string{
			`line 3, column 5: job "a": "steps" is empty: list at least one command`,
			`line 4, column 3: job "b" has no "steps": list the commands it runs`,
			`line 6, column 3: job "c" is empty: a job needs "steps"`,
			`line 8, column 13: job "d": step 1 is an empty command`,
			`line 8, column 25: job "d": step 2 is an empty command`,
			`line 8, column 30: job "d": step 3 has no "run": write the command under "run"`,
		}},
		{"wrong kinds", "jobs:\n  a:\n    steps: {x: y}\n    env: [A]\n    when: push\n    needs: {a: b}\n    image: [x]\n  b: [x]\n", []string{
			`line 3, column 12: job "a": "steps" must be a list, not a mapping`,
			`line 4, column 10: job "a": "env" must be a mapping, not a list`,
			`line 5, column 11: job "a": "when" must be a mapping, not a string`,
			`line 6, column 12: job "a": "needs" must be a list, not a mapping`,
			`line 7, column 12: job "a": "image" must be a string, not a list`,
			`line 8, column 6: job "b" must be a mapping with "steps", not a list`,
		}},
		{"not a mapping", "- jobs\n", []string{
			`line 1, column 1: the file must be a mapping with a "jobs:" key, not a list`,
		}},
		{"no jobs key", "env: {A: b}\n", []string{
			`line 1, column 1: no "jobs:" key: define the pipeline's jobs under a top-level "jobs:" mapping`,
		}},
		{"no jobs", "jobs:\n", []string{`line 1, column 1: "jobs" is empty: define at least one job`}},
		{"only hidden jobs", "jobs: {.a: {steps: [x]}}\n", []string{`line 1, column 1: "jobs" is empty: define at least one job`}},
		{"bad job names", "jobs:\n  Build: {steps: [x]}\n  -x: {steps: [x]}\n  " + strings.Repeat("a", 70) + ": {steps: [x]}\n", []string{
			`line 2, column 3: job name "Build": use 1-63 lowercase letters, digits, '_', '.' or '-', starting with a letter or digit`,
			`line 3, column 3: job name "-x": use 1-63 lowercase letters, digits, '_', '.' or '-', starting with a letter or digit`,
			`line 4, column 3: job name "` + strings.Repeat("a", 64) + `…": use 1-63 lowercase letters, digits, '_', '.' or '-', starting with a letter or digit`,
		}},
		{"env names and values", "env: {1A: x, HEARTH_TOKEN: y, hearth_x: z}\njobs:\n  a: {steps: [x], env: {B-C: x, D: [1], E: {f: g}}}\n  b: {steps: [x], env: {UID: 1}}\n", []string{
			`line 1, column 7: env name "1A": use letters, digits and '_', not starting with a digit`,
			`line 1, column 14: env name "HEARTH_TOKEN": names starting with HEARTH_ are reserved for the variables Hearth sets`,
			`line 1, column 31: env name "hearth_x": names starting with HEARTH_ are reserved for the variables Hearth sets`,
			`line 3, column 25: job "a": env name "B-C": use letters, digits and '_', not starting with a digit`,
			`line 3, column 36: job "a": env D must be a string, number or true/false, not a list`,
			`line 3, column 44: job "a": env E must be a string, number or true/false, not a mapping`,
			`line 4, column 25: job "b": env name "UID" is read-only in bash`,
		}},
		{"when", "jobs:\n  a:\n    steps: [x]\n    when:\n      events: [psuh, tag, tag]\n      branches: [refs/heads/main, 'a**', '/x', 'a//b', '[z']\n      tags: []\n      paths: ~\n", []string{
			`line 5, column 16: job "a": when: unknown event "psuh" (did you mean "push"?); the events are push, merge_request, tag, manual, schedule`,
			`line 5, column 27: job "a": when: event "tag" listed twice`,
			`line 6, column 18: job "a": when: branch pattern "refs/heads/main" must be a branch or tag name: drop the refs/heads/ or refs/tags/`,
			`line 6, column 35: job "a": when: branch pattern "a**" uses ** inside a segment; ** must be a whole segment, like docs/** or **/*.md`,
			`line 6, column 42: job "a": when: branch pattern "/x" must be relative: drop the leading /`,
			`line 6, column 48: job "a": when: branch pattern "a//b" has an empty segment (//)`,
			`line 6, column 56: job "a": when: branch pattern "[z" is not a valid glob (check [ ] and \)`,
			`line 7, column 7: job "a": when: "tags" is empty: leave it out to match every tag`,
			`line 8, column 7: job "a": when: "paths" is empty: leave it out to match every path`,
		}},
		{"empty events", "jobs:\n  a: {steps: [x], when: {events: []}}\n", []string{
			`line 2, column 26: job "a": when: "events" is empty: leave it out to run on every event`,
		}},
		{"timeout and retry", "defaults: {timeout: 25h, retry: -1}\njobs:\n  a: {steps: [x], timeout: 600, retry: 4}\n  b: {steps: [x], timeout: 0s, retry: '1'}\n  c: {steps: [x], timeout: -5m, retry: 1.5}\n", []string{
			`line 1, column 21: defaults: timeout "25h" is out of range: it must be between 1s and 24h`,
			`line 1, column 33: defaults: retry must be a whole number from 0 to 3, not "-1"`,
			`line 3, column 28: job "a": timeout "600" is not a duration: write it like 90s, 10m, 1h30m or 7d`,
			`line 3, column 40: job "a": retry must be a whole number from 0 to 3, not "4"`,
			`line 4, column 28: job "b": timeout "0s" is out of range: it must be between 1s and 24h`,
			`line 4, column 39: job "b": retry must be a whole number from 0 to 3, not "1"`,
			`line 5, column 28: job "c": timeout "-5m" is not a duration: write it like 90s, 10m, 1h30m or 7d`,
			`line 5, column 40: job "c": retry must be a whole number from 0 to 3, not "1.5"`,
		}},
		{"artifacts", "jobs:\n  a: {steps: [x], artifacts: {paths: [/etc/passwd, ../up, a/../../b, ok/], expire_in: 400d}}\n  b: {steps: [x], artifacts: {expire_in: 1d}}\n  c: {steps: [x], artifacts: [x]}\n", []string{
			`line 2, column 39: job "a": artifacts: artifact pattern "/etc/passwd" must be relative: drop the leading /`,
			`line 2, column 52: job "a": artifacts: artifact pattern "../up" must stay inside the workspace: no .. segments`,
			`line 2, column 59: job "a": artifacts: artifact pattern "a/../../b" must stay inside the workspace: no .. segments`,
			`line 2, column 87: job "a": artifacts: expire_in "400d" is out of range: it must be between 1m and 365d`,
			`line 3, column 19: job "b": artifacts has no "paths": list the files to keep`,
			`line 4, column 30: job "c": "artifacts" must be a mapping, not a list`,
		}},
		{"labels", "jobs:\n  a: {steps: [x], labels: {-bad: x, ok: 'a b', n: [1]}}\n", []string{
			`line 2, column 28: job "a": label key "-bad": use 1-63 letters, digits, '.', '_', '/' or '-', starting and ending with a letter or digit`,
			`line 2, column 41: job "a": label ok: the value may hold at most 63 letters, digits, '.', '_', '/' or '-'`,
			`line 2, column 51: job "a": label n must be a string, not a list`,
		}},
		{"image", "jobs:\n  a: {steps: [x], image: ''}\n  b: {steps: [x], image: 'a b'}\n", []string{
			`line 2, column 26: job "a": image "": write an image reference like golang:1.26 (at most 512 characters, no spaces)`,
			`line 3, column 26: job "b": image "a b": write an image reference like golang:1.26 (at most 512 characters, no spaces)`,
		}},
		{"step shapes", "jobs:\n  a:\n    steps:\n      - [[[[x]]]]\n      - {name: \"a\\nb\", run: x}\n      - !!binary aGk=\n      - ~\n      - \"a\\0b\"\n", []string{
			`line 4, column 12: job "a": "steps": lists nest more than 4 deep`,
		}},
		{"step values", "jobs:\n  a:\n    steps:\n      - {name: \"a\\nb\", run: x}\n      - !!binary aGk=\n      - ~\n      - \"a\\0b\"\n      - {name: [n], run: {a: b}}\n", []string{
			`line 4, column 16: job "a": step 1: a step name is one line of at most 100 characters`,
			`line 5, column 9: job "a": step 2: the tag !!binary is not supported here`,
			`line 6, column 9: job "a": step 3 must be a string, not empty`,
			`line 7, column 9: job "a": step 4 contains a NUL character`,
			`line 8, column 16: job "a": step 5 "name" must be a string, not a list`,
			`line 8, column 26: job "a": step 5 "run" must be a string, not a mapping`,
		}},
		{"non-string keys", "jobs:\n  ? [a]\n  : {steps: [x]}\n  ~: {steps: [x]}\n", []string{
			`line 2, column 5: keys must be strings, not a list`,
			`line 4, column 3: keys must be strings, not empty`,
		}},
		{"bad merge", "jobs:\n  a:\n    <<: x\n    steps: [y]\n  b:\n    <<: [x]\n    steps: [y]\n", []string{
			`line 3, column 9: job "a": a merge key (<<) takes a mapping or a list of mappings, not a string`,
			`line 6, column 10: job "b": a merge key (<<) takes a mapping or a list of mappings, not a list holding a string`,
		}},
		{"merge into itself", "jobs:\n  a: &a {<<: *a, steps: [x]}\n", []string{
			`line 2, column 6: job "a": merge keys (<<) nest more than 16 deep`,
		}},
		{"unknown alias", "jobs:\n  a: {steps: *nope}\n", []string{
			`line 2, column 14: invalid YAML: alias *nope refers to no anchor (define &nope before using it)`,
		}},
		{"syntax: unclosed flow list", "jobs:\n  a:\n    steps: [x\n", []string{
			`line 3: invalid YAML: did not find expected ',' or ']' (check the indentation and brackets around here)`,
		}},
		{"syntax: value with colon", "jobs:\n  a:\n    image: a: b\n", []string{
			`line 3: invalid YAML: mapping values are not allowed in this context (quote a value that contains ": ", or check the indentation)`,
		}},
		{"tab indentation", "jobs:\n\ta:\n    steps: [x]\n", []string{
			`line 2, column 1: invalid YAML: a tab indents this line; YAML allows only spaces for indentation`,
		}},
		{"tab after spaces", "jobs:\n  a:\n    steps: x\n   \tb: 1\n", []string{
			`line 4, column 4: invalid YAML: a tab indents this line; YAML allows only spaces for indentation`,
		}},
		{"two documents", "jobs: {a: {steps: [x]}}\n---\njobs: {b: {steps: [x]}}\n", []string{
			`line 2, column 1: the file holds more than one YAML document ("---"); put everything in one`,
		}},
		{"empty file", "", []string{`line 1, column 1: the file is empty: it needs a "jobs:" mapping`}},
		{"only comments", "# nothing\n\n", []string{`line 1, column 1: the file is empty: it needs a "jobs:" mapping`}},
		{"null document", "~\n", []string{`line 1, column 1: the file is empty: it needs a "jobs:" mapping`}},
		{"invalid UTF-8", "jobs:\n  a: {steps: [\"caf\xe9\"]}\n", []string{
			`line 2, column 19: the file is not valid UTF-8 (byte 0xE9); save it as UTF-8`,
		}},
		{"UTF-16", "\xff\xfej\x00o\x00b\x00s\x00", []string{`line 1, column 1: the file is UTF-16; save it as UTF-8`}},
		{"control character", "jobs:\n  a: {steps: [\"é\x07\"]}\n", []string{
			`line 2, column 17: control character U+0007 is not allowed in YAML; write it as an escape in a double-quoted string`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse([]byte(tt.in))
			if err == nil {
				t.Fatalf("no error; got %+v", p)
			}
			if p != nil {
				t.Errorf("a pipeline with the error: %+v", p)
			}
			var list *ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("error %T, want *ErrorList", err)
			}
			var got []string
			for _, e := range list.Errors {
				got = append(got, e.Error())
				if e.Line < 1 {
					t.Errorf("no line: %v", e)
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if err.Error() != strings.Join(tt.want, "\n") {
				t.Errorf("Error() = %q", err.Error())
			}
		})
	}
}

func TestParseLimits(t *testing.T) {
	job := func(i int) string { return fmt.Sprintf("  j%d: {steps: [x]}\n", i) }
	tests := []struct {
		name string
		in   string
		want string // the first error
		n    int    // how many errors
	}{
		{"10 MB file", "jobs:\n" + strings.Repeat("# padding padding padding\n", 10<<20/26+1),
			fmt.Sprintf("the file is %d bytes; .hearth.yml may be at most 1 MiB (1048576 bytes)", 6+26*(10<<20/26+1)), 1},
		{"10,000 jobs", "jobs:\n" + repeat(10_000, job), `line 1, column 1: 10000 jobs; a pipeline may have at most 500`, 1},
		{"501 jobs", "jobs:\n" + repeat(501, job), `line 1, column 1: 501 jobs; a pipeline may have at most 500`, 1},
		{"101 steps", "jobs:\n  a:\n    steps:\n" + strings.Repeat("      - x\n", 101), `line 3, column 5: job "a": more than 100 steps; split the job`, 1},
		{"script over 64 KiB", "jobs:\n  a:\n    steps: [" + strings.Repeat("x", 64<<10+1) + "]\n", `line 3, column 13: job "a": step 1 is 65537 bytes; a script may be at most 64 KiB`, 1},
		{"101 env vars", "env:\n" + repeat(101, func(i int) string { return fmt.Sprintf("  V%d: x\n", i) }) + "jobs: {a: {steps: [x]}}\n", `line 1, column 1: 101 environment variables; the limit is 100`, 1},
		{"101 env vars merged", "env:\n" + repeat(60, func(i int) string { return fmt.Sprintf("  V%d: x\n", i) }) + "jobs:\n  a:\n    steps: [x]\n    env:\n" + repeat(41, func(i int) string { return fmt.Sprintf("      W%d: x\n", i) }),
			`line 65, column 5: job "a" has 101 environment variables with the top-level env; the limit is 100`, 1},
		{"33 labels", "jobs:\n  a:\n    steps: [x]\n    labels:\n" + repeat(33, func(i int) string { return fmt.Sprintf("      l%d: x\n", i) }), `line 4, column 5: job "a": 33 labels; the limit is 32`, 1},
		{"101 branch patterns", "jobs:\n  a:\n    steps: [x]\n    when:\n      branches:\n" + strings.Repeat("        - x\n", 101), `line 5, column 7: job "a": when: more than 100 branch patterns`, 1},
		{"errors are capped", "jobs:\n" + repeat(30, func(i int) string { return fmt.Sprintf("  J%d: {steps: [x]}\n", i) }),
			`line 2, column 3: job name "J0": use 1-63 lowercase letters, digits, '_', '.' or '-', starting with a letter or digit`, MaxErrors},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			_, err := Parse([]byte(tt.in))
			var list *ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("error %v", err)
			}
			if got := list.Errors[0].Error(); got != tt.want {
				t.Errorf("first error\n got %s\nwant %s", got, tt.want)
			}
			if len(list.Errors) != tt.n {
				t.Errorf("%d errors: %v", len(list.Errors), err)
			}
			// Generous for -race on a slow machine; the point is no
			// quadratic blow-up on the large inputs.
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

func TestParseErrorCapCountsTheRest(t *testing.T) {
	in := "jobs:\n" + repeat(30, func(i int) string { return fmt.Sprintf("  J%d: {steps: [x]}\n", i) })
	_, err := Parse([]byte(in))
	var list *ErrorList
	if !errors.As(err, &list) || len(list.Errors) != MaxErrors || list.Omitted != 10 {
		t.Fatalf("%#v", err)
	}
	if !strings.HasSuffix(err.Error(), "\n(and 10 more problems)") {
		t.Errorf("Error() ends %q", err.Error()[len(err.Error())-40:])
	}
	var first *Error
	if !errors.As(err, &first) || first.Line != 2 || first.Column != 3 {
		t.Errorf("errors.As *Error: %+v", first)
	}
}

// TestParseAliasBombs: a small file must not expand into a huge one.
func TestParseAliasBombs(t *testing.T) {
	mergeBomb := func() string {
		var b strings.Builder
		b.WriteString(".l0: &l0 {A: x}\n")
		for i := 1; i <= 15; i++ {
			fmt.Fprintf(&b, ".l%d: &l%d {<<: [*l%d, *l%d, *l%d, *l%d]}\n", i, i, i-1, i-1, i-1, i-1)
		}
		b.WriteString("jobs:\n  a: {steps: [x], env: *l15}\n")
		return b.String()
	}
	bigScripts := func() string {
		var b strings.Builder
		fmt.Fprintf(&b, ".s: &s [%s]\njobs:\n", strings.Repeat("x", 60<<10))
		for i := range 200 {
			fmt.Fprintf(&b, "  j%d: {steps: [*s, *s]}\n", i)
		}
		return b.String()
	}
	listBomb := func() string {
		var b strings.Builder
		b.WriteString(".l0: &l0 [a, a, a, a, a, a, a, a, a, a]\n")
		for i := 1; i <= 3; i++ {
			fmt.Fprintf(&b, ".l%d: &l%d [*l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
		}
		b.WriteString("jobs:\n")
		for i := range 500 {
			fmt.Fprintf(&b, "  j%d: {steps: *l3, needs: *l3}\n", i)
		}
		return b.String()
	}
	tests := []struct{ name, in, want string }{
		{"merge keys doubling", mergeBomb(), "once aliases and merge keys are resolved"},
		{"one script aliased 400 times", bigScripts(), "once aliases and merge keys are resolved"},
		{"lists of lists", listBomb(), `job "j0": more than 100 steps`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.in) > MaxFileBytes {
				t.Fatalf("input %d bytes", len(tt.in))
			}
			start := time.Now()
			_, err := Parse([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v", err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"10m", 10 * time.Minute, true},
		{"1h30m", 90 * time.Minute, true},
		{"7d", 7 * 24 * time.Hour, true},
		{"1d12h", 36 * time.Hour, true},
		{"0d", 0, true},
		{"", 0, false},
		{"10", 0, false},
		{"-1h", 0, false},
		{"+1h", 0, false},
		{"d", 0, false},
		{"1.5d", 0, false},
		{"01d", 0, false},
		{"1d-1h", 0, false},
		{"1h1d", 0, false},
		{"100001d", 0, false},
		{"1 week", 0, false},
	}
	for _, tt := range tests {
		got, err := parseDuration(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseDuration(%q) = %v, %v", tt.in, got, err)
		}
	}
}

func TestSuggest(t *testing.T) {
	tests := []struct{ word, want string }{
		{"stpes", "steps"},
		{"Steps", "steps"},
		{"imag", "image"},
		{"env", "envs"},
		{"enc", ""}, // one letter off a three-letter word
		{"x", ""},
		{"timeouts", "timeout"},
		{"labels", "labels"},
		{"completely", ""},
	}
	for _, tt := range tests {
		_, got := suggestion(tt.word, []string{"image", "steps", "envs", "timeout", "labels"})
		if got != tt.want {
			t.Errorf("suggestion(%q) = %q, want %q", tt.word, got, tt.want)
		}
	}
}

func names(jobs []Job) string {
	s := make([]string, len(jobs))
	for i, j := range jobs {
		s[i] = j.Name
	}
	return strings.Join(s, " ")
}

func repeat(n int, f func(int) string) string {
	var b strings.Builder
	for i := range n {
		b.WriteString(f(i))
	}
	return b.String()
}
