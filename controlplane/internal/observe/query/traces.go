package query

import (
	"bytes"
	"cmp"
	"context"
	"slices"
	"sync"

	"github.com/hearth-dev/hearth/controlplane/internal/observe/columnar"
	"github.com/hearth-dev/hearth/controlplane/internal/observe/record"
)

// statusError is OTLP's STATUS_CODE_ERROR.
const statusError = 2

// Trace returns every span of one trace found in [from, to), ordered by
// start time (a waterfall). Files are pruned by time and, inside, by the
// trace id's bloom filter.
func (e *Engine) Trace(ctx context.Context, project string, traceID []byte, from, to int64) ([]record.Span, Stats, error) {
	f := columnar.SpanFilter{From: from, To: to, TraceID: traceID}
	spans, stats, err := e.spans(ctx, project, f, nil)
	slices.SortFunc(spans, func(a, b record.Span) int {
		if c := cmp.Compare(a.StartNano, b.StartNano); c != 0 {
			return c
		}
		return bytes.Compare(a.SpanID, b.SpanID)
	})
	return spans, stats, err
}

// spans collects the spans matching f, hot and cold; keep, when set,
// narrows further (it sees only spans f matched).
func (e *Engine) spans(ctx context.Context, project string, f columnar.SpanFilter, keep func(*record.Span) bool) ([]record.Span, Stats, error) {
	var stats Stats
	snap, err := e.take(ctx, project, record.Traces, f.From, orMax(f.To), f.Services)
	if err != nil {
		return nil, stats, err
	}
	stats.FilesConsidered = int64(len(snap.files))
	var mu sync.Mutex
	var out []record.Span
	add := func(s *record.Span) bool {
		if keep == nil || keep(s) {
			mu.Lock()
			out = append(out, *s)
			mu.Unlock()
		}
		return true
	}
	for _, part := range snap.hot {
		for _, rows := range part.Spans {
			for i := range rows {
				stats.HotRowsScanned++
				if f.Match(&rows[i]) {
					add(&rows[i])
				}
			}
		}
	}
	err = e.scanFiles(ctx, snap.files, &stats, func(ctx context.Context, file File, r objectReader) (columnar.Stats, error) {
		return columnar.ScanSpans(ctx, r, file.Size, f, add)
	})
	return out, stats, err
}

// TraceSearch selects traces by their spans.
type TraceSearch struct {
	Filter columnar.SpanFilter
	Limit  int
}

// TraceSummary describes one trace found.
type TraceSummary struct {
	TraceID               []byte
	RootService, RootName string
	StartNano, EndNano    int64
	Spans, Errors         int
}

// SearchTraces finds the newest traces with a span matching the search,
// then summarises each from all its spans in the same time range.
func (e *Engine) SearchTraces(ctx context.Context, project string, q TraceSearch) ([]TraceSummary, Stats, error) {
	matched, stats, err := e.spans(ctx, project, q.Filter, nil)
	if err != nil {
		return nil, stats, err
	}
	// The newest traces by their newest matching span.
	newest := map[string]int64{}
	for i := range matched {
		k := string(matched[i].TraceID)
		newest[k] = max(newest[k], matched[i].StartNano)
	}
	ids := make([]string, 0, len(newest))
	for k := range newest {
		ids = append(ids, k)
	}
	slices.SortFunc(ids, func(a, b string) int { return cmp.Compare(newest[b], newest[a]) })
	if len(ids) > q.Limit {
		ids = ids[:q.Limit]
	}
	if len(ids) == 0 {
		return nil, stats, nil
	}
	wanted := make(map[string]bool, len(ids))
	for _, id := range ids {
		wanted[id] = true
	}
	all := columnar.SpanFilter{From: q.Filter.From, To: q.Filter.To}
	spans, more, err := e.spans(ctx, project, all, func(s *record.Span) bool { return wanted[string(s.TraceID)] })
	stats.add(more)
	if err != nil {
		return nil, stats, err
	}
	byTrace := map[string]*TraceSummary{}
	for i := range spans {
		s := &spans[i]
		t := byTrace[string(s.TraceID)]
		if t == nil {
			t = &TraceSummary{TraceID: s.TraceID, StartNano: s.StartNano, EndNano: s.StartNano + s.DurationNano}
			byTrace[string(s.TraceID)] = t
		}
		t.Spans++
		if s.StatusCode == statusError {
			t.Errors++
		}
		isRoot := len(s.ParentSpanID) == 0
		if s.StartNano <= t.StartNano || (isRoot && t.RootName == "") {
			if isRoot || t.RootName == "" || s.StartNano < t.StartNano {
				t.RootService, t.RootName = s.Service, s.Name
			}
		}
		t.StartNano = min(t.StartNano, s.StartNano)
		t.EndNano = max(t.EndNano, s.StartNano+s.DurationNano)
	}
	out := make([]TraceSummary, 0, len(ids))
	for _, id := range ids {
		if t := byTrace[id]; t != nil {
			out = append(out, *t)
		}
	}
	return out, stats, nil
}

func (s *Stats) add(o Stats) {
	s.FilesConsidered += o.FilesConsidered
	s.FilesScanned += o.FilesScanned
	s.RowGroupsScanned += o.RowGroupsScanned
	s.RowGroupsSkipped += o.RowGroupsSkipped
	s.RowsScanned += o.RowsScanned
	s.BytesRead += o.BytesRead
	s.HotRowsScanned += o.HotRowsScanned
}
