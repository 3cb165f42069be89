package main

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/parquet-go/parquet-go"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/hearth-dev/hearth/controlplane/internal/objectstore"
	"github.com/hearth-dev/hearth/controlplane/internal/observe/columnar"
	"github.com/hearth-dev/hearth/controlplane/internal/observe/otlpconv"
	"github.com/hearth-dev/hearth/controlplane/internal/observe/record"
)

// The query data set: hours of logs and spans converted from OTLP by the
// control plane's own conversion (otlpconv), written by its own Parquet
// writer (columnar, as compaction writes) to S3 under the object-key
// layout of observe/flush.go and recorded in observe_files as compacted
// (level 1) files, like the ones compaction leaves behind. Compaction
// runs every 5 minutes and never merges level-1 files again, so a past
// hour ends up as about 12 files of 5 minutes each: filesPerHour.

// otlpBatch is the export size the OTLP comparison is made with (what a
// collector's batch processor or an SDK's batch exporter sends).
const otlpBatch = 1000

// sizes is what a signal of the data set takes.
type sizes struct {
	rows, files    int64
	parquet        int64 // bytes on S3
	wholeHour      int64 // the same rows as one Parquet file per hour (not stored)
	otlp, otlpGzip int64 // as OTLP protobuf exports of otlpBatch items, raw and gzip'd
	writeSeconds   float64
}

type dataset struct {
	project      uuid.UUID
	objects      *objectstore.Store
	db           *pgxpool.Pool
	filesPerHour int
	first        time.Time // the first hour
	hours        int
	logsPerHour  int
	spansPerHour int
	now          time.Time

	mu          sync.Mutex
	logs, spans sizes
	traceIDs    [][]byte // some trace ids, a few per hour, for GetTrace
	// columns are the bytes per column of the first hour's files.
	columns map[record.Signal]*columnBytes
}

// columnBytes sums Parquet files' compressed column chunks by top-level
// column; the rest of a file is its indexes, bloom filters and footer.
type columnBytes struct {
	rows, total int64
	cols        map[string]int64
}

func (c *columnBytes) add(b []byte) error {
	f, err := parquet.OpenFile(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return err
	}
	for _, rg := range f.Metadata().RowGroups {
		for _, cc := range rg.Columns {
			c.cols[cc.MetaData.PathInSchema[0]] += cc.MetaData.TotalCompressedSize
		}
	}
	c.rows += f.NumRows()
	c.total += int64(len(b))
	return nil
}

// generate writes every hour, a worker per CPU.
func (d *dataset) generate(ctx context.Context, progress func(string)) error {
	hours := make(chan int)
	errs := make(chan error, d.hours)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for h := range hours {
				if err := d.hour(ctx, h); err != nil {
					errs <- fmt.Errorf("hour %d: %w", h, err)
					return
				}
				progress(fmt.Sprintf("data set: hour %d of %d written", h+1, d.hours))
			}
		})
	}
	for h := range d.hours {
		select {
		case hours <- h:
		case err := <-errs:
			close(hours)
			wg.Wait()
			return err
		}
	}
	close(hours)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}

