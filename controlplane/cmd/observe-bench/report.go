package main

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"os"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hearth-dev/hearth/controlplane/internal/observe/record"
)

// report is what a run found, printed as text.
type report struct {
	o           options
	started     time.Time
	ingest      *ingestRun
	hearthAllIn float64
	flushed     []fileSum
	profiles    []profileResult
	dataset     *dataset
	datasetTime time.Duration
	queries     []queryResult
}

type fileSum struct {
	signal             string
	files, rows, bytes int64
}

type profileResult struct {
	w    workload
	path string
	top  string
}

// write prints the report, and writes it to path too unless path is "".
func (r *report) write(path string) error {
	r.print(os.Stdout)
	if path == "" {
		return nil
	}
	f, err := os.Create(path) //nolint:gosec // G304: the report file the caller named
	if err != nil {
		return err
	}
	r.print(f)
	if err := f.Close(); err != nil {
		return err
	}
	progress("report written to " + path)
	return nil
}

func (r *report) print(w io.Writer) {
	o := r.o
	fmt.Fprintf(w, "Hearth observability benchmarks (issue 16), %s\n", r.started.UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(w, "hearth %s; %s %s/%s, %d CPUs\n", o.label, runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU())
	if r.ingest != nil {
		r.printIngest(w)
	}
	if len(r.profiles) > 0 {
		fmt.Fprintf(w, "\nCPU profiles of hearth under load (8 senders, gRPC; hearth-pprof = hearth + net/http/pprof)\n")
		for _, p := range r.profiles {
			fmt.Fprintf(w, "-- %s: %s\n", p.w, p.path)
			fmt.Fprintln(w, indent(p.top))
		}
	}
	if r.dataset != nil {
		r.printQueries(w)
		r.printStorage(w)
	}
}

func (r *report) printIngest(w io.Writer) {
	o, in := r.o, r.ingest
	fmt.Fprintf(w, "\n1. Ingest: accepted items per CPU-second of the server process (utime+stime from /proc/<pid>/stat)\n")
	fmt.Fprintf(w, "   %d senders, pre-encoded %d-item batches, uncompressed, loopback; server pinned to CPU 0 (taskset -c 0),\n", o.senders, batchItems)
	fmt.Fprintf(w, "   load generator, PostgreSQL, Redis and S3 to CPU 1; %d rounds of %s per system (after %s warm-up), systems alternating\n", o.rounds, o.round, o.warmup)
	fmt.Fprintf(w, "   hearth: `hearth server`, WAL fsync'd before each answer, rate limit lifted\n")
	fmt.Fprintf(w, "   collector-nop: %s\n   collector-file: %s\n\n", o.nopLabel, o.fileLabel)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "   workload\tsystem\tmedian/CPU-s\tper round\titems/s\tCPU busy\thelpers CPU\tclient CPU\tothers CPU\tfailed\t")
	var workloads []workload
	for _, rd := range in.rounds {
		if !slices.Contains(workloads, rd.workload) {
			workloads = append(workloads, rd.workload)
		}
	}
	type key struct {
		w   workload
		sys string
	}
	medians := map[key]float64{}
	withHelpers := map[key]float64{}
	for _, wl := range workloads {
		for _, sys := range in.systems {
			var per, rate, busy, helpers, client, others, whole []float64
			var failed int64
			var rounds []string
			for _, rd := range in.rounds {
				if rd.workload != wl || rd.system != sys.name {
					continue
				}
				per = append(per, rd.perCPU())
				whole = append(whole, float64(rd.items)/(rd.cpu+rd.helpers))
				rate = append(rate, float64(rd.items)/rd.wall)
				busy = append(busy, rd.cpu/rd.wall)
				helpers = append(helpers, rd.helpers/rd.wall)
				client = append(client, rd.client/rd.wall)
				others = append(others, max(0, rd.others/rd.wall)) // tick rounding can make it slightly negative
				failed += rd.failed
				rounds = append(rounds, kilo(rd.perCPU()))
			}
			k := key{wl, sys.name}
			medians[k], withHelpers[k] = median(per), median(whole)
			fmt.Fprintf(tw, "   %s\t%s\t%s\t%s\t%s\t%.0f%%\t%.0f%%\t%.0f%%\t%.0f%%\t%d\t\n", wl, sys.name, kilo(medians[k]), strings.Join(rounds, " "),
				kilo(median(rate)), 100*median(busy), 100*median(helpers), 100*median(client), 100*median(others), failed)
		}
	}
	_ = tw.Flush()
	fmt.Fprintf(w, "\n   ratios of medians (goal: hearth/nop >= 0.5, hearth/file >= 1.0)\n")
	for _, wl := range workloads {
		h := medians[key{wl, "hearth"}]
		line := fmt.Sprintf("   %-12s", wl)
		for _, other := range []string{"collector-nop", "collector-file"} {
			if v, ok := medians[key{wl, other}]; ok && v > 0 {
				short := strings.TrimPrefix(other, "collector-")
				line += fmt.Sprintf("  hearth/%s %.2f", short, h/v)
				line += fmt.Sprintf(" (counting PostgreSQL+Redis+S3 CPU too: %.2f)", withHelpers[key{wl, "hearth"}]/v)
			}
		}
		fmt.Fprintln(w, line)
	}
	fmt.Fprintf(w, "\n   hearth all-in: %s items per CPU-second over its whole run (every item it accepted, warm-ups included, / its CPU\n", kilo(r.hearthAllIn))
	fmt.Fprintf(w, "   from the first round to its exit: idle turns, flushes to Parquet and the final flush included)\n")
	for _, f := range r.flushed {
		fmt.Fprintf(w, "   flushed by hearth: %s %d rows in %d Parquet files, %.1f bytes/row (repetitive payloads: compresses better than real data)\n",
			f.signal, f.rows, f.files, float64(f.bytes)/float64(max(f.rows, 1)))
	}
}

