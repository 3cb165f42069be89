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
	"github.com/hearth-dev/hearth/controlplane/internal/observe/record"
	"github.com/hearth-dev/hearth/controlplane/internal/observe/wal"
	"github.com/hearth-dev/hearth/shared/logfield"
)

// RunFlusher seals the active WAL segment once it is FlushInterval old
// (the WAL seals it earlier at SegmentBytes) and writes every sealed
// segment to Parquet. It runs on every replica: each flushes its own WAL.
func (s *Service) RunFlusher(ctx context.Context) error {
	tick := time.NewTicker(min(time.Second, s.d.Config.FlushInterval))
	defer tick.Stop()
	sealedAt := s.now()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		if s.now().Sub(sealedAt) >= s.d.Config.FlushInterval {
			sealedAt = s.now()
			if _, _, err := s.wal.Rotate(); err != nil {
				return fmt.Errorf("sealing a telemetry WAL segment: %w", err)
			}
		}
		if err := s.flushSealed(ctx); err != nil {
			return err
		}
	}
}

// Flush seals the active segment and writes every sealed one to Parquet
// now (tests, and anyone who wants the hot data in S3 at once).
func (s *Service) Flush(ctx context.Context) error {
	if _, _, err := s.wal.Rotate(); err != nil {
		return err
	}
	return s.flushSealed(ctx)
}

func (s *Service) flushSealed(ctx context.Context) error {
	s.flushMu.Lock()
	defer s.flushMu.Unlock()
	for _, seg := range s.wal.Sealed() {
		if err := s.flushSegment(ctx, seg); err != nil {
			return fmt.Errorf("flushing telemetry WAL segment %d: %w", seg, err)
		}
	}
	return nil
}

// fileGroup is the rows of one Parquet file: one signal, project and hour.
type fileGroup struct {
	signal  record.Signal
	project string
	hour    int64
}

type groupRows struct {
	spans   []record.Span
	logs    []record.Log
	metrics []record.Metric
}

// flushSegment writes segment seg's rows as Parquet, records the files and
// the segment in one transaction, then forgets the segment. A crash before
// the commit leaves objects nobody lists (the segment is replayed and
// flushed again); a crash after it, a segment the next start deletes.
func (s *Service) flushSegment(ctx context.Context, seg uint64) error {
	groups := map[fileGroup]*groupRows{}
	get := func(sig record.Signal, project string, t int64) *groupRows {
		k := fileGroup{signal: sig, project: project, hour: hourOf(t)}
		g := groups[k]
		if g == nil {
			g = &groupRows{}
			groups[k] = g
		}
		return g
	}
	rows := 0
	err := s.wal.Replay(seg, func(_ wal.Position, payload []byte) error {
		_, b, err := decodeEntry(payload)
		if err != nil {
			return err
		}
		rows += b.Len()
		for i := range b.Spans {
			g := get(record.Traces, b.Project, b.Spans[i].StartNano)
			g.spans = append(g.spans, b.Spans[i])
		}
		for i := range b.Logs {
			g := get(record.Logs, b.Project, b.Logs[i].TimeNano)
			g.logs = append(g.logs, b.Logs[i])
		}
		for i := range b.Metrics {
			g := get(record.Metrics, b.Project, b.Metrics[i].TimeNano)
			g.metrics = append(g.metrics, b.Metrics[i])
		}
		return nil
	})
	if err != nil {
		return err
	}
	files := make([]db.InsertFileParams, 0, len(groups))
	for k, g := range groups {
		f, err := s.writeFile(ctx, k, g, seg)
		if err != nil {
			s.deleteObjects(ctx, files)
			return err
		}
		files = append(files, f)
	}
	recorded := false
	err = s.d.DB.InTx(ctx, func(tx pgx.Tx) error {
		q := db.New(tx)
		n, err := q.RecordFlushedSegment(ctx, db.RecordFlushedSegmentParams{
			Replica: s.d.Config.Replica, Segment: int64(seg), FileCount: int32(len(files)), RowCount: int64(rows), //nolint:gosec // G115: WAL segment ids count up from 1
		})
		if err != nil || n == 0 {
			return err // n == 0: an earlier run recorded it already
		}
		for _, f := range files {
			if err := q.InsertFile(ctx, f); err != nil {
				return err
			}
		}
		recorded = true
		return nil
	})
	if err != nil {
		s.deleteObjects(ctx, files)
		return err
	}
	if !recorded {
		s.deleteObjects(ctx, files)
	}
	s.hot.drop(seg)
	for k, g := range groups {
		s.metrics.flushed.WithLabelValues(k.signal.String()).Add(float64(len(g.spans) + len(g.logs) + len(g.metrics)))
	}
	s.log.Debug().Uint64(logfield.Segment, seg).Int(logfield.Rows, rows).Int(logfield.Files, len(files)).Msg("telemetry WAL segment flushed")
	return s.wal.Remove(seg)
}

