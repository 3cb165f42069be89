// Command observe-bench runs the observability benchmarks of issue 16
// (make bench-observe, scripts/observe-bench.sh; docs/observability.md,
// "Benchmarks"):
//
//  1. ingest: items accepted per CPU-second of the server process, for a
//     real `hearth server` (WAL fsync'd before each answer) against the
//     OpenTelemetry Collector with the nop exporter and with the file
//     exporter, in alternating rounds under the same load, each server
//     pinned to CPU 0 and everything else to CPU 1; then a CPU profile of
//     hearth under that load;
//  2. query: QueryLogs and GetTrace latency through the API over a day of
//     logs and spans in Parquet on S3;
//  3. storage: bytes on S3 per million rows against gzip'd OTLP.
//
// Everything runs on this machine, on loopback. `observe-bench
// hearth-pprof ADDR server …` is hearth with /debug/pprof (see profile.go).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hearth-dev/hearth/controlplane/internal/objectstore"
	"github.com/hearth-dev/hearth/controlplane/internal/observe/record"
)

type options struct {
	hearth, nop, file   string
	nopLabel, fileLabel string
	label               string
	rounds, senders     int
	round, warmup       time.Duration
	protocols, signals  string
	logRows, spans      int
	hours, filesPerHour int
	queryRuns           int
	profileSeconds      int
	out                 string
	phases              string
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "hearth-pprof" {
		os.Exit(hearthPprof(os.Args[2:]))
	}
	var o options
	flag.StringVar(&o.hearth, "hearth", "bin/hearth", "the hearth binary under test")
	flag.StringVar(&o.nop, "collector-nop", "", "OpenTelemetry Collector with otlpreceiver, batchprocessor, nopexporter")
	flag.StringVar(&o.file, "collector-file", "", "OpenTelemetry Collector with otlpreceiver, batchprocessor, fileexporter")
	flag.StringVar(&o.nopLabel, "collector-nop-label", "", "what collector-nop is, for the report")
	flag.StringVar(&o.fileLabel, "collector-file-label", "", "what collector-file is, for the report")
	flag.StringVar(&o.label, "label", "", "what hearth build this is, for the report")
	flag.IntVar(&o.rounds, "rounds", 5, "ingest rounds per system and workload")
	flag.DurationVar(&o.round, "round", 10*time.Second, "measured length of one round")
	flag.DurationVar(&o.warmup, "warmup", time.Second, "load before a round's measurement starts")
	flag.IntVar(&o.senders, "senders", 8, "concurrent senders")
	flag.StringVar(&o.protocols, "protocols", "grpc,http", "OTLP transports to load: grpc, http")
	flag.StringVar(&o.signals, "signals", "traces,logs", "signals to load: traces, logs")
	flag.IntVar(&o.logRows, "log-rows", 10_000_000, "log rows of the query data set")
	flag.IntVar(&o.spans, "spans", 5_000_000, "spans of the query data set")
	flag.IntVar(&o.hours, "hours", 24, "hours the query data set covers (ending at the start of this hour)")
	flag.IntVar(&o.filesPerHour, "files-per-hour", 12, "Parquet files per hour and signal (compaction every 5 minutes leaves 12)")
	flag.IntVar(&o.queryRuns, "query-runs", 30, "runs of each query")
	flag.IntVar(&o.profileSeconds, "profile-seconds", 15, "CPU profile length per signal")
	flag.StringVar(&o.out, "out", "", "also write the report to this file (and the profiles beside it)")
	flag.StringVar(&o.phases, "phases", "ingest,profile,query", "what to run")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, o)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "observe-bench:", err)
		os.Exit(1)
	}
}

func progress(s string) { fmt.Fprintf(os.Stderr, "%s %s\n", time.Now().Format("15:04:05"), s) }

// bench is one run's state.
type bench struct {
	o         options
	dir       string // scratch: the services' data, configurations, logs
	outDir    string // where profiles go
	rep       *report
	h         *helpers
	spec      *hearthSpec
	hearthLog string
	hearth    *server // the running hearth, if any
	tok       tokens
	pl        map[string][][]byte // pre-encoded batches per signal
	self      int
	skip      map[int]bool // the servers under test: not helpers
}

