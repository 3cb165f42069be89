package wal

import "errors"

// Errors returned by the WAL. Wrapped errors carry detail; test them with
// errors.Is.
var (
	// ErrClosed: the WAL has been closed.
	ErrClosed = errors.New("wal: closed")
	// ErrPoisoned: a write or fsync failed earlier; no further append can
	// be made durable by this WAL. Close it and Open the directory again.
	ErrPoisoned = errors.New("wal: poisoned by an earlier write or fsync failure")
	// ErrEntryTooLarge: the payload is larger than Options.MaxEntryBytes.
	ErrEntryTooLarge = errors.New("wal: entry too large")
	// ErrEmptyEntry: the payload is empty. A zero length is reserved as a
	// marker of corruption, so that a zero-filled tail (which a crash can
	// leave behind) never reads as valid entries.
	ErrEmptyEntry = errors.New("wal: empty entry")
	// ErrActiveSegment: the segment is the active one, which cannot be
	// replayed or removed until it is sealed.
	ErrActiveSegment = errors.New("wal: segment is active")
	// ErrUnknownSegment: no sealed segment has this id.
	ErrUnknownSegment = errors.New("wal: no such sealed segment")
	// ErrCorrupt: a segment's header or a sealed segment's entries do not
	// check out.
	ErrCorrupt = errors.New("wal: corrupt segment")
	// ErrLocked: another WAL (in this process or another) holds the
	// directory.
	ErrLocked = errors.New("wal: directory is locked by another WAL")
)