// writeFile writes one group as a Parquet object under
// <signal>/<project>/<yyyy>/<mm>/<dd>/<hh>/<id>.parquet.
func (s *Service) writeFile(ctx context.Context, k fileGroup, g *groupRows, seg uint64) (db.InsertFileParams, error) {
	var buf bytes.Buffer
	var meta columnar.Meta
	var err error
	switch k.signal {
	case record.Traces:
		meta, err = columnar.WriteSpans(&buf, g.spans)
	case record.Logs:
		meta, err = columnar.WriteLogs(&buf, g.logs)
	case record.Metrics:
		meta, err = columnar.WriteMetrics(&buf, g.metrics)
	}
	if err != nil {
		return db.InsertFileParams{}, fmt.Errorf("writing %s Parquet: %w", k.signal, err)
	}
	project, err := uuid.Parse(k.project)
	if err != nil {
		return db.InsertFileParams{}, fmt.Errorf("a WAL entry names project %q: %w", k.project, err)
	}
	id := uuid.Must(uuid.NewV7())
	key := objectKey(k.signal, project, k.hour, id)
	size := int64(buf.Len())
	if err := s.d.Objects.Put(ctx, key, &buf, size, "application/vnd.apache.parquet"); err != nil {
		return db.InsertFileParams{}, fmt.Errorf("uploading %s: %w", key, err)
	}
	replica, segment := s.d.Config.Replica, int64(seg) //nolint:gosec // G115: WAL segment ids count up from 1
	return db.InsertFileParams{
		ID: id, Signal: k.signal.String(), ProjectID: project, ObjectKey: key, MinTime: meta.MinTime, MaxTime: meta.MaxTime,
		RowCount: meta.Rows, SizeBytes: size, Services: meta.Services, Hour: k.hour, Level: 0, Replica: &replica, Segment: &segment,
	}, nil
}

// deleteObjects removes uploads no row will ever name (best effort: an
// object left behind is only unreferenced bytes).
func (s *Service) deleteObjects(ctx context.Context, files []db.InsertFileParams) {
	for _, f := range files {
		if err := s.d.Objects.Delete(context.WithoutCancel(ctx), f.ObjectKey); err != nil {
			s.log.Warn().Err(err).Str(logfield.Key, f.ObjectKey).Msg("could not delete an unrecorded telemetry object")
		}
	}
}

// hourOf is the start of t's hour, in Unix seconds.
func hourOf(nano int64) int64 {
	sec := nano / int64(time.Second)
	return sec - sec%3600
}

func objectKey(sig record.Signal, project uuid.UUID, hour int64, id uuid.UUID) string {
	t := time.Unix(hour, 0).UTC()
	return fmt.Sprintf("%s/%s/%04d/%02d/%02d/%02d/%s.parquet", sig, project, t.Year(), int(t.Month()), t.Day(), t.Hour(), id)
}

// flushedSegments are this replica's segments already in Parquet.
func (s *Service) flushedSegments(ctx context.Context) (map[uint64]struct{}, error) {
	ids, err := db.New(s.d.DB).FlushedSegments(ctx, s.d.Config.Replica)
	if err != nil {
		return nil, err
	}
	out := make(map[uint64]struct{}, len(ids))
	for _, id := range ids {
		out[uint64(id)] = struct{}{} //nolint:gosec // G115: recorded from uint64 ids
	}
	return out, nil
}
