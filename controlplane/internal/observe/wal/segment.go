package wal

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

const (
	segmentSuffix = ".wal"
	tempSuffix    = ".wal.tmp"
	idDigits      = 20
)

// segmentFile is what the committer needs of the active segment's file.
// Sync makes written data durable (fdatasync where the platform has it).
type segmentFile interface {
	io.Writer
	Sync() error
	Close() error
}

// osFile is the real segmentFile.
type osFile struct{ f *os.File }

func (o osFile) Write(p []byte) (int, error) { return o.f.Write(p) }
func (o osFile) Sync() error                 { return datasync(o.f) }
func (o osFile) Close() error                { return o.f.Close() }

// segment is the active segment, owned by the committer goroutine.
type segment struct {
	id      uint64
	f       segmentFile
	size    int64 // bytes written and fsync'd, header included
	entries int
}

// sealedInfo describes a sealed segment.
type sealedInfo struct {
	id      uint64
	size    int64
	entries int
}

func segmentName(id uint64) string { return fmt.Sprintf("%0*d%s", idDigits, id, segmentSuffix) }

// parseSegmentName accepts exactly the names segmentName makes.
func parseSegmentName(name string) (uint64, bool) {
	digits, ok := strings.CutSuffix(name, segmentSuffix)
	if !ok || len(digits) != idDigits {
		return 0, false
	}
	id, err := strconv.ParseUint(digits, 10, 64)
	return id, err == nil
}

// listDir returns the segment ids in dir, ascending, and the leftover
// temporary files of segments whose creation never finished.
func listDir(dir string) (ids []uint64, temps []string, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, err
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		if strings.HasSuffix(e.Name(), tempSuffix) {
			temps = append(temps, e.Name())
		} else if id, ok := parseSegmentName(e.Name()); ok {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids, temps, nil
}

// createSegment makes segment id durable before returning it: the header
// is written and fsync'd under a temporary name, then renamed into place
// and the directory fsync'd, so the segment name never refers to a file
// without a whole header. It returns the number of fsyncs made.
func createSegment(dir string, id uint64, wrap func(segmentFile) segmentFile) (*segment, int, error) {
	final := filepath.Join(dir, segmentName(id))
	tmp := final + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600) //nolint:gosec // G304: the path is built from the WAL's own directory and a numeric id.
	if err != nil {
		return nil, 0, fmt.Errorf("wal: create segment %d: %w", id, err)
	}
	syncs := 0
	fail := func(err error) (*segment, int, error) {
		_ = f.Close()
		_ = os.Remove(tmp)
		return nil, syncs, fmt.Errorf("wal: create segment %d: %w", id, err)
	}
	if _, err := f.Write(encodeHeader(id)); err != nil {
		return fail(err)
	}
	syncs++
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp, final); err != nil {
		return fail(err)
	}
	syncs++
	if err := syncDir(dir); err != nil {
		// The rename happened but may not be durable; the file is now a
		// segment and must not be deleted under its temporary name.
		_ = f.Close()
		return nil, syncs, fmt.Errorf("wal: create segment %d: %w", id, err)
	}
	var sf segmentFile = osFile{f}
	if wrap != nil {
		sf = wrap(sf)
	}
	return &segment{id: id, f: sf, size: headerSize}, syncs, nil
}

// recovery is what recoverSegment found in one segment.
type recovery struct {
	info      sealedInfo
	truncated int64 // bytes cut from the tail
	torn      *tornError
	synced    bool // an fsync was made to persist the cut
}

// recoverSegment reads every entry of a segment left by an earlier
// process, verifying each checksum, and cuts the file at the first frame
// that does not check out. The log is append-only and every batch is
// fsync'd before it is acknowledged, so a crash can damage only bytes
// after the last acknowledged entry. Damage anywhere else is media
// corruption: frames after a bad one cannot be trusted to be framed
// right (their lengths are unverified), so they are dropped too, and
// reported.
func recoverSegment(dir string, id uint64) (recovery, error) {
	path := filepath.Join(dir, segmentName(id))
	f, err := os.OpenFile(path, os.O_RDWR, 0) //nolint:gosec // G304: the path is built from the WAL's own directory and a numeric id.
	if err != nil {
		return recovery{}, fmt.Errorf("wal: recover segment %d: %w", id, err)
	}
	// Any cut is fsync'd before this returns; a failing close loses nothing.
	defer func() { _ = f.Close() }()
	fi, err := f.Stat()
	if err != nil {
		return recovery{}, fmt.Errorf("wal: recover segment %d: %w", id, err)
	}
	if fi.Size() < headerSize {
		return recovery{}, fmt.Errorf("%w: segment %d: %d bytes, shorter than its header", ErrCorrupt, id, fi.Size())
	}
	fr := newFrameReader(f, fi.Size())
	hdr := make([]byte, headerSize)
	if _, err := io.ReadFull(fr.r, hdr); err != nil {
		return recovery{}, fmt.Errorf("wal: recover segment %d: %w", id, err)
	}
	if err := checkHeader(hdr, id); err != nil {
		return recovery{}, err
	}
	rec := recovery{info: sealedInfo{id: id}}
	for {
		_, _, err := fr.next()
		if err == nil {
			rec.info.entries++
			continue
		}
		var torn *tornError
		if !errors.As(err, &torn) {
			if errors.Is(err, io.EOF) {
				break
			}
			return recovery{}, fmt.Errorf("wal: recover segment %d: %w", id, err)
		}
		rec.torn = torn
		rec.truncated = fi.Size() - torn.offset
		if err := f.Truncate(torn.offset); err != nil {
			return recovery{}, fmt.Errorf("wal: cut segment %d at %d: %w", id, torn.offset, err)
		}
		if err := f.Sync(); err != nil {
			return recovery{}, fmt.Errorf("wal: cut segment %d at %d: %w", id, torn.offset, err)
		}
		rec.synced = true
		break
	}
	rec.info.size = fr.off
	return rec, nil
}

// syncDir fsyncs a directory so that creations, renames and removals in it
// survive a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir) //nolint:gosec // G304: the WAL's own directory.
	if err != nil {
		return err
	}
	if err := d.Sync(); err != nil {
		_ = d.Close()
		return err
	}
	return d.Close()
}
