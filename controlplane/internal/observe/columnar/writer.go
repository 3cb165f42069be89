package columnar

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"

	"github.com/hearth-dev/hearth/controlplane/internal/observe/record"
)

// Row-group and page sizing.
//
// A row group is what footer statistics prune and what the reader
// fetches with one round of ranged reads per phase. 32768 rows make a log
// row group about 1.2 MiB (≈36 bytes a row, see BenchmarkWriteLogs): big
// enough that a GET is worth its latency, small enough that a busy
// service's hour (1M+ rows) has 30+ row groups to skip. The byte bound
// caps row groups of wide rows (spans with many attributes, huge log
// bodies) at the same order, and bounds the writer's and the reader's
// memory per row group.
//
// A page is what the page index prunes inside a row group: pages end
// every 2048 rows (and at 64 KiB before compression), in every column at
// the same rows, so a page the time column rules out is skipped in every
// column. 2048 rows cost 2.6% of file size over unbounded pages and cut
// what a narrow query reads by about 2.5 (1024 rows: +6.5% size for a
// further 20%).
//
// Both also end at a change of service once they are half full, so most
// pages and row groups hold one service: their time bounds are then that
// service's alone, not the end of one service and the start of the next.
const (
	maxRowGroupRows  = 32768
	maxRowGroupBytes = 8 << 20
	pageBufferSize   = 64 << 10
	pageRows         = 2048
	// writeBatch bounds the rows handed to parquet-go at a time.
	writeBatch = 1024
	// bloomBitsPerValue gives a split-block filter a false-positive rate
	// of about 1% (parquet-format BloomFilter.md), so a trace-id lookup
	// reads ~1% of the row groups that do not hold the trace.
	bloomBitsPerValue = 10
)

// Meta describes a written file, for the catalog that lists files
// without opening them.
type Meta struct {
	// Rows is the number of rows written.
	Rows int64
	// MinTime and MaxTime bound the rows' times (Unix nanoseconds, both
	// inclusive); zero when Rows is zero.
	MinTime, MaxTime int64
	// Services lists the distinct services of the rows, sorted.
	Services []string
	// Bytes is the size of the file written.
	Bytes int64
}

// WriteSpans writes rows as one Parquet file to w, sorted by project,
// service and start time. rows itself is not reordered.
func WriteSpans(w io.Writer, rows []record.Span) (Meta, error) {
	return write(w, rows, &spanSchema)
}

// WriteLogs writes rows as one Parquet file to w, sorted by project,
// service and time. rows itself is not reordered.
func WriteLogs(w io.Writer, rows []record.Log) (Meta, error) {
	return write(w, rows, &logSchema)
}

// WriteMetrics writes rows as one Parquet file to w, sorted by project,
// service and time. rows itself is not reordered.
func WriteMetrics(w io.Writer, rows []record.Metric) (Meta, error) {
	return write(w, rows, &metricSchema)
}

// sortKey is the order rows are written in. Project first although a file
// normally holds one: correctness must not depend on the caller. Service
// then time make the service and time columns' statistics narrow, which is
// what lets the reader skip row groups and pages.
type sortKey struct {
	project, service string
	time             int64
}

func compareKeys(a, b sortKey) int {
	if c := cmp.Compare(a.project, b.project); c != 0 {
		return c
	}
	if c := cmp.Compare(a.service, b.service); c != 0 {
		return c
	}
	return cmp.Compare(a.time, b.time)
}

