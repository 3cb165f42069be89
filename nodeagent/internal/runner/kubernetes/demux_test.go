package kubernetes

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hearth-dev/hearth/nodeagent/internal/runner"
)

var t0 = time.Date(2026, 12, 7, 16, 0, 0, 0, time.UTC)

// stamp is one line as the kubelet serves it with timestamps=true.
func stamp(ns int, content string) string {
	return t0.Add(time.Duration(ns)*time.Millisecond).Format(time.RFC3339Nano) + " " + content
}

func readLog(t *testing.T, dir string, step uint32) string {
	t.Helper()
	data, err := os.ReadFile(runner.LogPath(dir, step))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return string(data)
}

func newDemux(t *testing.T, dir, nonce string) *demux {
	t.Helper()
	d, err := openDemux(dir, filepath.Join(dir, "cursor.json"), nonce, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.close)
	return d
}

func feedAll(t *testing.T, d *demux, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if err := d.feed([]byte(l)); err != nil {
			t.Fatal(err)
		}
	}
}

// TestDemuxSplitsStepsAtMarkers: markers switch steps and record exit
// codes; they never reach a log, even after output without a newline.
func TestDemuxSplitsStepsAtMarkers(t *testing.T) {
	dir := t.TempDir()
	d := newDemux(t, dir, "N1")
	feedAll(t, d,
		stamp(1, marker("N1", "step:1")+"\n"),
		stamp(2, "one\n"),
		stamp(3, "no newline"+marker("N1", "exit:1:0")+"\n"),
		stamp(4, marker("N1", "step:2")+"\n"),
		stamp(5, "two "+marker("N2", "step:3")+" is not ours\n"),
		stamp(6, marker("N1", "exit:2:3")+"\n"),
	)
	if got := readLog(t, dir, 1); got != "one\nno newline" {
		t.Errorf("step 1 log %q", got)
	}
	if got, want := readLog(t, dir, 2), "two "+marker("N2", "step:3")+" is not ours\n"; got != want {
		t.Errorf("step 2 log %q, want %q", got, want)
	}
	if d.cur.Exits[1] != 0 || d.cur.Exits[2] != 3 || d.cur.Step != 2 {
		t.Errorf("cursor %+v", d.cur)
	}
}

// TestDemuxReconnectDropsWhatItHas: reading again from the cursor's whole
// second (what sinceTime gives) yields each line once, identical lines at
// one timestamp included.
func TestDemuxReconnectDropsWhatItHas(t *testing.T) {
	dir := t.TempDir()
	d := newDemux(t, dir, "")
	stream := []string{stamp(10, "a\n"), stamp(20, "b\n"), stamp(20, "b\n"), stamp(30, "c\n"), stamp(30, "d\n"), stamp(40, "e\n")}
	feedAll(t, d, stream[:4]...)
	feedAll(t, d, strings.TrimSuffix(stream[4], "\n")) // the connection breaks mid-line
	d.rewind()
	if !d.since().Equal(t0.Add(30 * time.Millisecond)) {
		t.Fatalf("since %v", d.since())
	}
	feedAll(t, d, stream...) // the kubelet resends the whole second
	if err := d.finish(); err != nil {
		t.Fatal(err)
	}
	if got := readLog(t, dir, 1); got != "a\nb\nb\nc\nd\ne\n" {
		t.Errorf("log %q", got)
	}
}

// TestDemuxRestartFromSavedCursor: an agent killed after writing lines but
// before saving the cursor again leaves a longer log; the next agent reads
// from the saved cursor and writes the rest exactly once.
func TestDemuxRestartFromSavedCursor(t *testing.T) {
	dir := t.TempDir()
	var stream []string
	for i := range 40 {
		stream = append(stream, stamp(i/3, fmt.Sprintf("line %d\n", i%4)))
		if i%10 == 9 {
			stream = append(stream, stamp(i/3, marker("X", fmt.Sprintf("step:%d", i/10+2))+"\n"))
		}
	}
	d := newDemux(t, dir, "X")
	feedAll(t, d, stream[:12]...)
	if err := d.save(); err != nil {
		t.Fatal(err)
	}
	feedAll(t, d, stream[12:27]...) // written, cursor not saved: then SIGKILL
	d.close()

	d2 := newDemux(t, dir, "X")
	var resent []string
	for _, l := range stream {
		ts, _ := time.Parse(time.RFC3339Nano, l[:strings.IndexByte(l, ' ')])
		if !ts.Before(d2.since().Truncate(time.Second)) {
			resent = append(resent, l)
		}
	}
	feedAll(t, d2, resent...)

	want := map[uint32]string{}
	step := uint32(1)
	for _, l := range stream {
		c := l[strings.IndexByte(l, ' ')+1:]
		if strings.HasPrefix(c, markerPrefix) {
			_, _ = fmt.Sscanf(strings.TrimPrefix(c, markerPrefix+"X:"), "step:%d", &step)
			continue
		}
		want[step] += c
	}
	for s := uint32(1); s <= 5; s++ {
		if got := readLog(t, dir, s); got != want[s] {
			t.Errorf("step %d log:\n%q\nwant\n%q", s, got, want[s])
		}
	}
}

// TestDemuxLongLinesInFragments: a line longer than maxFragment is
// consumed in fragments, cut at the same offsets however it arrives, so a
// reconnect drops the fragments already written.
func TestDemuxLongLinesInFragments(t *testing.T) {
	dir := t.TempDir()
	long := strings.Repeat("x", 2*maxFragment+5) + "\n"
	d := newDemux(t, dir, "")
	line := stamp(1, long)
	feedAll(t, d, line[:maxFragment+100]) // one fragment consumed, then a break
	d.rewind()
	for i := 0; i < len(line); i += 7919 {
		feedAll(t, d, line[i:min(i+7919, len(line))])
	}
	feedAll(t, d, stamp(2, "after\n"))
	if got := readLog(t, dir, 1); got != long+"after\n" {
		t.Errorf("log is %d bytes, want %d", len(got), len(long)+6)
	}
}

// TestDemuxRefusesUnstampedLines: a stream without timestamps is an error,
// not a silently misfiled log.
func TestDemuxRefusesUnstampedLines(t *testing.T) {
	d := newDemux(t, t.TempDir(), "")
	if err := d.feed([]byte("hello world\n")); err == nil {
		t.Fatal("an unstamped line was accepted")
	}
}
