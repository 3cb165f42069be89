// Package columnar owns the observe feature's Parquet files: it writes a
// batch of one signal's rows (record.Span, record.Log, record.Metric) as
// one file, and scans a file for the rows that pass a filter, reading as
// little of it as it can. It knows nothing of S3, object keys, the
// catalog or the order of files; the caller hands it an io.Writer to
// write to, or an io.ReaderAt and a size to read from, and merges results
// across files (newest first is the caller's order; within a file rows
// come in file order).
//
// # Files
//
// Rows are sorted by project, service and time, so the service and time
// columns' statistics are narrow in every row group and page. Columns are
// zstd-compressed; project, service, names, severity text and units are
// dictionary-encoded (the record package's tags), timestamps
// delta-encoded. Row groups hold at most 32768 rows or about 8 MiB and
// pages 2048 rows, both ending early at a change of service; see
// writer.go for why. Every column chunk has statistics, every chunk a
// page index (column and offset indexes), and trace_id in spans and logs
// a split-block bloom filter, written together after the last row group.
//
// # Scans
//
// Each ReadAt is a network round trip, so a scan plans byte ranges and
// fetches them in batches of large, concurrent reads (fetch.go):
//
//  1. the tail of the file: the footer, and usually the page index;
//  2. row groups are pruned by footer statistics (time, service,
//     severity, name, duration, status), then by the bloom filters of
//     those left when the filter has a trace id (one batch);
//  3. the page indexes of the surviving row groups (one batch, often
//     already in the tail) prune pages: rows whose pages' bounds exclude
//     the filter are never read, in any column;
//  4. per row group, phase one fetches only the pages of the columns the
//     filter reads and evaluates them column by column, cheapest first
//     (eval.go); phase two fetches the pages of every column holding the
//     matching rows and decodes just those rows.
//
// A narrow query (one service, one minute of an hour of 200k rows) reads
// about 4% of the file in 3 rounds of reads; Stats reports what a scan
// read and skipped.
//
// # Damaged files
//
// Files come from S3 and may be truncated or damaged. Before parquet-go
// decodes anything, its Thrift structures are walked without allocating
// (thriftcheck.go), offsets checked against the file, pages' headers
// checked against the offset index and their data against its CRC
// (open.go, pageindex.go), and the decoder is given only the planned,
// checked bytes. A scan of a bad file returns an error wrapping
// ErrCorrupt; a decoder panic on what the checks cannot see (header
// fields no checksum covers) is recovered into one.
package columnar
