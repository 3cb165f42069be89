package query

import (
	"cmp"
	"container/heap"
	"context"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/hearth-dev/hearth/controlplane/internal/observe/columnar"
	"github.com/hearth-dev/hearth/controlplane/internal/observe/record"
)

// LogQuery selects log records, newest first.
type LogQuery struct {
	Filter columnar.LogFilter
	// Limit is the page size; After continues from a previous page.
	Limit int
	After *Cursor
}

// Cursor is where a page of logs ended: the time of its last record and
// how many records of exactly that time it (and the pages before it at
// that time) returned.
type Cursor struct {
	Time int64
	Skip int
}

// LogResult is one page.
type LogResult struct {
	Logs  []record.Log
	Next  *Cursor
	Stats Stats
}

// newer orders records newest first, ties by service, body and span, so
// pages at one timestamp split the same way every time.
func newer(a, b *record.Log) int {
	if c := cmp.Compare(b.TimeNano, a.TimeNano); c != 0 {
		return c
	}
	if c := strings.Compare(a.Service, b.Service); c != 0 {
		return c
	}
	if c := strings.Compare(a.Body, b.Body); c != 0 {
		return c
	}
	return slices.Compare(a.SpanID, b.SpanID)
}

// topLogs keeps the n newest records seen (a min-heap by newness).
type topLogs struct {
	mu   sync.Mutex
	n    int
	rows []record.Log
}

func (t *topLogs) Len() int           { return len(t.rows) }
func (t *topLogs) Less(i, j int) bool { return newer(&t.rows[i], &t.rows[j]) > 0 }
func (t *topLogs) Swap(i, j int)      { t.rows[i], t.rows[j] = t.rows[j], t.rows[i] }
func (t *topLogs) Push(x any)         { t.rows = append(t.rows, x.(record.Log)) }
func (t *topLogs) Pop() any {
	last := t.rows[len(t.rows)-1]
	t.rows = t.rows[:len(t.rows)-1]
	return last
}

func (t *topLogs) offer(l *record.Log) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.rows) < t.n {
		heap.Push(t, *l)
		return
	}
	if newer(l, &t.rows[0]) < 0 {
		t.rows[0] = *l
		heap.Fix(t, 0)
	}
}

// full reports whether n records are kept, and the oldest one's time.
func (t *topLogs) full() (bool, int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.rows) < t.n {
		return false, 0
	}
	return true, t.rows[0].TimeNano
}

// Logs answers a page of log records, newest first. Files are read
// newest first, a few at a time, and reading stops once the page is full
// of records newer than anything the remaining files hold.
func (e *Engine) Logs(ctx context.Context, project string, q LogQuery) (LogResult, error) {
	f := q.Filter
	skip := 0
	if q.After != nil {
		f.To = q.After.Time + 1
		skip = q.After.Skip
	}
	var res LogResult
	snap, err := e.take(ctx, project, record.Logs, f.From, orMax(f.To), f.Services)
	if err != nil {
		return res, err
	}
	res.Stats.FilesConsidered = int64(len(snap.files))
	top := &topLogs{n: q.Limit + skip}
	for _, part := range snap.hot {
		for _, rows := range part.Logs {
			for i := range rows {
				res.Stats.HotRowsScanned++
				if f.Match(&rows[i]) {
					top.offer(&rows[i])
				}
			}
		}
	}
	par := max(e.Parallel, 4)
	for start := 0; start < len(snap.files); start += par {
		wave := snap.files[start:min(start+par, len(snap.files))]
		if full, oldest := top.full(); full && wave[0].MaxTime < oldest {
			break
		}
		err := e.scanFiles(ctx, wave, &res.Stats, func(ctx context.Context, file File, r objectReader) (columnar.Stats, error) {
			return columnar.ScanLogs(ctx, r, file.Size, f, func(l *record.Log) bool {
				top.offer(l)
				return true
			})
		})
		if err != nil {
			return res, err
		}
	}
	rows := top.rows
	slices.SortFunc(rows, func(a, b record.Log) int { return newer(&a, &b) })
	if skip > 0 {
		n := 0
		for n < len(rows) && n < skip && rows[n].TimeNano == q.After.Time {
			n++
		}
		rows = rows[n:]
	}
	if len(rows) > q.Limit {
		rows = rows[:q.Limit]
	}
	res.Logs = rows
	if len(rows) == q.Limit && q.Limit > 0 {
		last := rows[len(rows)-1].TimeNano
		next := &Cursor{Time: last}
		for i := len(rows) - 1; i >= 0 && rows[i].TimeNano == last; i-- {
			next.Skip++
		}
		if q.After != nil && q.After.Time == last {
			next.Skip += q.After.Skip
		}
		res.Next = next
	}
	return res, nil
}

// orMax is an open upper bound as the largest time.
func orMax(to int64) int64 {
	if to == 0 {
		return 1<<63 - 1
	}
	return to
}

// CountLogs counts the log records matching f (an alert's value).
func (e *Engine) CountLogs(ctx context.Context, project string, f columnar.LogFilter) (int64, Stats, error) {
	var stats Stats
	snap, err := e.take(ctx, project, record.Logs, f.From, orMax(f.To), f.Services)
	if err != nil {
		return 0, stats, err
	}
	stats.FilesConsidered = int64(len(snap.files))
	var n atomic.Int64
	for _, part := range snap.hot {
		for _, rows := range part.Logs {
			for i := range rows {
				stats.HotRowsScanned++
				if f.Match(&rows[i]) {
					n.Add(1)
				}
			}
		}
	}
	err = e.scanFiles(ctx, snap.files, &stats, func(ctx context.Context, file File, r objectReader) (columnar.Stats, error) {
		return columnar.ScanLogs(ctx, r, file.Size, f, func(*record.Log) bool {
			n.Add(1)
			return true
		})
	})
	return n.Load(), stats, err
}