func (r *report) printQueries(w io.Writer) {
	d := r.dataset
	fmt.Fprintf(w, "\n2. Query, through the API (Connect) of a `hearth server` using both CPUs; S3 = versitygw on loopback\n")
	fmt.Fprintf(w, "   data set: %d log rows and %d spans of %d services over %d hours, %d Parquet files per hour and signal\n",
		d.logs.rows, d.spans.rows, len(services), d.hours, d.filesPerHour)
	fmt.Fprintf(w, "   (as compaction leaves past hours), converted by otlpconv, written by columnar in %s (%.0f s writing Parquet)\n",
		r.datasetTime.Round(time.Second), d.logs.writeSeconds+d.spans.writeSeconds)
	for _, q := range r.queries {
		lat := q.latencies()
		fmt.Fprintf(w, "   %s\n", q.name)
		fmt.Fprintf(w, "     warm page cache, %d runs: p50 %s, p95 %s, max %s\n", len(lat), ms(pct(lat, 0.5)), ms(pct(lat, 0.95)), ms(lat[len(lat)-1]))
		var bytes, fc, fs, rgs, rgk, rows []float64
		for _, t := range q.warm {
			s := t.stats
			bytes = append(bytes, float64(s.GetBytesRead()))
			fc = append(fc, float64(s.GetFilesConsidered()))
			fs = append(fs, float64(s.GetFilesScanned()))
			rgs = append(rgs, float64(s.GetRowGroupsScanned()))
			rgk = append(rgk, float64(s.GetRowGroupsSkipped()))
			rows = append(rows, float64(t.rows))
		}
		fmt.Fprintf(w, "     median per query: %.2f MB read from S3, files %.0f considered / %.0f scanned, row groups %.0f scanned / %.0f skipped, %.0f rows returned\n",
			median(bytes)/1e6, median(fc), median(fs), median(rgs), median(rgk), median(rows))
		if q.cold != nil {
			fmt.Fprintf(w, "     cold (page cache dropped first): %s, %.2f MB read\n", ms(q.cold.d), float64(q.cold.stats.GetBytesRead())/1e6)
		} else {
			fmt.Fprintf(w, "     cold: not measured (could not drop the page cache)\n")
		}
	}
	fmt.Fprintf(w, "   targets: QueryLogs p50 < 1 s, GetTrace < 200 ms\n")
}

func (r *report) printStorage(w io.Writer) {
	d := r.dataset
	fmt.Fprintf(w, "\n3. Storage: bytes per million rows (the data set above)\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "   signal\trows\tParquet on S3\tone file per hour\tOTLP protobuf\tOTLP gzip\tgzip / Parquet\t")
	for _, s := range []struct {
		name string
		z    sizes
	}{{"logs", d.logs}, {"spans", d.spans}} {
		per := func(b int64) string { return fmt.Sprintf("%.1f MB", float64(b)/float64(s.z.rows)) } // bytes per row = MB per million
		fmt.Fprintf(tw, "   %s\t%d\t%s\t%s\t%s\t%s\t%.2f\t\n", s.name, s.z.rows, per(s.z.parquet), per(s.z.wholeHour), per(s.z.otlp), per(s.z.otlpGzip),
			float64(s.z.otlpGzip)/float64(s.z.parquet))
	}
	_ = tw.Flush()
	fmt.Fprintf(w, "   (MB = 10^6 bytes per million rows, i.e. bytes per row; OTLP as exports of %d items of one service, gzip level 6)\n", otlpBatch)
	for _, sig := range []record.Signal{record.Logs, record.Traces} {
		c := d.columns[sig]
		if c == nil || c.rows == 0 {
			continue
		}
		names := slices.Collect(maps.Keys(c.cols))
		slices.SortFunc(names, func(a, b string) int { return cmp.Compare(c.cols[b], c.cols[a]) })
		var parts []string
		rest := c.total
		for _, n := range names {
			parts = append(parts, fmt.Sprintf("%s %.1f", n, float64(c.cols[n])/float64(c.rows)))
			rest -= c.cols[n]
		}
		parts = append(parts, fmt.Sprintf("indexes, bloom filters and footer %.1f", float64(rest)/float64(c.rows)))
		fmt.Fprintf(w, "   %s bytes per row by column (first hour's files, %d rows): %s\n", sig, c.rows, strings.Join(parts, ", "))
	}
}

func kilo(v float64) string {
	if v >= 1e6 {
		return fmt.Sprintf("%.2fM", v/1e6)
	}
	return fmt.Sprintf("%.0fk", v/1e3)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d.Microseconds())/1000) }

func indent(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = "   " + l
	}
	return strings.Join(lines, "\n")
}
