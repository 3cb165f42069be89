// Package query is the observe feature's query engine: it answers logs,
// traces and metrics over one project's data wherever it lives, in
// replicas' memory (rows acknowledged but not flushed yet: the Hot
// interface, one replica's own today, its peers' too once the control
// plane fans out) and in Parquet files on S3 (listed by the Catalog,
// pruned by time range and statistics, read by ranges). A row is counted
// once: a file flushed from a segment that a hot part still holds is
// skipped.
package query

import (
	"context"
	"errors"
	"slices"
	"sync"

	"github.com/hearth-dev/hearth/controlplane/internal/observe/columnar"
	"github.com/hearth-dev/hearth/controlplane/internal/observe/record"
)

// HotPart is the rows one replica holds in memory for a project, and the
// WAL segments they came from.
type HotPart struct {
	Replica  string
	Segments []uint64
	Spans    [][]record.Span
	Logs     [][]record.Log
	Metrics  [][]record.Metric
}

// Hot answers for the rows not in Parquet yet.
type Hot interface {
	Parts(ctx context.Context, project string) ([]HotPart, error)
}

// File is one Parquet object of the catalog.
type File struct {
	Key              string
	MinTime, MaxTime int64
	Rows, Size       int64
	Services         []string
	// Replica and Segment name the WAL segment a flushed file came from
	// (Segment < 0: a compacted file).
	Replica string
	Segment int64
}

// Catalog lists the files of a project and signal that may hold rows in
// [from, to), newest first.
type Catalog interface {
	Files(ctx context.Context, project string, signal record.Signal, from, to int64) ([]File, error)
}

// Objects reads ranges of S3 objects.
type Objects interface {
	ReadAt(ctx context.Context, key string, p []byte, off int64) (int, error)
}

// Engine answers queries.
type Engine struct {
	Hot     Hot
	Catalog Catalog
	Objects Objects
	// Parallel bounds the files read at once (default 4).
	Parallel int
}

// Stats is what a query cost.
type Stats struct {
	FilesConsidered, FilesScanned          int64
	RowGroupsScanned, RowGroupsSkipped     int64
	RowsScanned, BytesRead, HotRowsScanned int64
}

func (s *Stats) addScan(c columnar.Stats) {
	s.FilesScanned++
	s.RowGroupsScanned += c.RowGroups - c.RowGroupsSkipped
	s.RowGroupsSkipped += c.RowGroupsSkipped
	s.RowsScanned += c.RowsScanned
	s.BytesRead += c.BytesRead
}

// snapshot is the hot parts of one query and the files it may read.
type snapshot struct {
	hot   []HotPart
	files []File
}

// take lists the hot parts first, then the files: a segment flushed in
// between is then in both, and its file is left out (the hot part has its
// rows); listing the other way round could miss it in both. Files whose
// services (from the catalog) hold none of services are left out too.
func (e *Engine) take(ctx context.Context, project string, sig record.Signal, from, to int64, services []string) (snapshot, error) {
	parts, err := e.Hot.Parts(ctx, project)
	if err != nil {
		return snapshot{}, err
	}
	files, err := e.Catalog.Files(ctx, project, sig, from, to)
	if err != nil {
		return snapshot{}, err
	}
	held := map[string]map[int64]bool{}
	for _, p := range parts {
		m := held[p.Replica]
		if m == nil {
			m = map[int64]bool{}
			held[p.Replica] = m
		}
		for _, seg := range p.Segments {
			m[int64(seg)] = true //nolint:gosec // G115: WAL segment ids count up from 1
		}
	}
	kept := files[:0]
	for _, f := range files {
		if f.Segment >= 0 && held[f.Replica][f.Segment] || !anyService(f.Services, services) {
			continue
		}
		kept = append(kept, f)
	}
	return snapshot{hot: parts, files: kept}, nil
}

// objectReader is one object as an io.ReaderAt under ctx.
type objectReader struct {
	ctx context.Context
	o   Objects
	key string
}

func (r objectReader) ReadAt(p []byte, off int64) (int, error) {
	return r.o.ReadAt(r.ctx, r.key, p, off)
}

// scanFiles runs scan over files, at most e.Parallel at once, in order of
// the slice for the results it returns; stop (checked between files)
// ends it early.
func (e *Engine) scanFiles(ctx context.Context, files []File, stats *Stats,
	scan func(ctx context.Context, f File, r objectReader) (columnar.Stats, error),
) error {
	par := e.Parallel
	if par <= 0 {
		par = 4
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu    sync.Mutex
		first error
		wg    sync.WaitGroup
		sem   = make(chan struct{}, par)
	)
	for _, f := range files {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			st, err := scan(ctx, f, objectReader{ctx: ctx, o: e.Objects, key: f.Key})
			mu.Lock()
			defer mu.Unlock()
			stats.addScan(st)
			if err != nil && first == nil && !errors.Is(err, context.Canceled) {
				first = err
				cancel()
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return first
	}
	return context.Cause(ctx)
}

// anyService reports whether a file listing have may hold one of want
// (an empty list on either side: it may).
func anyService(have, want []string) bool {
	if len(have) == 0 || len(want) == 0 {
		return true
	}
	for _, w := range want {
		if slices.Contains(have, w) {
			return true
		}
	}
	return false
}
