package query

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/hearth-dev/hearth/controlplane/internal/observe/columnar"
	"github.com/hearth-dev/hearth/controlplane/internal/observe/record"
)

type memObjects map[string][]byte

func (m memObjects) ReadAt(_ context.Context, key string, p []byte, off int64) (int, error) {
	b := m[key]
	if off >= int64(len(b)) {
		return 0, io.EOF
	}
	n := copy(p, b[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

type memCatalog []File

func (c memCatalog) Files(context.Context, string, record.Signal, int64, int64) ([]File, error) {
	return append([]File(nil), c...), nil
}

type memHot []HotPart

func (h memHot) Parts(context.Context, string) ([]HotPart, error) { return h, nil }

func logsAt(times ...int64) []record.Log {
	out := make([]record.Log, len(times))
	for i, t := range times {
		out[i] = record.Log{Project: "p", Service: "api", TimeNano: t, Body: fmt.Sprintf("at %d #%d", t, i)}
	}
	return out
}

func parquetFile(t *testing.T, objects memObjects, key string, rows []record.Log, replica string, segment int64) File {
	t.Helper()
	var buf bytes.Buffer
	meta, err := columnar.WriteLogs(&buf, rows)
	if err != nil {
		t.Fatal(err)
	}
	objects[key] = buf.Bytes()
	return File{Key: key, MinTime: meta.MinTime, MaxTime: meta.MaxTime, Rows: meta.Rows, Size: int64(buf.Len()), Replica: replica, Segment: segment}
}

// TestHotAndColdCountOnce: a file flushed from a segment a replica still
// holds in memory is skipped (its rows come from memory); a file of a
// segment no longer held, or compacted, is read.
func TestHotAndColdCountOnce(t *testing.T) {
	objects := memObjects{}
	held := logsAt(10, 11, 12)
	files := memCatalog{
		parquetFile(t, objects, "held", held, "r1", 5),            // also in memory
		parquetFile(t, objects, "flushed", logsAt(1, 2), "r1", 4), // dropped from memory
		parquetFile(t, objects, "compacted", logsAt(3), "", -1),
	}
	e := &Engine{Hot: memHot{{Replica: "r1", Segments: []uint64{5}, Logs: [][]record.Log{held}}}, Catalog: files, Objects: objects}
	n, stats, err := e.CountLogs(t.Context(), "p", columnar.LogFilter{})
	if err != nil || n != 6 || stats.FilesScanned != 2 || stats.HotRowsScanned != 3 {
		t.Fatalf("CountLogs = %d (%+v), %v; want 6 rows, 2 files scanned", n, stats, err)
	}
	// A file listing other services only is not read.
	if n, stats, err := e.CountLogs(t.Context(), "p", columnar.LogFilter{Services: []string{"api"}}); err != nil || n != 6 || stats.FilesScanned != 2 {
		t.Fatalf("services api: %d %+v %v", n, stats, err)
	}
	files[1].Services = []string{"worker"}
	if n, stats, err := e.CountLogs(t.Context(), "p", columnar.LogFilter{Services: []string{"api"}}); err != nil || n != 4 || stats.FilesScanned != 1 {
		t.Fatalf("a worker-only file: %d %+v %v", n, stats, err)
	}
	files[1].Services = nil
	// Another replica's segment 5 is another segment.
	e.Hot = memHot{{Replica: "r2", Segments: []uint64{5}}}
	if n, _, err := e.CountLogs(t.Context(), "p", columnar.LogFilter{}); err != nil || n != 6 {
		t.Fatalf("with r2 holding its own segment 5: %d, %v", n, err)
	}
}

// TestLogPagesSplitTies: pages of 7 over records sharing timestamps, some
// in memory and some in files, return each record once, newest first.
func TestLogPagesSplitTies(t *testing.T) {
	objects := memObjects{}
	cold := logsAt(1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 3)
	hot := logsAt(3, 3, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5, 6)
	for i := range hot {
		hot[i].Body = "hot " + hot[i].Body
	}
	e := &Engine{Hot: memHot{{Replica: "r", Logs: [][]record.Log{hot}}}, Catalog: memCatalog{parquetFile(t, objects, "f", cold, "", -1)}, Objects: objects}
	seen := map[string]bool{}
	var last int64 = 1 << 62
	q := LogQuery{Limit: 7}
	for page := 0; ; page++ {
		if page > 10 {
			t.Fatal("paging does not end")
		}
		res, err := e.Logs(t.Context(), "p", q)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range res.Logs {
			if seen[l.Body] {
				t.Fatalf("page %d repeats %q", page, l.Body)
			}
			if l.TimeNano > last {
				t.Fatalf("page %d: %d after %d", page, l.TimeNano, last)
			}
			seen[l.Body], last = true, l.TimeNano
		}
		if res.Next == nil {
			break
		}
		q.After = res.Next
	}
	if len(seen) != len(cold)+len(hot) {
		t.Fatalf("%d records paged, want %d", len(seen), len(cold)+len(hot))
	}
}
