package columnar

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"slices"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/hearth-dev/hearth/controlplane/internal/observe/record"
)

// Stats reports what a scan read and skipped. Sum them over files with
// Add.
type Stats struct {
	// RowGroups is the number of row groups in the file.
	RowGroups int64
	// RowGroupsSkipped counts row groups none of whose data was read:
	// pruned by footer statistics, by a bloom filter or by the page index.
	RowGroupsSkipped int64
	// BloomSkipped counts the row groups of RowGroupsSkipped that only
	// the bloom filter excluded.
	BloomSkipped int64
	// RowsScanned counts the rows whose filter columns were evaluated.
	RowsScanned int64
	// RowsMatched counts the rows passed to the callback.
	RowsMatched int64
	// BytesRead and Reads are what the scan read from the file: bytes,
	// and ReadAt calls (GETs; those of one batch run concurrently).
	BytesRead, Reads int64
}

// Add adds o to s.
func (s *Stats) Add(o Stats) {
	s.RowGroups += o.RowGroups
	s.RowGroupsSkipped += o.RowGroupsSkipped
	s.BloomSkipped += o.BloomSkipped
	s.RowsScanned += o.RowsScanned
	s.RowsMatched += o.RowsMatched
	s.BytesRead += o.BytesRead
	s.Reads += o.Reads
}

// ScanLogs calls fn, in file order, for each log record of the file r
// (size bytes) that passes f, until fn returns false. fn may keep the
// record. r may be called concurrently, as io.ReaderAt allows: a scan
// issues the reads of one batch in parallel. A file that is not a
// well-formed logs file yields an error wrapping ErrCorrupt; the Stats
// are valid in every case.
func ScanLogs(ctx context.Context, r io.ReaderAt, size int64, f LogFilter, fn func(*record.Log) bool) (Stats, error) {
	return scan(ctx, r, size, &logSchema, f.plan(), f.Match, fn, scanOptions{})
}

// ScanSpans is ScanLogs for spans.
func ScanSpans(ctx context.Context, r io.ReaderAt, size int64, f SpanFilter, fn func(*record.Span) bool) (Stats, error) {
	return scan(ctx, r, size, &spanSchema, f.plan(), f.Match, fn, scanOptions{})
}

// ScanMetrics is ScanLogs for metric points.
func ScanMetrics(ctx context.Context, r io.ReaderAt, size int64, f MetricFilter, fn func(*record.Metric) bool) (Stats, error) {
	return scan(ctx, r, size, &metricSchema, f.plan(), f.Match, fn, scanOptions{})
}

type scanOptions struct {
	// onPanic, when set, is told of a recovered panic and its stack: the
	// fuzz test fails on a panic raised in this package's code and
	// accepts one contained from the decoder.
	onPanic func(v any, stack []byte)
}

// emitBatch is how many rows phase two decodes at a time.
const emitBatch = 256

type scanner[T any] struct {
	ctx   context.Context
	c     *cache
	f     *parquet.File
	md    *format.FileMetaData
	p     *plan
	match func(*T) bool
	fn    func(*T) bool
	st    *Stats
	// inCallback is set while fn runs, so that a panic there is not
	// taken for the decoder's.
	inCallback bool
}

func scan[T any](ctx context.Context, r io.ReaderAt, size int64, s *signalSchema[T], p *plan,
	match func(*T) bool, fn func(*T) bool, opts scanOptions,
) (st Stats, err error) {
	c := newCache(r, size)
	sc := &scanner[T]{ctx: ctx, c: c, p: p, match: match, fn: fn, st: &st}
	// The checks in this package cannot cover every field parquet-go
	// trusts (a page header's null count, say, which no checksum
	// covers); a decoder that trips on one must cost the query, not the
	// process. A panic in the caller's fn is the caller's, and goes on.
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		if sc.inCallback {
			panic(v)
		}
		if opts.onPanic != nil {
			opts.onPanic(v, debug.Stack())
		}
		err = fmt.Errorf("columnar: scanning %s: %w: decoding failed: %v", s.name, ErrCorrupt, v)
	}()
	defer func() { st.BytesRead, st.Reads = c.src.bytes.Load(), c.src.reads.Load() }()
	if err := sc.run(s); err != nil {
		return st, fmt.Errorf("columnar: scanning %s: %w", s.name, err)
	}
	return st, nil
}

func (sc *scanner[T]) run(s *signalSchema[T]) error {
	f, err := openFile(sc.ctx, sc.c, s)
	if err != nil {
		return err
	}
	if !sc.p.resolve(f.Schema()) {
		return fmt.Errorf("%w: filter columns missing", ErrCorrupt)
	}
	sc.f, sc.md = f, f.Metadata()
	cands, idx, err := sc.candidates()
	if err != nil {
		return err
	}
	for _, i := range cands {
		if err := sc.ctx.Err(); err != nil {
			return err
		}
		stop, err := sc.rowGroup(i, idx[i])
		sc.c.release()
		if err != nil || stop {
			return err
		}
	}
	return nil
}

// candidates prunes row groups by footer statistics, then by bloom
// filter, and loads the page indexes of those left.
func (sc *scanner[T]) candidates() ([]int, map[int]*rowGroupIndex, error) {
	sc.st.RowGroups = int64(len(sc.md.RowGroups))
	var cands []int
	for i := range sc.md.RowGroups {
		if sc.p.rowGroupMayMatch(&sc.md.RowGroups[i]) {
			cands = append(cands, i)
		}
	}
	excluded, err := sc.p.bloomExcludes(sc.ctx, sc.c, sc.md, cands)
	if err != nil {
		return nil, nil, err
	}
	cands = slices.DeleteFunc(cands, func(i int) bool { return excluded[i] })
	sc.st.BloomSkipped = int64(len(excluded))
	sc.st.RowGroupsSkipped = sc.st.RowGroups - int64(len(cands))
	if len(cands) == 0 {
		return nil, nil, nil
	}
	idx, err := loadIndexes(sc.ctx, sc.c, sc.md, cands, sc.p.statColumns())
	return cands, idx, err
}