// otlpSize measures one export, raw and gzip'd.
type otlpSize struct {
	gz  *gzip.Writer
	cnt countWriter
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

func (o *otlpSize) add(s *sizes, m proto.Message) error {
	b, err := proto.Marshal(m)
	if err != nil {
		return err
	}
	o.cnt.n = 0
	if o.gz == nil {
		o.gz = gzip.NewWriter(&o.cnt)
	} else {
		o.gz.Reset(&o.cnt)
	}
	if _, err := o.gz.Write(b); err != nil {
		return err
	}
	if err := o.gz.Close(); err != nil {
		return err
	}
	s.otlp += int64(len(b))
	s.otlpGzip += o.cnt.n
	return nil
}

// hour generates, converts and writes hour h.
func (d *dataset) hour(ctx context.Context, h int) error {
	r := rand.New(rand.NewPCG(16, uint64(h))) //nolint:gosec // G404: synthetic data, the same every run
	start := d.first.Add(time.Duration(h) * time.Hour)
	g := hourGen{d: d, r: r, from: uint64(start.UnixNano()), tenant: otlpconv.Tenant{Project: d.project.String()}, lim: otlpconv.DefaultLimits()}
	var ls, ss sizes
	logs, err := g.logs(&ls)
	if err != nil {
		return err
	}
	spans, err := g.spans(&ss)
	if err != nil {
		return err
	}

	// One file per slice of the hour; and the whole hour's size for
	// comparison.
	perFile := int64(time.Hour) / int64(d.filesPerHour)
	slot := func(t int64) int { return int((t - start.UnixNano()) / perFile) }
	var logCols, spanCols *columnBytes
	if h == 0 {
		logCols, spanCols = d.columns[record.Logs], d.columns[record.Traces]
	}
	if err := writeSlots(ctx, d, record.Logs, start, logs, func(l *record.Log) int { return slot(l.TimeNano) }, columnar.WriteLogs, &ls, logCols); err != nil {
		return err
	}
	if err := writeSlots(ctx, d, record.Traces, start, spans, func(s *record.Span) int { return slot(s.StartNano) }, columnar.WriteSpans, &ss, spanCols); err != nil {
		return err
	}
	var whole countWriter
	if _, err := columnar.WriteLogs(&whole, logs); err != nil {
		return err
	}
	ls.wholeHour = whole.n
	whole.n = 0
	if _, err := columnar.WriteSpans(&whole, spans); err != nil {
		return err
	}
	ss.wholeHour = whole.n

	d.mu.Lock()
	defer d.mu.Unlock()
	for _, p := range []struct{ to, from *sizes }{{&d.logs, &ls}, {&d.spans, &ss}} {
		p.to.rows += p.from.rows
		p.to.files += p.from.files
		p.to.parquet += p.from.parquet
		p.to.wholeHour += p.from.wholeHour
		p.to.otlp += p.from.otlp
		p.to.otlpGzip += p.from.otlpGzip
		p.to.writeSeconds += p.from.writeSeconds
	}
	return nil
}

// hourGen makes one hour's rows the way ingest would: OTLP exports of
// otlpBatch items, converted by otlpconv.
type hourGen struct {
	d      *dataset
	r      *rand.Rand
	from   uint64 // the hour's start, Unix nanoseconds
	tenant otlpconv.Tenant
	lim    otlpconv.Limits
	sz     otlpSize
}

// logs is each service's records of the hour, in time order.
func (g *hourGen) logs(s *sizes) ([]record.Log, error) {
	var weights float64
	for i := range services {
		weights += serviceWeight(i)
	}
	var logs []record.Log
	for i, svc := range services {
		ts := sortedTimes(g.r, int(float64(g.d.logsPerHour)*serviceWeight(i)/weights), g.from, uint64(time.Hour))
		for b := range slices.Chunk(ts, otlpBatch) {
			req := logsRequest(g.r, svc, b)
			if err := g.sz.add(s, req); err != nil {
				return nil, err
			}
			rows, drops := otlpconv.Logs(g.tenant, req, g.d.now, g.lim)
			if drops.Rejected() > 0 {
				return nil, fmt.Errorf("otlpconv refused log records: %s", drops.Message())
			}
			logs = append(logs, rows...)
		}
	}
	return logs, nil
}

// spans is the spans of traces starting through the hour, exported by
// service in time order; a few trace ids are kept for GetTrace.
func (g *hourGen) spans(s *sizes) ([]record.Span, error) {
	bySvc := map[string][]*tracepb.Span{}
	for n := 0; n < g.d.spansPerHour; {
		tr := trace(g.r, g.from+g.r.Uint64N(uint64(time.Hour-time.Second)))
		if g.r.IntN(max(1, g.d.spansPerHour/40)) == 0 { // ~4 an hour
			g.d.mu.Lock()
			g.d.traceIDs = append(g.d.traceIDs, tr[0].span.TraceId)
			g.d.mu.Unlock()
		}
		for _, s := range tr {
			bySvc[s.service] = append(bySvc[s.service], s.span)
		}
		n += len(tr)
	}
	var spans []record.Span
	for _, svc := range services {
		list := bySvc[svc]
		slices.SortFunc(list, func(a, b *tracepb.Span) int { return cmp.Compare(a.StartTimeUnixNano, b.StartTimeUnixNano) })
		for b := range slices.Chunk(list, otlpBatch) {
			req := tracesRequest(g.r, svc, b)
			if err := g.sz.add(s, req); err != nil {
				return nil, err
			}
			rows, drops := otlpconv.Traces(g.tenant, req, g.d.now, g.lim)
			if drops.Rejected() > 0 {
				return nil, fmt.Errorf("otlpconv refused spans: %s", drops.Message())
			}
			spans = append(spans, rows...)
		}
	}
	return spans, nil
}

// writeSlots writes rows as one Parquet file per slot, uploads each and
// records it in observe_files.
func writeSlots[T any](ctx context.Context, d *dataset, sig record.Signal, hour time.Time, rows []T, slotOf func(*T) int,
	write func(io.Writer, []T) (columnar.Meta, error), s *sizes, cols *columnBytes,
) error {
	slots := make([][]T, d.filesPerHour)
	for i := range rows {
		k := slotOf(&rows[i])
		slots[k] = append(slots[k], rows[i])
	}
	for _, part := range slots {
		if len(part) == 0 {
			continue
		}
		var buf bytes.Buffer
		began := time.Now()
		meta, err := write(&buf, part)
		if err != nil {
			return err
		}
		s.writeSeconds += time.Since(began).Seconds()
		if cols != nil {
			if err := cols.add(buf.Bytes()); err != nil {
				return err
			}
		}
		id := uuid.Must(uuid.NewV7())
		// The layout of observe/flush.go's objectKey.
		key := fmt.Sprintf("%s/%s/%04d/%02d/%02d/%02d/%s.parquet", sig, d.project, hour.Year(), int(hour.Month()), hour.Day(), hour.Hour(), id)
		size := int64(buf.Len())
		if err := d.objects.Put(ctx, key, &buf, size, "application/vnd.apache.parquet"); err != nil {
			return err
		}
		// observe's InsertFile, as compaction records a merged file.
		_, err = d.db.Exec(ctx, `INSERT INTO observe_files (id, signal, project_id, object_key, min_time, max_time, row_count, size_bytes, services, hour, level)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1)`,
			id, sig.String(), d.project, key, meta.MinTime, meta.MaxTime, meta.Rows, size, meta.Services, hour.Unix())
		if err != nil {
			return fmt.Errorf("recording %s: %w", key, err)
		}
		s.rows += meta.Rows
		s.files++
		s.parquet += size
	}
	return nil
}
