// Package wal is the observe feature's write-ahead log: the durable queue
// between OTLP ingest and the Parquet writer. Ingest acknowledges a batch
// only after [WAL.Append] has returned, which is after the batch is
// written and fsync'd; the Parquet side reads whole sealed segments with
// [WAL.Replay] and deletes them with [WAL.Remove] once their rows are safe
// in object storage.
//
// The package owns one directory: segment files named by a monotonically
// increasing id (%020d.wal), a LOCK file that keeps a second process (or a
// second [Open] in this one) out, and *.wal.tmp files that exist only while
// a segment is being created. Nothing else in the directory is touched.
//
// On-disk format (little endian):
//
//	segment = header frame*
//	header  = "HWAL" version:uint16 reserved:uint16 segment-id:uint64   (16 bytes)
//	frame   = length:uint32 crc32c(payload):uint32 payload[length]
//
// A segment is created under a temporary name, its header fsync'd, then
// renamed and the directory fsync'd: a file with a segment's name always
// has a whole header, so a bad header is corruption, not a crash.
//
// Exactly one segment is active (appended to); every other one is sealed
// and immutable. [Open] seals every segment it finds, including the one
// that was active when the previous process died, cuts a torn or corrupt
// tail at the last intact entry (see [WAL.OpenReport]) and starts a new
// active segment: an old file is never appended to again.
//
// Appends are group-committed: a single committer goroutine takes every
// entry queued since its last round, writes them with one write call and
// makes them durable with one fdatasync, so the cost of an fsync is shared
// by every concurrent caller. After a failed write or fsync the WAL is
// poisoned (see [ErrPoisoned]): the kernel may already have dropped the
// dirty pages, so a retried fsync could report success for data that is
// gone. The owner closes and reopens the WAL; Open then recovers whatever
// reached the disk.
package wal
