package spec

import (
	"testing"
)

func TestMatchGlob(t *testing.T) {
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"main", "main", true},
		{"main", "mainline", false},
		{"release/*", "release/1.0", true},
		{"release/*", "release/1/x", false},
		{"release/*", "release", false},
		{"release/**", "release/1/x", true},
		{"release/**", "release", true},
		{"release/", "release/1/x", true},
		{"feat-?", "feat-a", true},
		{"feat-?", "feat-ab", false},
		{"v[0-9]*", "v1.2.3", true},
		{"v[0-9]*", "vx", false},
		{"*", ".hidden", true},
		{"*", "a/b", false},
		{"**", "a/b/c", true},
		{"**", "", true},
		{"**/*.go", "main.go", true},
		{"**/*.go", "cmd/hearth/main.go", true},
		{"**/*.go", "main.go.txt", false},
		{"docs/**/*.md", "docs/a.md", true},
		{"docs/**/*.md", "docs/a/b/c.md", true},
		{"docs/**/*.md", "src/docs/a.md", false},
		{"**/testdata/**", "a/testdata/x/y", true},
		{"**/testdata/**", "testdata", true},
		{"a/**/b/**/c", "a/x/b/y/z/c", true},
		{"a/**/b/**/c", "a/c", false},
		{"go.mod", "sub/go.mod", false},
		{"[", "[", false}, // malformed: matches nothing
	}
	for _, tt := range tests {
		if got := MatchGlob(tt.pattern, tt.name); got != tt.want {
			t.Errorf("MatchGlob(%q, %q) = %v, want %v", tt.pattern, tt.name, got, tt.want)
		}
	}
}

