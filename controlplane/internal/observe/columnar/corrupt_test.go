package columnar

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math/rand/v2"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"

	"github.com/hearth-dev/hearth/controlplane/internal/observe/record"
)

// A damaged or foreign file makes a scan fail with an error, never panic,
// and never allocate what the file claims rather than what it holds.

// probeFilters exercise every path of a scan: full rows only; filter
// columns, maps and bloom filters; free text.
var probeFilters = []LogFilter{
	{},
	{From: baseTime + 60e9, To: baseTime + 3000e9, Services: []string{"api", "cart"}, MinSeverity: 9,
		Attributes: map[string]string{"http.method": "GET"}, TraceID: []byte("0123456789abcdef")},
	{Contains: "cache", Regexp: regexp.MustCompile(`\d+ms`)},
}

// scanBytes scans data with every probe filter. A panic recovered in a
// scan is accepted only if it was raised in the decoder, parquet-go,
// which this package cannot fix but contains; one raised in this
// package's own code fails t.
func scanBytes(t testing.TB, data []byte) (err error) {
	opts := scanOptions{onPanic: func(v any, stack []byte) {
		if fn := panickingFunc(stack); !strings.HasPrefix(fn, "github.com/parquet-go/") {
			t.Errorf("panic in %s: %v\n%s", fn, v, stack)
		}
	}}
	for _, flt := range probeFilters {
		_, e := scan(context.Background(), bytes.NewReader(data), int64(len(data)), &logSchema, flt.plan(), flt.Match,
			func(*record.Log) bool { return true }, opts)
		err = errors.Join(err, e)
	}
	return err
}

// panickingFunc returns the function that raised the panic whose stack
// (from debug.Stack in a deferred recover) is given: the first frame
// after the call to panic that is not in the runtime.
func panickingFunc(stack []byte) string {
	lines := strings.Split(string(stack), "\n")
	for i, l := range lines {
		if !strings.HasPrefix(l, "panic(") {
			continue
		}
		for _, f := range lines[i+1:] {
			if f != "" && !strings.HasPrefix(f, "\t") && !strings.HasPrefix(f, "runtime.") {
				return f
			}
		}
	}
	return "unknown"
}

func smallLogsFile(t testing.TB, n int) []byte {
	t.Helper()
	rows := genLogs(31, n)
	for i := range rows {
		rows[i].TimeNano = baseTime + int64(i)*1e9 // spread over the window of probeFilters
	}
	return writeLogsFile(t, rows).data
}

func TestGarbageFiles(t *testing.T) {
	valid := smallLogsFile(t, 3000)
	rng := rand.New(rand.NewPCG(9, 9))
	cases := map[string][]byte{
		"empty":         {},
		"magic only":    []byte("PAR1"),
		"two magics":    []byte("PAR1PAR1"),
		"no footer":     append([]byte("PAR1"), append(make([]byte, 100), "\x00\x00\x00\x00PAR1"...)...),
		"footer longer": append([]byte("PAR1"), append(make([]byte, 100), "\xff\xff\xff\x7fPAR1"...)...),
		"random":        randBytes(rng, 5000),
		"random tail":   append(randBytes(rng, 5000), "PAR1"...),
		"text":          []byte("this is not a parquet file, it only ends like one PAR1"),
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			if err := scanBytes(t, data); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("err %v, want ErrCorrupt", err)
			}
		})
	}
	t.Run("truncated", func(t *testing.T) {
		for cut := 0; cut < len(valid); cut += 1 + len(valid)/300 {
			if err := scanBytes(t, valid[:cut]); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("cut at %d of %d: err %v, want ErrCorrupt", cut, len(valid), err)
			}
		}
	})
	t.Run("bit flips", func(t *testing.T) {
		// A flip in metadata that stays plausible (a statistic, say)
		// may go unnoticed: Parquet checksums pages, not the footer.
		// What must hold is that nothing panics or runs away.
		for range 400 {
			data := bytes.Clone(valid)
			data[rng.IntN(len(data))] ^= byte(1 << rng.IntN(8))
			_ = scanBytes(t, data)
		}
	})
	t.Run("spans file read as logs", func(t *testing.T) {
		f := writeSpansFile(t, genSpans(1, 100))
		if _, err := ScanLogs(context.Background(), f.reader(), f.size(), LogFilter{}, func(*record.Log) bool { return true }); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("err %v, want ErrCorrupt", err)
		}
	})
}

