package wal_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/hearth-dev/hearth/controlplane/internal/observe/wal"
)

// crashDirEnv tells the test binary, re-executed as a child, to run
// TestHelperProcess against that directory; crashRoundEnv tags the
// child's entry ids, so that ids of successive children differ.
const (
	crashDirEnv   = "HEARTH_WAL_CRASH_DIR"
	crashRoundEnv = "HEARTH_WAL_CRASH_ROUND"
)

// crashSegmentBytes is small so that the child rotates while it runs and
// may die in the middle of a rotation.
const crashSegmentBytes = 256 << 10

// TestHelperProcess is the child of TestCrashKeepsAcknowledged: it appends
// from many goroutines until it is killed, printing the id of each entry
// on stdout only after its Append returned.
func TestHelperProcess(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("runs only as TestCrashKeepsAcknowledged's child")
	}
	w, err := wal.Open(wal.Options{Dir: dir, SegmentBytes: crashSegmentBytes})
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		os.Exit(3)
	}
	round := os.Getenv(crashRoundEnv)
	var out sync.Mutex
	var wg sync.WaitGroup
	for g := range 32 {
		wg.Go(func() {
			for i := 0; ; i++ {
				id := fmt.Sprintf("%s:%d-%d", round, g, i)
				// Sizes vary so the kill lands at varied points of frames.
				payload := id + "|" + strings.Repeat("p", (g*131+i*71)%3000)
				if _, err := w.Append(context.Background(), []byte(payload)); err != nil {
					fmt.Fprintln(os.Stderr, "append:", err)
					os.Exit(3)
				}
				out.Lock()
				// One write call per line: a line is either wholly in the
				// pipe or not at all when the kill comes.
				fmt.Fprintf(os.Stdout, "%s\n", id)
				out.Unlock()
			}
		})
	}
	wg.Wait() // never: the parent kills this process
}

// TestCrashKeepsAcknowledged: a process killed with SIGKILL while many
// goroutines append loses no acknowledged entry and duplicates none: on
// reopen, every id a child printed (after its Append returned) is in the
// log exactly once. Three children in turn use the same directory, so
// each recovers what the one before it left, torn tail included.
func TestCrashKeepsAcknowledged(t *testing.T) {
	if os.Getenv(crashDirEnv) != "" {
		t.Skip("this is the child")
	}
	dir := t.TempDir()
	acked := map[string]bool{}
	for round := range 3 {
		maps.Copy(acked, runAndKill(t, dir, round, 300))
	}

	w := open(t, wal.Options{Dir: dir, SegmentBytes: crashSegmentBytes})
	defer w.Close()
	t.Logf("%d acks; last reopen: %+v", len(acked), w.OpenReport())
	seen := map[string]int{}
	for _, e := range replayAll(t, w) {
		id, _, _ := strings.Cut(e.payload, "|")
		seen[id]++
		if seen[id] > 1 {
			t.Errorf("entry %s is in the log %d times", id, seen[id])
		}
	}
	for id := range acked {
		if seen[id] != 1 {
			t.Errorf("acknowledged entry %s found %d times after the crashes", id, seen[id])
		}
	}
	if len(w.Sealed()) < 4 {
		t.Errorf("only %d sealed segments: the children did not rotate, the test did not cover it", len(w.Sealed()))
	}
}

// runAndKill runs a child appending into dir, kills it with SIGKILL after
// it acknowledged at least n entries, and returns every id it
// acknowledged.
func runAndKill(t *testing.T, dir string, round, n int) map[string]bool {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir, fmt.Sprintf("%s=%d", crashRoundEnv, round))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	defer func() {
		if !killed {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}()

	acked := map[string]bool{}
	r := bufio.NewReader(stdout)
	for len(acked) < n {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("child stopped after %d acks: %v; stderr:\n%s", len(acked), err, stderr.String())
		}
		acked[strings.TrimSuffix(line, "\n")] = true
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	// Acks already in the pipe were printed before the kill: they count.
	// A line without its newline cannot exist (one write per line) but
	// would not be an ack.
	for {
		line, err := r.ReadString('\n')
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		acked[strings.TrimSuffix(line, "\n")] = true
	}
	err = cmd.Wait()
	killed = true
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child did not die of SIGKILL: %v; stderr:\n%s", err, stderr.String())
	}
	return acked
}