func write[T any](w io.Writer, rows []T, s *signalSchema[T]) (Meta, error) {
	order := sortedOrder(rows, s.key)
	cw := &countingWriter{w: w}
	pw := parquet.NewGenericWriter[T](cw, s.writerOptions()...)
	meta := Meta{MinTime: math.MaxInt64, MaxTime: math.MinInt64}
	services := make(map[string]struct{})
	batch := make([]T, 0, writeBatch)
	inPage, inGroup, groupStart := 0, 0, pw.Size()
	for i := 0; i < len(order); {
		// The batch ends where a page must: at pageRows, at the row
		// group's end, or at a change of service in a half-full page.
		batch = batch[:0]
		for ; i < len(order) && len(batch) < writeBatch && inPage+len(batch) < pageRows; i++ {
			if len(batch) > 0 && inPage+len(batch) >= pageRows/2 && newService(rows, order, i, s.key) {
				break
			}
			row := &rows[order[i]]
			k := s.key(row)
			meta.MinTime, meta.MaxTime = min(meta.MinTime, k.time), max(meta.MaxTime, k.time)
			services[k.service] = struct{}{}
			batch = append(batch, *row)
		}
		if _, err := pw.Write(batch); err != nil {
			return Meta{}, fmt.Errorf("columnar: writing %s rows: %w", s.name, err)
		}
		inPage, inGroup = inPage+len(batch), inGroup+len(batch)
		switch {
		case inGroup >= maxRowGroupRows || pw.Size()-groupStart >= maxRowGroupBytes ||
			(inGroup >= maxRowGroupRows/2 && newService(rows, order, i, s.key)):
			if err := pw.Flush(); err != nil {
				return Meta{}, fmt.Errorf("columnar: writing %s row group: %w", s.name, err)
			}
			inPage, inGroup, groupStart = 0, 0, pw.Size()
		case inPage >= pageRows || (inPage >= pageRows/2 && newService(rows, order, i, s.key)):
			if err := flushPages(pw); err != nil {
				return Meta{}, fmt.Errorf("columnar: writing %s page: %w", s.name, err)
			}
			inPage = 0
		}
	}
	if err := pw.Close(); err != nil {
		return Meta{}, fmt.Errorf("columnar: closing %s file: %w", s.name, err)
	}
	meta.Rows, meta.Bytes = int64(len(rows)), cw.n
	if meta.Rows == 0 {
		meta.MinTime, meta.MaxTime = 0, 0
	}
	meta.Services = slices.Sorted(maps.Keys(services))
	return meta, nil
}

// newService reports whether row order[i] starts another project or
// service than the row before it (false at either end).
func newService[T any](rows []T, order []int32, i int, key func(*T) sortKey) bool {
	if i == 0 || i >= len(order) {
		return false
	}
	a, b := key(&rows[order[i-1]]), key(&rows[order[i]])
	return a.project != b.project || a.service != b.service
}

// flushPages ends the current page of every column.
func flushPages[T any](pw *parquet.GenericWriter[T]) error {
	for _, c := range pw.ColumnWriters() {
		if err := c.Flush(); err != nil {
			return err
		}
	}
	return nil
}

// sortedOrder returns the indexes of rows in write order. Sorting keys
// and indexes instead of rows leaves the caller's slice alone and moves
// small values; ties go to the earlier row, so rows with equal keys keep
// their arrival order and rewriting the same rows makes the same file.
func sortedOrder[T any](rows []T, key func(*T) sortKey) []int32 {
	type keyed struct {
		sortKey
		i int32
	}
	keys := make([]keyed, len(rows))
	sorted := true
	for i := range rows {
		keys[i] = keyed{key(&rows[i]), int32(i)}
		sorted = sorted && (i == 0 || compareKeys(keys[i-1].sortKey, keys[i].sortKey) <= 0)
	}
	if !sorted {
		slices.SortFunc(keys, func(a, b keyed) int {
			return cmp.Or(compareKeys(a.sortKey, b.sortKey), cmp.Compare(a.i, b.i))
		})
	}
	order := make([]int32, len(rows))
	for i, k := range keys {
		order[i] = k.i
	}
	return order
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func commonWriterOptions() []parquet.WriterOption {
	return []parquet.WriterOption{
		parquet.Compression(&zstd.Codec{Level: zstd.SpeedDefault}),
		parquet.PageBufferSize(pageBufferSize),
		// Delta encoding turns sorted timestamps into small deltas
		// that bit-pack to a few bits a row before zstd sees them.
		parquet.DefaultEncodingFor(parquet.Int64, &parquet.DeltaBinaryPacked),
		parquet.CreatedBy("hearth", "", ""),
	}
}
