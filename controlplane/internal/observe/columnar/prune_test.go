package columnar

import (
	"context"
	"errors"
	"io"
	"reflect"
	"sync/atomic"
	"testing"

	"github.com/hearth-dev/hearth/controlplane/internal/observe/record"
)

// Pruning is asserted through Stats: what was skipped, what was read.
// Every test also checks the rows against Match, so skipping too much
// fails as surely as skipping too little.

// countingReader counts what a scan asks of the caller's reader, to check
// Stats against.
type countingReader struct {
	r            io.ReaderAt
	bytes, reads atomic.Int64
}

func (c *countingReader) ReadAt(p []byte, off int64) (int, error) {
	c.reads.Add(1)
	n, err := c.r.ReadAt(p, off)
	c.bytes.Add(int64(n))
	return n, err
}

func TestPruningNarrowQuery(t *testing.T) {
	rows := genLogs(21, 200000)
	f := writeLogsFile(t, rows)
	flt := LogFilter{Services: []string{"cart"}, From: baseTime + 1800e9, To: baseTime + 1860e9}
	cr := &countingReader{r: f.reader()}
	var got []record.Log
	st, err := ScanLogs(context.Background(), cr, f.size(), flt, func(l *record.Log) bool {
		got = append(got, *l)
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	exp := want(normalizeLogs(fileOrder(rows, logKey)), flt.Match)
	if len(exp) == 0 || !reflect.DeepEqual(got, exp) {
		t.Fatalf("got %d rows, want %d", len(got), len(exp))
	}
	t.Logf("file %d bytes, %d rows; %+v; read %.2f%% of the file", f.size(), len(rows), st, 100*float64(st.BytesRead)/float64(f.size()))
	if st.BytesRead != cr.bytes.Load() || st.Reads != cr.reads.Load() {
		t.Errorf("stats say %d bytes in %d reads, the reader saw %d in %d", st.BytesRead, st.Reads, cr.bytes.Load(), cr.reads.Load())
	}
	if st.RowGroups < 6 || st.RowGroupsSkipped < st.RowGroups-2 {
		t.Errorf("skipped %d of %d row groups, want all but at most 2", st.RowGroupsSkipped, st.RowGroups)
	}
	// The page index narrows the surviving row group (~20000 rows of
	// cart) to the pages of the minute asked for.
	if st.RowsScanned > 2*pageRows {
		t.Errorf("scanned %d rows, want at most %d", st.RowsScanned, 2*pageRows)
	}
	if st.BytesRead*20 > f.size() {
		t.Errorf("read %d bytes of %d, want under 5%%", st.BytesRead, f.size())
	}
	// The footer, then per row group the filter columns and the rows.
	if st.Reads > 10 {
		t.Errorf("%d reads", st.Reads)
	}
}

func TestBloomFilterSkipsRowGroups(t *testing.T) {
	rows := genLogs(22, 200000)
	f := writeLogsFile(t, rows)
	sorted := normalizeLogs(fileOrder(rows, logKey))

	t.Run("absent", func(t *testing.T) {
		flt := LogFilter{TraceID: []byte("no-such-trace-id")}
		got, st := scanLogs(t, f, flt)
		t.Logf("%+v", st)
		if len(got) != 0 || st.RowGroupsSkipped != st.RowGroups {
			t.Fatalf("got %d rows, skipped %d of %d row groups", len(got), st.RowGroupsSkipped, st.RowGroups)
		}
		// Random trace ids make every row group's min/max span almost
		// the whole range: only the filter can exclude them (1% false
		// positives allow one miss here).
		if st.BloomSkipped < st.RowGroups-1 {
			t.Errorf("bloom filters skipped %d of %d row groups", st.BloomSkipped, st.RowGroups)
		}
		// What is read is the footer and the filters: 10 bits a row,
		// about 4% of a file of ~36-byte rows.
		if st.BytesRead*20 > f.size() {
			t.Errorf("read %d bytes of %d", st.BytesRead, f.size())
		}
	})
	t.Run("present", func(t *testing.T) {
		var trace []byte
		for i := 100000; trace == nil; i++ {
			trace = rows[i].TraceID
		}
		flt := LogFilter{TraceID: trace}
		got, st := scanLogs(t, f, flt)
		t.Logf("%+v", st)
		if exp := want(sorted, flt.Match); len(exp) == 0 || !reflect.DeepEqual(got, exp) {
			t.Fatalf("got %d rows, want %d", len(got), len(exp))
		}
		// A trace's few rows sit in at most a few services' row groups.
		if st.BloomSkipped < st.RowGroups-4 {
			t.Errorf("bloom filters skipped %d of %d row groups", st.BloomSkipped, st.RowGroups)
		}
	})
	t.Run("spans", func(t *testing.T) {
		spans := genSpans(23, 200000)
		trace := spans[100000].TraceID
		for i := range spans {
			if reflect.DeepEqual(spans[i].TraceID, trace) {
				spans[i].Service = "cart" // one service: one or two row groups
			}
		}
		sf := writeSpansFile(t, spans)
		flt := SpanFilter{TraceID: trace}
		got, st := scanSpans(t, sf, flt)
		t.Logf("%+v", st)
		if exp := want(fileOrder(spans, spanKey), flt.Match); len(got) != len(exp) || len(exp) == 0 {
			t.Fatalf("got %d spans, want %d", len(got), len(exp))
		}
		if st.RowGroups < 6 || st.BloomSkipped < st.RowGroups-2 {
			t.Errorf("bloom filters skipped %d of %d row groups", st.BloomSkipped, st.RowGroups)
		}
	})
}

// Statistics prune metric names and span durations too: a row group
// whose bounds exclude the value is not read.
func TestStatisticsPruneOtherColumns(t *testing.T) {
	rows := genLogs(24, 100000)
	for i := range rows {
		rows[i].Severity = 9
	}
	rows[77].Severity = 21
	f := writeLogsFile(t, rows)
	got, st := scanLogs(t, f, LogFilter{MinSeverity: 21})
	if len(got) != 1 || st.RowGroupsSkipped != st.RowGroups-1 || st.RowsScanned > pageRows {
		t.Errorf("got %d rows; %+v", len(got), st)
	}
	spans := genSpans(25, 50000)
	for i := range spans {
		spans[i].DurationNano = 1000
	}
	spans[4242].DurationNano = 5e9
	sf := writeSpansFile(t, spans)
	gs, st := scanSpans(t, sf, SpanFilter{MinDuration: 1e9})
	if len(gs) != 1 || st.RowGroupsSkipped != st.RowGroups-1 {
		t.Errorf("got %d spans; %+v", len(gs), st)
	}
}

func TestScanStopsWhenAsked(t *testing.T) {
	f := writeLogsFile(t, genLogs(26, 100000))
	_, all := scanLogs(t, f, LogFilter{})
	n := 0
	st, err := ScanLogs(context.Background(), f.reader(), f.size(), LogFilter{}, func(*record.Log) bool {
		n++
		return n < 10
	})
	if err != nil || n != 10 || st.RowsMatched != 10 {
		t.Fatalf("called %d times, %+v, %v", n, st, err)
	}
	if st.BytesRead*4 > all.BytesRead {
		t.Errorf("stopping after 10 rows read %d bytes, a full scan %d", st.BytesRead, all.BytesRead)
	}
}

func TestScanHonoursContext(t *testing.T) {
	f := writeLogsFile(t, genLogs(27, 70000))
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	_, err := ScanLogs(ctx, f.reader(), f.size(), LogFilter{}, func(*record.Log) bool {
		if n++; n == 100 {
			cancel()
		}
		return true
	})
	if !errors.Is(err, context.Canceled) || n >= 70000 {
		t.Fatalf("err %v after %d rows", err, n)
	}
}

type failingReader struct{ err error }

func (r failingReader) ReadAt([]byte, int64) (int, error) { return 0, r.err }

func TestScanReportsReaderErrors(t *testing.T) {
	boom := errors.New("s3: connection reset")
	_, err := ScanLogs(context.Background(), failingReader{boom}, 1<<20, LogFilter{}, func(*record.Log) bool { return true })
	if !errors.Is(err, boom) || errors.Is(err, ErrCorrupt) {
		t.Fatalf("err %v, want the reader's error", err)
	}
}

// The rows a scan hands out stay valid after the callback returns.
func TestScanRowsMayBeKept(t *testing.T) {
	rows := genLogs(28, 3000)
	f := writeLogsFile(t, rows)
	var kept []*record.Log
	if _, err := ScanLogs(context.Background(), f.reader(), f.size(), LogFilter{}, func(l *record.Log) bool {
		kept = append(kept, l)
		return true
	}); err != nil {
		t.Fatal(err)
	}
	exp := normalizeLogs(fileOrder(rows, logKey))
	for i, l := range kept {
		if !reflect.DeepEqual(*l, exp[i]) {
			t.Fatalf("row %d changed after its callback", i)
		}
	}
}