// A footer of a few bytes claiming four million row groups is refused
// before parquet-go allocates them (370 MB; two billion would kill the
// process).
func TestFooterClaimsAreBounded(t *testing.T) {
	footer := []byte{
		0x15, 0x04, // field 1 (version), i32 2
		0x49, 0xfc, 0x80, 0x80, 0x80, 0x02, // field 4 (row_groups): list of 2^22 structs
	}
	data := append([]byte("PAR1"), footer...)
	data = binary.LittleEndian.AppendUint32(data, uint32(len(footer)))
	data = append(data, "PAR1"...)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	err := scanBytes(t, data)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("err %v, want ErrCorrupt", err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 8<<20 {
		t.Errorf("refusing the footer allocated %d bytes", grew)
	}
}

func TestCheckThrift(t *testing.T) {
	var buf bytes.Buffer
	h := format.PageHeader{Type: format.DataPageV2, UncompressedPageSize: 10, CompressedPageSize: 10, CRC: 7,
		DataPageHeaderV2: thrift.New(format.DataPageHeaderV2{NumValues: 3, NumRows: 3})}
	enc, err := thrift.Marshal(new(thrift.CompactProtocol), &h)
	if err != nil {
		t.Fatal(err)
	}
	buf.Write(enc)
	buf.WriteString("trailing page data")
	if n, err := checkThrift(buf.Bytes(), 1<<20); err != nil || n != len(enc) {
		t.Fatalf("valid header: n=%d err=%v, want %d", n, err, len(enc))
	}
	for name, b := range map[string][]byte{
		"truncated":       enc[:len(enc)-1],
		"binary too long": {0x18, 0xff, 0xff, 0x03, 'x'},        // field 1 binary of 65535 bytes
		"list too long":   {0x19, 0xf8, 0x80, 0x80, 0x04, 0x00}, // list of 65536 structs, one byte left
		"unknown type":    {0x1e, 0x00},                         // type 14
		"varint too long": {0x15, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
		"nested too deep": bytes.Repeat([]byte{0x1c}, 100),      // struct in struct in ...
		"map too long":    {0x1b, 0xff, 0xff, 0x03, 0x88, 0x00}, // map of 65535 pairs
	} {
		if _, err := checkThrift(b, 1<<20); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: err %v, want ErrCorrupt", name, err)
		}
	}
	// Within the bytes, but over budget: 100 structs claim 100 KiB.
	list := append([]byte{0x19, 0xfc, 0x64}, make([]byte, 101)...)
	if _, err := checkThrift(list, 50<<10); !errors.Is(err, ErrCorrupt) {
		t.Errorf("over budget: err %v, want ErrCorrupt", err)
	}
	if _, err := checkThrift(list, 200<<10); err != nil {
		t.Errorf("within budget: %v", err)
	}
}

// checkPage refuses a page whose data does not match its CRC (parquet-go
// checks data pages too, but not a dictionary page it reads after a
// seek) and, for a page without a CRC, decompresses it as a trial, as a
// stream, refusing it when it expands beyond its stated size (a zstd
// frame can expand 30000-fold; parquet-go would keep all of it).
func TestCheckPage(t *testing.T) {
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	bomb := enc.EncodeAll(make([]byte, 64<<20), nil) // 64 MiB of zeros in a few KiB
	page := func(stated int32, data []byte, crc ...int32) []byte {
		h := format.PageHeader{Type: format.DataPageV2, UncompressedPageSize: stated, CompressedPageSize: int32(len(data)),
			DataPageHeaderV2: thrift.New(format.DataPageHeaderV2{NumValues: 1, NumRows: 1})}
		if len(crc) > 0 {
			h.CRC = crc[0]
		}
		b, err := thrift.Marshal(new(thrift.CompactProtocol), &h)
		if err != nil {
			t.Fatal(err)
		}
		return append(b, data...)
	}
	if err := checkPage(page(1000, bomb), format.Zstd, 1); !errors.Is(err, ErrCorrupt) {
		t.Errorf("bomb: err %v, want ErrCorrupt", err)
	}
	honest := enc.EncodeAll(make([]byte, 1000), nil)
	if err := checkPage(page(1000, honest), format.Zstd, 1); err != nil {
		t.Errorf("honest page: %v", err)
	}
	if err := checkPage(page(1000, honest), format.Zstd, 2); !errors.Is(err, ErrCorrupt) {
		t.Errorf("page of the wrong row count: err %v, want ErrCorrupt", err)
	}
	sum := int32(crc32.ChecksumIEEE(honest))
	if err := checkPage(page(1000, honest, sum), format.Zstd, 1); err != nil {
		t.Errorf("page with its CRC: %v", err)
	}
	damaged := bytes.Clone(honest)
	damaged[len(damaged)/2] ^= 1
	if err := checkPage(page(1000, damaged, sum), format.Zstd, 1); !errors.Is(err, ErrCorrupt) {
		t.Errorf("damaged page: err %v, want ErrCorrupt", err)
	}
}

func FuzzScanLogs(f *testing.F) {
	// A small file (one page a column) keeps executions fast and the
	// fuzzer's minimisation of what it finds short.
	valid := smallLogsFile(f, 150)
	f.Add(valid)
	f.Add(valid[:len(valid)/2])
	f.Add(valid[len(valid)/2:])
	f.Add([]byte("PAR1"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		// Must not panic, hang or exhaust memory. A hang is turned into a
		// failure with every goroutine's stack, which the fuzzer records
		// with the input.
		done := make(chan struct{})
		timer := time.AfterFunc(10*time.Second, func() {
			buf := make([]byte, 1<<20)
			panic("scan hung:\n" + string(buf[:runtime.Stack(buf, true)]))
		})
		defer timer.Stop()
		defer close(done)
		_ = scanBytes(t, data)
	})
}

// zstd frames here carry no checksum, so a flipped bit in compressed text
// can decode to other text without an error; the page CRC is what turns
// it into one.
func TestDamagedPageIsDetected(t *testing.T) {
	valid := smallLogsFile(t, 3000)
	pf, err := parquet.OpenFile(bytes.NewReader(valid), int64(len(valid)))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := pf.Schema().Lookup("body")
	oi, err := pf.RowGroups()[0].ColumnChunks()[body.ColumnIndex].OffsetIndex()
	if err != nil {
		t.Fatal(err)
	}
	end := oi.Offset(0) + oi.CompressedPageSize(0)
	for k := int64(1); k <= 40; k++ {
		data := bytes.Clone(valid)
		data[end-k*7] ^= 0x04
		if err := scanBytes(t, data); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("flip at %d: err %v, want ErrCorrupt", end-k*7, err)
		}
	}
}