func run(ctx context.Context, o options) (err error) {
	phase := func(p string) bool { return strings.Contains(","+o.phases+",", ","+p+",") }
	dir, err := os.MkdirTemp("", "observe-bench-")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			progress("the servers' logs and data are kept in " + dir)
			return
		}
		_ = os.RemoveAll(dir)
	}()
	// PostgreSQL runs as its own user, which must reach its directory.
	if err := os.Chmod(dir, 0o755); err != nil { //nolint:gosec // G302: a directory, searchable by the postgres user
		return err
	}
	b := &bench{o: o, dir: dir, outDir: dir, rep: &report{o: o, started: time.Now()}, hearthLog: filepath.Join(dir, "hearth.log"),
		self: os.Getpid(), skip: map[int]bool{}}
	if o.out != "" {
		b.outDir = filepath.Dir(o.out)
	}
	progress("starting PostgreSQL, Redis and the S3 server")
	if b.h, err = startHelpers(ctx, dir); err != nil {
		return err
	}
	defer b.h.stop()
	if b.spec, err = newHearthSpec(o.hearth, dir, b.h); err != nil {
		return err
	}
	if b.hearth, err = b.spec.start(ctx, "hearth", "0", b.hearthLog); err != nil {
		return err
	}
	defer func() {
		if b.hearth != nil {
			b.hearth.stop()
		}
	}()
	b.skip[b.hearth.pid()] = true
	if b.tok, err = setUp(ctx, b.spec.url()); err != nil {
		return err
	}
	now := time.Now()
	b.pl = map[string][][]byte{"traces": payloads("traces", 64, now), "logs": payloads("logs", 64, now)}

	if phase("ingest") || phase("profile") {
		// The load generator and the helpers on CPU 1, the servers on CPU 0.
		if err := b.pinRest("1"); err != nil {
			return err
		}
		runtime.GOMAXPROCS(1)
	}
	if phase("ingest") {
		if err := b.ingest(ctx); err != nil {
			return err
		}
	}
	if phase("profile") {
		if err := b.profile(ctx); err != nil {
			return err
		}
	}
	if phase("query") {
		if err := b.query(ctx); err != nil {
			return err
		}
	}
	return b.rep.write(o.out)
}

// pinRest pins this process and the helpers (every child but the servers
// under test) to cpus.
func (b *bench) pinRest(cpus string) error {
	for _, p := range append(descendants(b.self, b.skip), b.self) {
		if err := pin(p, cpus); err != nil && p == b.self {
			return err
		}
	}
	return nil
}

// ingest runs the rounds, then stops hearth (its final flush counted).
func (b *bench) ingest(ctx context.Context) error {
	o := b.o
	in := &ingestRun{systems: []*server{b.hearth}, token: b.tok.ingestWriter, senders: o.senders, warmup: o.warmup, dur: o.round,
		payloads: b.pl, accepted: map[string]int64{}}
	for _, c := range []struct{ name, bin, exporter string }{{"collector-nop", o.nop, "nop"}, {"collector-file", o.file, "file"}} {
		if c.bin == "" {
			progress(c.name + ": no binary given, left out")
			continue
		}
		srv, err := startCollector(ctx, c.name, c.bin, c.exporter, b.dir, "0")
		if err != nil {
			return err
		}
		defer srv.stop()
		b.skip[srv.pid()] = true
		in.systems = append(in.systems, srv)
	}
	in.helperPIDs = func() []int { return descendants(b.self, b.skip) }
	cpu0, err := cpuSeconds(b.hearth.pid(), false)
	if err != nil {
		return err
	}
	var workloads []workload
	for _, p := range strings.Split(o.protocols, ",") {
		for _, s := range strings.Split(o.signals, ",") {
			workloads = append(workloads, workload{signal: s, protocol: p})
		}
	}
	progress(fmt.Sprintf("ingest: %d rounds of %s per system and workload", o.rounds, o.round))
	if err := in.run(ctx, workloads, o.rounds, progress); err != nil {
		return err
	}
	progress("stopping hearth (it flushes what it holds)")
	total := b.hearth.stop()
	b.hearth = nil
	b.rep.ingest = in
	b.rep.hearthAllIn = float64(in.accepted["hearth"]) / (total - cpu0)
	b.rep.flushed, err = flushedFiles(ctx, b.h.databaseURL, b.tok.ingestProject)
	return err
}

