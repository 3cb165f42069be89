package wal

import (
	"errors"
	"fmt"

	"github.com/rs/zerolog"
)

// Defaults for zero Options fields.
const (
	DefaultSegmentBytes    = 64 << 20
	DefaultMaxEntryBytes   = 16 << 20
	DefaultMaxPendingBytes = 32 << 20

	// maxEntryLimit is the largest length the format accepts, whatever the
	// options say. The reader never trusts a length above it (nor one past
	// the end of the file), so a garbage length cannot cause a huge
	// allocation; it is not Options.MaxEntryBytes so that lowering that
	// option never makes entries written under a higher one unreadable.
	maxEntryLimit = 1 << 30
)

// Options configure Open. Only Dir is required.
type Options struct {
	// Dir holds the segments; created with mode 0700 if missing.
	Dir string
	// SegmentBytes is the size past which Append starts a new segment:
	// an entry that would take the active segment past it goes into a new
	// one, so a segment is at most SegmentBytes unless its only entry is
	// bigger. Default DefaultSegmentBytes.
	SegmentBytes int64
	// MaxEntryBytes is the largest payload Append accepts (at most 1 GiB).
	// Default DefaultMaxEntryBytes.
	MaxEntryBytes int
	// MaxPendingBytes bounds the bytes queued for the committer: past it
	// Append waits (or returns ctx.Err()) instead of queueing more, so a
	// slow disk and callers that give up cannot grow memory without bound.
	// One entry is always accepted into an empty queue. Default
	// DefaultMaxPendingBytes.
	MaxPendingBytes int64
	// Logger receives recovery and failure reports. The zero Logger
	// discards them.
	Logger zerolog.Logger

	// wrapFile, when set, wraps the active segment's file; tests use it to
	// inject write and fsync failures.
	wrapFile func(segmentFile) segmentFile
}

func (o Options) withDefaults() (Options, error) {
	if o.Dir == "" {
		return o, errors.New("wal: Options.Dir is required")
	}
	if o.SegmentBytes < 0 || o.MaxEntryBytes < 0 || o.MaxPendingBytes < 0 {
		return o, errors.New("wal: negative size in Options")
	}
	if o.SegmentBytes == 0 {
		o.SegmentBytes = DefaultSegmentBytes
	}
	if o.MaxEntryBytes == 0 {
		o.MaxEntryBytes = DefaultMaxEntryBytes
	}
	if o.MaxEntryBytes > maxEntryLimit {
		return o, fmt.Errorf("wal: Options.MaxEntryBytes %d is above the format's limit %d", o.MaxEntryBytes, maxEntryLimit)
	}
	if o.MaxPendingBytes == 0 {
		o.MaxPendingBytes = DefaultMaxPendingBytes
	}
	return o, nil
}
