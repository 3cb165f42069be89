package query

import (
	"cmp"
	"context"
	"slices"
	"sync"

	"github.com/hearth-dev/hearth/controlplane/internal/observe/columnar"
	"github.com/hearth-dev/hearth/controlplane/internal/observe/record"
)

// MetricQuery selects one metric's points and aggregates them.
type MetricQuery struct {
	Filter columnar.MetricFilter
	AggregateRequest
}

// Metrics answers a metric query as series of steps.
func (e *Engine) Metrics(ctx context.Context, project string, q MetricQuery) ([]Series, Stats, error) {
	points, stats, err := e.points(ctx, project, q.Filter)
	if err != nil {
		return nil, stats, err
	}
	series, err := Aggregate(points, q.AggregateRequest)
	return series, stats, err
}

func (e *Engine) points(ctx context.Context, project string, f columnar.MetricFilter) ([]record.Metric, Stats, error) {
	var stats Stats
	snap, err := e.take(ctx, project, record.Metrics, f.From, orMax(f.To), f.Services)
	if err != nil {
		return nil, stats, err
	}
	stats.FilesConsidered = int64(len(snap.files))
	var mu sync.Mutex
	var out []record.Metric
	for _, part := range snap.hot {
		for _, rows := range part.Metrics {
			for i := range rows {
				stats.HotRowsScanned++
				if f.Match(&rows[i]) {
					out = append(out, rows[i])
				}
			}
		}
	}
	err = e.scanFiles(ctx, snap.files, &stats, func(ctx context.Context, file File, r objectReader) (columnar.Stats, error) {
		return columnar.ScanMetrics(ctx, r, file.Size, f, func(m *record.Metric) bool {
			mu.Lock()
			out = append(out, *m)
			mu.Unlock()
			return true
		})
	})
	return out, stats, err
}

// MetricInfo names a metric seen.
type MetricInfo struct {
	Name string
	Kind record.MetricKind
	Unit string
}

// MetricNames lists the metrics with points in [from, to).
func (e *Engine) MetricNames(ctx context.Context, project string, from, to int64) ([]MetricInfo, error) {
	points, _, err := e.points(ctx, project, columnar.MetricFilter{From: from, To: to})
	if err != nil {
		return nil, err
	}
	seen := map[string]MetricInfo{}
	for i := range points {
		seen[points[i].Name] = MetricInfo{Name: points[i].Name, Kind: points[i].Kind, Unit: points[i].Unit}
	}
	out := make([]MetricInfo, 0, len(seen))
	for _, m := range seen {
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b MetricInfo) int { return cmp.Compare(a.Name, b.Name) })
	return out, nil
}
