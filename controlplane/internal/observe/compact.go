package observe

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hearth-dev/hearth/controlplane/internal/observe/columnar"
	"github.com/hearth-dev/hearth/controlplane/internal/observe/internal/db"
	"github.com/hearth-dev/hearth/controlplane/internal/observe/query"
	"github.com/hearth-dev/hearth/controlplane/internal/observe/record"
)

const (
	// settleTime: a flushed file is compacted only this long after it was
	// recorded, when no query can still be holding its segment's rows in
	// memory (a replica drops them right after recording the file).
	settleTime = time.Minute
	// garbageDelay: a replaced or expired object stays readable this long
	// for queries that listed it before it went.
	garbageDelay = 10 * time.Minute
	// maxCompactFiles and maxCompactBytes bound one merge's memory.
	maxCompactFiles = 64
	maxCompactBytes = 256 << 20
	// maintenanceEvery spaces compaction and retention passes.
	maintenanceEvery = 5 * time.Minute
)

// RunCompaction merges the small files of each project, signal and hour
// into one, on the leader only (its transactions are fenced).
func (s *Service) RunCompaction(ctx context.Context) error {
	return every(ctx, maintenanceEvery, func() error {
		_, err := s.Compact(ctx)
		return err
	})
}

// RunRetention deletes files older than their project's retention and
// the objects queued for deletion, on the leader only.
func (s *Service) RunRetention(ctx context.Context) error {
	return every(ctx, maintenanceEvery, func() error {
		if _, err := s.Expire(ctx); err != nil {
			return err
		}
		return s.CollectGarbage(ctx)
	})
}

