package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	_ "net/http/pprof" //nolint:gosec // G108: the point of hearth-pprof, served on a loopback address
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hearth-dev/hearth/controlplane/internal/cli"
)

// hearth serves no /debug/pprof. `observe-bench hearth-pprof ADDR <hearth
// arguments>` is hearth itself (the same cli.Main as cmd/hearth) with
// net/http/pprof on ADDR, so a CPU profile can be taken under load.
func hearthPprof(args []string) int {
	if len(args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: observe-bench hearth-pprof ADDR server [flags]")
		return 2
	}
	go func() { _ = http.ListenAndServe(args[0], nil) }() //nolint:gosec // G114: a loopback address, for the benchmark's profile only
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return cli.Main(ctx, args[1:], os.Stdin, os.Stdout, os.Stderr)
}

// profile takes a CPU profile of srv (a hearth-pprof child) while w loads
// it, saves it to path and returns pprof's top frames.
func profile(ctx context.Context, srv *server, pprofAddr string, w workload, token string, pl [][]byte, senders int, seconds int, path string) (string, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var c counters
	wait, err := send(ctx, srv, w, token, pl, senders, &c)
	if err != nil {
		return "", err
	}
	defer wait()
	defer cancel()
	time.Sleep(2 * time.Second)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", pprofAddr, seconds), nil)
	if err != nil {
		return "", err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer func() { _ = res.Body.Close() }()
	if res.StatusCode != http.StatusOK {
		return "", fmt.Errorf("pprof answered %s", res.Status)
	}
	f, err := os.Create(path) //nolint:gosec // G304: the report's directory
	if err != nil {
		return "", err
	}
	if _, err := io.Copy(f, res.Body); err != nil {
		_ = f.Close()
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	if c.accepted.Load() == 0 {
		return "", fmt.Errorf("no item accepted while profiling (%s)", c.firstErr)
	}
	flat, err := exec.CommandContext(ctx, "go", "tool", "pprof", "-top", "-nodecount=15", path).Output() //nolint:gosec // G204: go tool pprof on the file just written
	if err != nil {
		return "", fmt.Errorf("go tool pprof: %w", err)
	}
	cum, err := exec.CommandContext(ctx, "go", "tool", "pprof", "-top", "-cum", "-nodecount=5000", path).Output() //nolint:gosec // G204: as above
	if err != nil {
		return "", fmt.Errorf("go tool pprof: %w", err)
	}
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimSpace(string(flat)), "\n") {
		if strings.HasPrefix(l, "Build ID") || strings.HasPrefix(l, "File:") || strings.HasPrefix(l, "Time:") || strings.HasPrefix(l, "Dropped") {
			continue
		}
		if len(l) > 140 { // generic instantiations have very long names
			l = l[:140] + "…"
		}
		b.WriteString(l + "\n")
	}
	b.WriteString("where the CPU goes (cumulative share of the samples):\n")
	for _, item := range breakdown {
		fmt.Fprintf(&b, "  %5.1f%%  %s\n", cumShare(string(cum), item.fn), item.label)
	}
	return b.String(), nil
}

// breakdown is the part of hearth's ingest path the report sums up.
var breakdown = []struct{ label, fn string }{
	{"HTTP/2 request handlers, all of them", "net/http.(*http2serverConn).runHandler"},
	{"  authentication (API token looked up in PostgreSQL)", "github.com/hearth-dev/hearth/controlplane/internal/auth.(*Service).Authenticate"},
	{"  authorization (rbac)", "github.com/hearth-dev/hearth/controlplane/internal/rbac.(*Service).Authorize"},
	{"  protobuf decoding of the request", "google.golang.org/protobuf/proto.UnmarshalOptions.unmarshal"},
	{"  OTLP spans to rows (otlpconv.Traces)", "github.com/hearth-dev/hearth/controlplane/internal/observe/otlpconv.Traces"},
	{"  OTLP logs to rows (otlpconv.Logs)", "github.com/hearth-dev/hearth/controlplane/internal/observe/otlpconv.Logs"},
	{"  WAL entry encoding and append (Service.store)", "github.com/hearth-dev/hearth/controlplane/internal/observe.(*Service).store"},
	{"WAL fdatasync (committer)", "github.com/hearth-dev/hearth/controlplane/internal/observe/wal.datasync"},
	{"flush of sealed segments to Parquet (background)", "github.com/hearth-dev/hearth/controlplane/internal/observe.(*Service).flushSegment"},
	{"  re-reading and decoding the segment from disk", "github.com/hearth-dev/hearth/controlplane/internal/observe/wal.(*WAL).Replay"},
	{"  Parquet encoding (columnar.write)", "github.com/hearth-dev/hearth/controlplane/internal/observe/columnar.write"},
	{"garbage collector (background mark workers)", "runtime.gcBgMarkWorker"},
}

// cumShare is the cum% of function fn in pprof -top -cum output (0 when
// absent).
func cumShare(top, fn string) float64 {
	for _, l := range strings.Split(top, "\n") {
		f := strings.Fields(l)
		if len(f) < 6 || !strings.HasPrefix(f[5], fn) {
			continue
		}
		rest := strings.TrimPrefix(f[5], fn)
		if rest != "" && rest[0] != '[' && rest[0] != ' ' { // not a longer name
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSuffix(f[4], "%"), 64)
		if err == nil {
			return v
		}
	}
	return 0
}
