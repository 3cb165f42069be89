package observe

import (
	"slices"
	"sync"

	"github.com/hearth-dev/hearth/controlplane/internal/observe/record"
)

// hotStore holds the rows of this replica's write-ahead-log segments that
// are not in Parquet yet, by segment and project, so queries see data the
// moment it is acknowledged. Rows are never changed once added: a
// snapshot shares their backing arrays with later appends safely.
type hotStore struct {
	mu       sync.RWMutex
	segments map[uint64]*hotSegment
	// dropped are segments already in Parquet: a straggling add (its
	// Append returned before the segment was flushed, but it got here
	// after) is ignored, as its rows are in the files.
	dropped map[uint64]struct{}
	rows    int64
}

type hotSegment struct {
	projects map[string]*hotRows
}

type hotRows struct {
	spans   []record.Span
	logs    []record.Log
	metrics []record.Metric
}

func newHotStore() *hotStore {
	return &hotStore{segments: map[uint64]*hotSegment{}, dropped: map[uint64]struct{}{}}
}

// add keeps b's rows as part of segment seg.
func (h *hotStore) add(seg uint64, b *record.Batch) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, gone := h.dropped[seg]; gone {
		return
	}
	s := h.segments[seg]
	if s == nil {
		s = &hotSegment{projects: map[string]*hotRows{}}
		h.segments[seg] = s
	}
	r := s.projects[b.Project]
	if r == nil {
		r = &hotRows{}
		s.projects[b.Project] = r
	}
	r.spans = append(r.spans, b.Spans...)
	r.logs = append(r.logs, b.Logs...)
	r.metrics = append(r.metrics, b.Metrics...)
	h.rows += int64(b.Len())
}

// drop forgets segment seg: its rows are in Parquet files now.
func (h *hotStore) drop(seg uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if s := h.segments[seg]; s != nil {
		for _, r := range s.projects {
			h.rows -= int64(len(r.spans) + len(r.logs) + len(r.metrics))
		}
	}
	delete(h.segments, seg)
	h.dropped[seg] = struct{}{}
	// Segment ids only grow: forget markers far behind the oldest held
	// segment, so the set stays small.
	for id := range h.dropped {
		if id+1024 < seg {
			delete(h.dropped, id)
		}
	}
}

// rowCount is the number of rows held.
func (h *hotStore) rowCount() int64 {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.rows
}

// HotSnapshot is one project's rows held by one replica at one moment,
// and the segments they came from (files flushed from those segments are
// left out of the same query).
type HotSnapshot struct {
	Segments []uint64
	Spans    [][]record.Span
	Logs     [][]record.Log
	Metrics  [][]record.Metric
}

// snapshot returns project's rows as of now.
func (h *hotStore) snapshot(project string) HotSnapshot {
	h.mu.RLock()
	defer h.mu.RUnlock()
	var out HotSnapshot
	for id, s := range h.segments {
		// Every held segment is listed, even without rows of this
		// project: none of its files may be counted either way.
		out.Segments = append(out.Segments, id)
		r := s.projects[project]
		if r == nil {
			continue
		}
		// Full slice expressions: a later append never writes into what
		// the snapshot sees.
		out.Spans = append(out.Spans, r.spans[:len(r.spans):len(r.spans)])
		out.Logs = append(out.Logs, r.logs[:len(r.logs):len(r.logs)])
		out.Metrics = append(out.Metrics, r.metrics[:len(r.metrics):len(r.metrics)])
	}
	slices.Sort(out.Segments)
	return out
}