func every(ctx context.Context, d time.Duration, fn func() error) error {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		if err := fn(); err != nil && ctx.Err() == nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Compact runs one compaction pass and returns how many files it merged
// away.
func (s *Service) Compact(ctx context.Context) (int, error) {
	q := db.New(s.d.DB)
	settled := s.now().Add(-settleTime)
	groups, err := q.CompactionCandidates(ctx, db.CompactionCandidatesParams{SettledBefore: settled, MaxGroups: 20})
	if err != nil {
		return 0, err
	}
	merged := 0
	for _, g := range groups {
		n, err := s.compactHour(ctx, g.Signal, g.ProjectID, g.Hour, settled)
		if err != nil {
			return merged, fmt.Errorf("compacting %s of project %s, hour %d: %w", g.Signal, g.ProjectID, g.Hour, err)
		}
		merged += n
	}
	return merged, nil
}

func (s *Service) compactHour(ctx context.Context, signal string, project uuid.UUID, hour int64, settled time.Time) (int, error) {
	files, err := db.New(s.d.DB).FilesOfHour(ctx, db.FilesOfHourParams{
		Signal: signal, ProjectID: project, Hour: hour, SettledBefore: settled, MaxFiles: maxCompactFiles,
	})
	if err != nil || len(files) < 2 {
		return 0, err
	}
	var total int64
	for i, f := range files {
		if total += f.SizeBytes; total > maxCompactBytes && i >= 2 {
			files = files[:i]
			break
		}
	}
	sig, ok := parseSignal(signal)
	if !ok {
		return 0, fmt.Errorf("unknown signal %q", signal)
	}
	var rows groupRows
	for _, f := range files {
		r := objectReader(ctx, s.d.Objects, f.ObjectKey)
		switch sig {
		case record.Traces:
			_, err = columnar.ScanSpans(ctx, r, f.SizeBytes, columnar.SpanFilter{}, func(x *record.Span) bool {
				rows.spans = append(rows.spans, *x)
				return true
			})
		case record.Logs:
			_, err = columnar.ScanLogs(ctx, r, f.SizeBytes, columnar.LogFilter{}, func(x *record.Log) bool {
				rows.logs = append(rows.logs, *x)
				return true
			})
		case record.Metrics:
			_, err = columnar.ScanMetrics(ctx, r, f.SizeBytes, columnar.MetricFilter{}, func(x *record.Metric) bool {
				rows.metrics = append(rows.metrics, *x)
				return true
			})
		}
		if err != nil {
			return 0, fmt.Errorf("reading %s: %w", f.ObjectKey, err)
		}
	}
	merged, err := s.writeMerged(ctx, sig, project, hour, &rows)
	if err != nil {
		return 0, err
	}
	err = s.d.DB.InTx(ctx, func(tx pgx.Tx) error {
		q := db.New(tx)
		for _, f := range files {
			key, err := q.DeleteFile(ctx, f.ID)
			if err != nil {
				return err // a file another pass took: roll back, try later
			}
			if err := q.QueueGarbage(ctx, db.QueueGarbageParams{ObjectKey: key, DeleteAfter: s.now().Add(garbageDelay)}); err != nil {
				return err
			}
		}
		return q.InsertFile(ctx, merged)
	})
	if err != nil {
		s.deleteObjects(ctx, []db.InsertFileParams{merged})
		return 0, err
	}
	return len(files) - 1, nil
}

func (s *Service) writeMerged(ctx context.Context, sig record.Signal, project uuid.UUID, hour int64, rows *groupRows) (db.InsertFileParams, error) {
	var buf bytes.Buffer
	var meta columnar.Meta
	var err error
	switch sig {
	case record.Traces:
		meta, err = columnar.WriteSpans(&buf, rows.spans)
	case record.Logs:
		meta, err = columnar.WriteLogs(&buf, rows.logs)
	case record.Metrics:
		meta, err = columnar.WriteMetrics(&buf, rows.metrics)
	}
	if err != nil {
		return db.InsertFileParams{}, err
	}
	id := uuid.Must(uuid.NewV7())
	key := objectKey(sig, project, hour, id)
	size := int64(buf.Len())
	if err := s.d.Objects.Put(ctx, key, &buf, size, "application/vnd.apache.parquet"); err != nil {
		return db.InsertFileParams{}, err
	}
	return db.InsertFileParams{
		ID: id, Signal: sig.String(), ProjectID: project, ObjectKey: key, MinTime: meta.MinTime, MaxTime: meta.MaxTime,
		RowCount: meta.Rows, SizeBytes: size, Services: meta.Services, Hour: hour, Level: 1,
	}, nil
}

// Expire drops the rows of files past their project's retention and
// queues their objects; it returns how many.
func (s *Service) Expire(ctx context.Context) (int, error) {
	n := 0
	for {
		var batch int
		err := s.d.DB.InTx(ctx, func(tx pgx.Tx) error {
			q := db.New(tx)
			files, err := q.ExpiredFiles(ctx, db.ExpiredFilesParams{
				NowNano: s.now().UnixNano(), DefaultRetentionNano: s.d.Config.Retention.Nanoseconds(), MaxFiles: 500,
			})
			if err != nil {
				return err
			}
			for _, f := range files {
				if _, err := q.DeleteFile(ctx, f.ID); err != nil {
					return err
				}
				if err := q.QueueGarbage(ctx, db.QueueGarbageParams{ObjectKey: f.ObjectKey, DeleteAfter: s.now().Add(garbageDelay)}); err != nil {
					return err
				}
			}
			batch = len(files)
			return nil
		})
		n += batch
		if err != nil || batch < 500 {
			return n, err
		}
	}
}

// CollectGarbage deletes the objects whose delay has passed.
func (s *Service) CollectGarbage(ctx context.Context) error {
	q := db.New(s.d.DB)
	for {
		keys, err := q.DueGarbage(ctx, db.DueGarbageParams{DeleteAfter: s.now(), Limit: 500})
		if err != nil || len(keys) == 0 {
			return err
		}
		for _, k := range keys {
			if err := s.d.Objects.Delete(ctx, k); err != nil {
				return fmt.Errorf("deleting %s: %w", k, err)
			}
			if err := q.ForgetGarbage(ctx, k); err != nil {
				return err
			}
		}
		if len(keys) < 500 {
			return q.ForgetFlushedSegments(ctx, s.now().Add(-30*24*time.Hour))
		}
	}
}

func parseSignal(name string) (record.Signal, bool) {
	for _, sig := range record.Signals {
		if sig.String() == name {
			return sig, true
		}
	}
	return 0, false
}

// objectReader reads one object by ranges.
func objectReader(ctx context.Context, o Objects, key string) readerAt {
	return readerAt{ctx: ctx, o: o, key: key}
}

type readerAt struct {
	ctx context.Context
	o   Objects
	key string
}

func (r readerAt) ReadAt(p []byte, off int64) (int, error) { return r.o.ReadAt(r.ctx, r.key, p, off) }

// catalog is observe_files as the query engine lists them.
type catalog struct{ s *Service }

func (c catalog) Files(ctx context.Context, project string, sig record.Signal, from, to int64) ([]query.File, error) {
	id, err := uuid.Parse(project)
	if err != nil {
		return nil, err
	}
	rows, err := db.New(c.s.d.DB).FilesInRange(ctx, db.FilesInRangeParams{ProjectID: id, Signal: sig.String(), FromTime: from, ToTime: to})
	if err != nil {
		return nil, err
	}
	out := make([]query.File, len(rows))
	for i, r := range rows {
		f := query.File{Key: r.ObjectKey, MinTime: r.MinTime, MaxTime: r.MaxTime, Rows: r.RowCount, Size: r.SizeBytes, Services: r.Services, Segment: -1}
		if r.Replica != nil && r.Segment != nil {
			f.Replica, f.Segment = *r.Replica, *r.Segment
		}
		out[i] = f
	}
	return out, nil
}

// Parts is this replica's rows not in Parquet yet (query.Hot).
func (s *Service) Parts(_ context.Context, project string) ([]query.HotPart, error) {
	snap := s.hot.snapshot(project)
	return []query.HotPart{{
		Replica: s.d.Config.Replica, Segments: snap.Segments, Spans: snap.Spans, Logs: snap.Logs, Metrics: snap.Metrics,
	}}, nil
}
