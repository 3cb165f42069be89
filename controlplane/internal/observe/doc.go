// Package observe owns Hearth's telemetry: OTLP (gRPC and HTTP) and
// Prometheus remote-write ingest under a project-restricted token, the
// write-ahead log every accepted batch reaches before it is acknowledged,
// the flush of WAL segments into Parquet files on S3, their compaction and
// retention, and the query engine answering logs, traces and metrics over
// recent (in-memory) and older (Parquet) data in one result.
//
// The life of a batch: the handler authenticates (the token's project is
// the tenant), bounds and converts it into rows (otlpconv, promwrite),
// appends their encoding to the WAL (group-committed fsync) and only then
// answers; the rows join the hot store under their WAL segment. The
// flusher seals a segment, writes its rows as Parquet per signal, project
// and hour, records the files and the segment in one transaction, then
// drops the segment from memory and disk. On restart, the segments not
// recorded as flushed are replayed into memory: exactly once.
//
// Subpackages: record (row types and their WAL encoding), wal, otlpconv,
// promwrite, columnar (Parquet write and pruned scans), query (the engine).
package observe
