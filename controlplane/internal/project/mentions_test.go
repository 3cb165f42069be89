package project_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/hearth-dev/hearth/controlplane/internal/project"
)

func TestMentions(t *testing.T) {
	for text, want := range map[string][]int64{
		"":                          nil,
		"#1":                        {1},
		"see #12, #3 and #12 again": {12, 3},
		"(#7)\n- #8":                {7, 8},
		"a#1 x/#2 &#3; #0 #abc":     nil,
		"#99999999999999999999":     nil,
	} {
		if got := project.Mentions(text); !slices.Equal(got, want) {
			t.Errorf("Mentions(%q) = %v, want %v", text, got, want)
		}
	}
}

func FuzzMentions(f *testing.F) {
	for _, s := range []string{"#1", "see #12, #3", "&#3;", "x/#2", "#999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		got := project.Mentions(text)
		if len(got) > 50 {
			t.Fatalf("%d mentions", len(got))
		}
		seen := map[int64]bool{}
		for _, n := range got {
			if n <= 0 || seen[n] {
				t.Fatalf("mentions %v", got)
			}
			seen[n] = true
		}
	})
}

// TestUserMentions: @names at word starts, not in emails, paths or code,
// each once, at most maxUserMentions.
func TestUserMentions(t *testing.T) {
	for text, want := range map[string]string{
		"@ada please look":                      "ada",
		"cc @ada, @bob. and @ada again":         "ada bob",
		"mail ada@example.com or see a/@b":      "",
		"`@code` and\n```\n@fenced\n```\n@real": "real",
		"(@x.y-) and @-no":                      "x.y",
	} {
		if got := strings.Join(project.UserMentions(text), " "); got != want {
			t.Errorf("%q: %q, want %q", text, got, want)
		}
	}
	var many strings.Builder
	for i := range 30 {
		fmt.Fprintf(&many, "@user%d ", i)
	}
	if n := len(project.UserMentions(many.String())); n != 20 {
		t.Errorf("%d mentions kept, want 20", n)
	}
}