// rowGroup scans row group i: page pruning, phase one on the filter
// columns, phase two on the matching rows. It reports whether fn asked
// to stop.
func (sc *scanner[T]) rowGroup(i int, idx *rowGroupIndex) (bool, error) {
	numRows := sc.md.RowGroups[i].NumRows
	cand := sc.p.candidateRows(idx, numRows)
	if len(cand) == 0 {
		sc.st.RowGroupsSkipped++
		return false, nil
	}
	sc.st.RowsScanned += rowCount(cand)
	chunks := sc.f.RowGroups()[i].ColumnChunks()
	rows := cand
	if cols := sc.p.filterColumns(); len(cols) > 0 {
		if err := sc.fetchPages(idx, cols, cand); err != nil {
			return false, err
		}
		sel, err := sc.filter(chunks, numRows, cand)
		if err != nil {
			return false, err
		}
		rows = sel.runs(seekGap)
	}
	if len(rows) == 0 {
		return false, nil
	}
	all := make([]int, len(chunks))
	for j := range all {
		all[j] = j
	}
	if err := sc.fetchPages(idx, all, rows); err != nil {
		return false, err
	}
	return sc.emit(sc.f.RowGroups()[i], chunks, rows)
}

// filter is phase one: it returns the candidate rows that pass every
// column predicate and the attribute pairs.
func (sc *scanner[T]) filter(chunks []parquet.ColumnChunk, numRows int64, cand []rowRange) (selection, error) {
	sel := newSelection(numRows, cand)
	for k := range sc.p.cols {
		c := &sc.p.cols[k]
		s, err := newValueStream(chunks[c.col], sc.c)
		if err != nil {
			return nil, err
		}
		err = filterFlat(s, c, sel)
		s.close()
		if err != nil {
			return nil, err
		}
	}
	m := sc.p.attrs
	if m == nil || len(m.want) > 64 {
		return sel, nil // more pairs than mask bits: Match alone decides
	}
	found := make([]uint64, numRows)
	for k := range m.keyCols {
		if err := sc.markMap(chunks[m.keyCols[k]], chunks[m.valCols[k]], m.want, sel, found); err != nil {
			return nil, err
		}
	}
	all := uint64(1)<<len(m.want) - 1
	for row := range sel {
		sel[row] = sel[row] && found[row] == all
	}
	return sel, nil
}

func (sc *scanner[T]) markMap(keyChunk, valChunk parquet.ColumnChunk, want []kv, sel selection, found []uint64) error {
	keys, err := newValueStream(keyChunk, sc.c)
	if err != nil {
		return err
	}
	defer keys.close()
	vals, err := newValueStream(valChunk, sc.c)
	if err != nil {
		return err
	}
	defer vals.close()
	return markPairs(keys, vals, want, sel, found)
}

// emit is phase two: decode the rows of runs into T, test each with
// Match and hand the matches to fn.
func (sc *scanner[T]) emit(rg parquet.RowGroup, chunks []parquet.ColumnChunk, runs []rowRange) (bool, error) {
	for _, cc := range chunks {
		if fc, ok := cc.(*parquet.FileColumnChunk); ok {
			if _, err := fc.OffsetIndex(); err != nil { // so seeks jump
				return false, fmt.Errorf("%w: %w", ErrCorrupt, err)
			}
		}
	}
	r := parquet.NewGenericRowGroupReader[T](rg)
	defer func() { _ = r.Close() }() // it only returns buffers to pools
	for _, run := range runs {
		if err := r.SeekToRow(run.first); err != nil {
			return false, fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		for left := run.end - run.first; left > 0; {
			if err := sc.ctx.Err(); err != nil {
				return false, err
			}
			// A fresh batch each time: fn may keep the rows.
			batch := make([]T, min(left, emitBatch))
			n, err := r.Read(batch)
			if err != nil && !errors.Is(err, io.EOF) {
				return false, fmt.Errorf("%w: reading rows: %w", ErrCorrupt, err)
			}
			if n < len(batch) {
				// Fewer rows than the offset index promised: a damaged
				// page, or the decoder stopping (n == 0 with no error
				// would otherwise loop here forever).
				return false, fmt.Errorf("%w: %d of %d rows read", ErrCorrupt, n, len(batch))
			}
			left -= int64(n)
			for k := range batch[:n] {
				if !sc.match(&batch[k]) {
					continue
				}
				sc.st.RowsMatched++
				sc.inCallback = true
				more := sc.fn(&batch[k])
				sc.inCallback = false
				if !more {
					return true, nil
				}
			}
		}
	}
	return false, nil
}

// fetchPages fetches and validates, for each column in cols, the pages
// holding rows (and the dictionary page). See planChunk.
func (sc *scanner[T]) fetchPages(idx *rowGroupIndex, cols []int, rows []rowRange) error {
	var ranges []byteRange
	for _, col := range cols {
		ranges = append(ranges, planChunk(&idx.pages[col], rows)...)
	}
	if err := sc.c.fetch(sc.ctx, ranges, false); err != nil {
		return err
	}
	for _, col := range cols {
		if err := checkPlannedPages(sc.c, &idx.pages[col], rows); err != nil {
			return fmt.Errorf("column %d: %w", col, err)
		}
	}
	return nil
}
