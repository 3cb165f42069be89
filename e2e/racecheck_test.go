package e2e

import (
	"fmt"
	"strings"
	"testing"
)

const (
	// raceMarker is in the header of every report of Go's race detector
	// ("WARNING: DATA RACE").
	raceMarker = "DATA RACE"
	// raceRule opens and closes each report.
	raceRule = "=================="
	// raceExcerptLines bounds the lines quoted per report, and
	// raceExcerptReports how many reports are quoted.
	raceExcerptLines   = 60
	raceExcerptReports = 3
)

// raceReport returns the race detector's reports found in a process's
// output, each from its header to its closing rule (bounded), or "" when
// there is none.
func raceReport(out string) string {
	if !strings.Contains(out, raceMarker) {
		return ""
	}
	lines := strings.Split(out, "\n")
	var excerpt []string
	reports := 0
	for i := 0; i < len(lines); i++ {
		if !strings.Contains(lines[i], raceMarker) {
			continue
		}
		reports++
		if reports > raceExcerptReports {
			continue // counted, not quoted
		}
		end := min(i+raceExcerptLines, len(lines))
		j := i
		for ; j < end; j++ {
			excerpt = append(excerpt, lines[j])
			if j > i && strings.HasPrefix(strings.TrimSpace(lines[j]), raceRule) {
				break
			}
		}
		i = j
	}
	if reports > raceExcerptReports {
		excerpt = append(excerpt, "… and more reports")
	}
	return strings.Join(excerpt, "\n")
}

// checkNoRace fails the test when who's output holds a data race report:
// the processes a scenario starts run with the race detector, which only
// prints what it finds (and exits 66 at the very end, which nobody sees).
func checkNoRace(t testing.TB, who, out string) {
	t.Helper()
	if r := raceReport(out); r != "" {
		t.Errorf("%s reported a data race:\n%s", who, r)
	}
}

// TestRaceReportsAreFound: the check finds the race detector's reports in
// a process's output and quotes them, and passes output without any.
func TestRaceReportsAreFound(t *testing.T) {
	report := strings.Join([]string{
		"==================",
		"WARNING: DATA RACE",
		"Write at 0x00c000123456 by goroutine 7:",
		"  main.bump()",
		"      /src/agent.go:12 +0x44",
		"",
		"Previous read at 0x00c000123456 by goroutine 6:",
		"  main.read()",
		"      /src/agent.go:20 +0x3a",
		"==================",
	}, "\n")
	clean := `{"level":"info","message":"agent connected"}` + "\n" + `{"level":"debug","message":"log chunk acknowledged"}`
	out := clean + "\n" + report + "\n" + clean + "\nFound 1 data race(s)\n"

	got := raceReport(out)
	if !strings.Contains(got, "WARNING: DATA RACE") || !strings.Contains(got, "/src/agent.go:20") {
		t.Fatalf("the report is not quoted:\n%s", got)
	}
	if strings.Contains(got, "agent connected") {
		t.Fatalf("the excerpt quotes more than the report:\n%s", got)
	}
	if got := raceReport(clean); got != "" {
		t.Fatalf("a race found in clean output: %q", got)
	}

	var rec recorder
	checkNoRace(&rec, "the agent", out)
	if !rec.failed || !strings.Contains(rec.msg, "the agent reported a data race") {
		t.Fatalf("checkNoRace did not fail the test: %+v", rec)
	}
	rec = recorder{}
	checkNoRace(&rec, "the agent", clean)
	if rec.failed {
		t.Fatalf("checkNoRace failed on clean output: %s", rec.msg)
	}

	many := strings.Repeat(report+"\n", 5)
	if got := raceReport(many); strings.Count(got, "WARNING: DATA RACE") != raceExcerptReports || !strings.Contains(got, "and more reports") {
		t.Fatalf("five reports quoted as:\n%s", got)
	}
}

// recorder is a testing.TB that records Errorf instead of failing.
type recorder struct {
	testing.TB
	failed bool
	msg    string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.failed = true
	r.msg = fmt.Sprintf(format, args...)
}