func TestMatches(t *testing.T) {
	all := When{}
	tests := []struct {
		name string
		when When
		ev   Event
		want bool
	}{
		{"no when: push to a branch", all, Event{Kind: EventPush, Ref: "refs/heads/x"}, true},
		{"no when: tag", all, Event{Kind: EventTag, Ref: "refs/tags/v1"}, true},
		{"no when: manual", all, Event{Kind: EventManual, Ref: "refs/heads/x"}, true},
		{"no when: unknown kind", When{Events: AllEvents()}, Event{Kind: "bogus", Ref: "refs/heads/x"}, false},
		{"event listed", When{Events: []string{EventPush, EventSchedule}}, Event{Kind: EventSchedule, Ref: "refs/heads/main"}, true},
		{"event not listed", When{Events: []string{EventPush}}, Event{Kind: EventMergeRequest, Ref: "refs/heads/main"}, false},
		{"branch matches", When{Branches: []string{"main", "release/*"}}, Event{Kind: EventPush, Ref: "refs/heads/release/2"}, true},
		{"branch does not match", When{Branches: []string{"main"}}, Event{Kind: EventPush, Ref: "refs/heads/dev"}, false},
		{"merge request from a matching branch", When{Branches: []string{"feat/**"}}, Event{Kind: EventMergeRequest, Ref: "refs/heads/feat/a/b"}, true},
		{"branches only: tags never match", When{Branches: []string{"**"}}, Event{Kind: EventTag, Ref: "refs/tags/v1"}, false},
		{"tags only: matching tag", When{Tags: []string{"v*"}}, Event{Kind: EventTag, Ref: "refs/tags/v1.0"}, true},
		{"tags only: other tag", When{Tags: []string{"v*"}}, Event{Kind: EventTag, Ref: "refs/tags/nightly"}, false},
		{"tags only: branches never match", When{Tags: []string{"**"}}, Event{Kind: EventPush, Ref: "refs/heads/main"}, false},
		{"both: branch checked against branches", When{Branches: []string{"main"}, Tags: []string{"v*"}}, Event{Kind: EventPush, Ref: "refs/heads/main"}, true},
		{"both: tag checked against tags", When{Branches: []string{"main"}, Tags: []string{"v*"}}, Event{Kind: EventTag, Ref: "refs/tags/v2"}, true},
		{"both: tag named like a branch", When{Branches: []string{"main"}, Tags: []string{"v*"}}, Event{Kind: EventTag, Ref: "refs/tags/main"}, false},
		{"filters and an odd ref", When{Branches: []string{"**"}}, Event{Kind: EventManual, Ref: "refs/merge-requests/1/head"}, false},
		{"no filters and an odd ref", all, Event{Kind: EventManual, Ref: "refs/merge-requests/1/head"}, true},
		{"paths: a changed file matches", When{Paths: []string{"docs/**", "*.md"}}, Event{Kind: EventPush, Ref: "refs/heads/x", ChangedPaths: []string{"src/a.go", "README.md"}}, true},
		{"paths: no changed file matches", When{Paths: []string{"docs/**"}}, Event{Kind: EventPush, Ref: "refs/heads/x", ChangedPaths: []string{"src/a.go"}}, false},
		{"paths: unknown changes match", When{Paths: []string{"docs/**"}}, Event{Kind: EventTag, Ref: "refs/tags/v1"}, true},
		{"paths: no changes do not match", When{Paths: []string{"**"}}, Event{Kind: EventPush, Ref: "refs/heads/x", ChangedPaths: []string{}}, false},
		{"no paths filter: no changes still match", all, Event{Kind: EventPush, Ref: "refs/heads/x", ChangedPaths: []string{}}, true},
		{"every filter must hold", When{Events: []string{EventPush}, Branches: []string{"main"}, Paths: []string{"go.mod"}}, Event{Kind: EventPush, Ref: "refs/heads/main", ChangedPaths: []string{"go.sum"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := Job{Name: "j", When: tt.when}
			if got := j.Matches(tt.ev); got != tt.want {
				t.Errorf("Matches = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSelect(t *testing.T) {
	p, err := Parse([]byte(`jobs:
  deploy:
    needs: [build, test]
    when: {branches: [main]}
    steps: [./deploy]
  build:
    steps: [make]
  test:
    needs: [build]
    when: {paths: ["**/*.go"]}
    steps: [make test]
  docs:
    when: {paths: [docs/]}
    steps: [make docs]
  release:
    when: {tags: ["v*"]}
    steps: [make release]
  notify:
    needs: [release]
    steps: [./notify]
`))
	if err != nil {
		t.Fatal(err)
	}
	if got := names(p.TopoOrder()); got != "build test deploy docs release notify" {
		t.Errorf("TopoOrder = %s", got)
	}
	tests := []struct {
		name string
		ev   Event
		want string
	}{
		{"push to main changing Go", Event{Kind: EventPush, Ref: "refs/heads/main", ChangedPaths: []string{"a.go"}}, "deploy build test"},
		{"push to main changing docs: test skipped, so deploy too", Event{Kind: EventPush, Ref: "refs/heads/main", ChangedPaths: []string{"docs/x.md"}}, "build docs"},
		{"push to a branch", Event{Kind: EventPush, Ref: "refs/heads/dev", ChangedPaths: []string{"a.go"}}, "build test"},
		{"tag, changes unknown", Event{Kind: EventTag, Ref: "refs/tags/v1.2"}, "build test docs release notify"},
		{"manual on main", Event{Kind: EventManual, Ref: "refs/heads/main"}, "deploy build test docs"},
		{"nothing matches", Event{Kind: "bogus", Ref: "refs/heads/main"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := names(p.Select(tt.ev)); got != tt.want {
				t.Errorf("Select = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestTopoOrderHandBuilt(t *testing.T) {
	p := &Pipeline{Jobs: []Job{
		{Name: "a", Needs: []string{"b"}},
		{Name: "b", Needs: []string{"a"}},
		{Name: "c"},
		{Name: "d", Needs: []string{"missing"}},
		{Name: "e", Needs: []string{"c"}},
	}}
	if got := names(p.TopoOrder()); got != "c e" {
		t.Errorf("TopoOrder = %q", got)
	}
}