// profile restarts hearth as hearth-pprof and profiles it under load.
func (b *bench) profile(ctx context.Context) error {
	if b.hearth != nil {
		b.hearth.stop()
		b.hearth = nil
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	pprofAddr := freeAddr()
	pspec := *b.spec
	pspec.bin = []string{exe, "hearth-pprof", pprofAddr}
	srv, err := pspec.start(ctx, "hearth-pprof", "0", b.hearthLog)
	if err != nil {
		return err
	}
	defer srv.stop()
	// Not the start-up compaction of the ingest files: ingest alone.
	waitIdle(srv.pid())
	for _, w := range []workload{{"traces", "grpc"}, {"logs", "grpc"}} {
		progress("profiling hearth under " + w.String() + ", pprof at http://" + pprofAddr + "/debug/pprof/")
		path := filepath.Join(b.outDir, fmt.Sprintf("observe-hearth-%s-%s.pprof", w.signal, b.rep.started.Format("20060102-1504")))
		top, err := profile(ctx, srv, pprofAddr, w, b.tok.ingestWriter, b.pl[w.signal], b.o.senders, b.o.profileSeconds, path)
		if err != nil {
			return err
		}
		b.rep.profiles = append(b.rep.profiles, profileResult{w: w, path: path, top: top})
	}
	return nil
}

// query writes the data set and runs the queries against a hearth that
// may use both CPUs, as may everything else now.
func (b *bench) query(ctx context.Context) error {
	if err := b.pinRest("0,1"); err != nil {
		return err
	}
	runtime.GOMAXPROCS(runtime.NumCPU())
	if b.hearth == nil {
		var err error
		if b.hearth, err = b.spec.start(ctx, "hearth", "", b.hearthLog); err != nil {
			return err
		}
	} else if err := pin(b.hearth.pid(), "0,1"); err != nil {
		return err
	}
	return queryPhase(ctx, b.o, b.h, b.spec, b.hearth, b.tok, b.rep)
}

func queryPhase(ctx context.Context, o options, h *helpers, spec *hearthSpec, hearth *server, tok tokens, rep *report) error {
	pool, err := pgxpool.New(ctx, h.databaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	objects, err := objectstore.Open(ctx, objectstore.Config{
		Endpoint: "http://" + h.s3.Endpoint(), Region: "us-east-1", Bucket: h.bucket, AccessKey: h.s3.AccessKey(), SecretKey: h.s3.SecretKey(),
	})
	if err != nil {
		return err
	}
	project, err := uuid.Parse(tok.queryProject)
	if err != nil {
		return err
	}
	now := time.Now()
	d := &dataset{
		project: project, objects: objects, db: pool, filesPerHour: o.filesPerHour, hours: o.hours, now: now,
		first:       now.Truncate(time.Hour).Add(-time.Duration(o.hours) * time.Hour),
		logsPerHour: o.logRows / o.hours, spansPerHour: o.spans / o.hours,
		columns: map[record.Signal]*columnBytes{record.Logs: {cols: map[string]int64{}}, record.Traces: {cols: map[string]int64{}}},
	}
	progress(fmt.Sprintf("data set: %d log rows and %d spans over %d hours", o.logRows, o.spans, o.hours))
	began := time.Now()
	if err := d.generate(ctx, progress); err != nil {
		return err
	}
	rep.dataset, rep.datasetTime = d, time.Since(began)
	waitIdle(hearth.pid())
	q := newQueries(spec.url(), tok.queryReader, d.first, d.hours)
	progress("querying")
	logs, err := q.logs(ctx, o.queryRuns)
	if err != nil {
		return err
	}
	traces, err := q.traces(ctx, d.traceIDs, o.queryRuns)
	if err != nil {
		return err
	}
	rep.queries = []queryResult{logs, traces}
	return nil
}

// flushedFiles sums the Parquet files hearth flushed for project.
func flushedFiles(ctx context.Context, databaseURL, project string) ([]fileSum, error) {
	pool, err := pgxpool.New(ctx, databaseURL)
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	rows, err := pool.Query(ctx, `SELECT signal, count(*), sum(row_count)::bigint, sum(size_bytes)::bigint
		FROM observe_files WHERE project_id = $1 GROUP BY signal ORDER BY signal`, project)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []fileSum
	for rows.Next() {
		var f fileSum
		if err := rows.Scan(&f.signal, &f.files, &f.rows, &f.bytes); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}
