package wal

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

const (
	magic           = "HWAL"
	formatVersion   = 1
	headerSize      = 16
	frameHeaderSize = 8
)

// Position locates an entry: its segment and the byte offset of its frame
// in that segment's file.
type Position struct {
	Segment uint64
	Offset  int64
}

func checksum(p []byte) uint32 {
	// MakeTable returns the package's cached Castagnoli table (hardware
	// accelerated where available); no table of our own to hold.
	return crc32.Checksum(p, crc32.MakeTable(crc32.Castagnoli))
}

func encodeHeader(id uint64) []byte {
	h := make([]byte, headerSize)
	copy(h, magic)
	binary.LittleEndian.PutUint16(h[4:], formatVersion)
	binary.LittleEndian.PutUint64(h[8:], id)
	return h
}

// checkHeader verifies a segment header, including that it names the same
// id as the file: a renamed or copied file is caught here.
func checkHeader(h []byte, id uint64) error {
	if string(h[:4]) != magic {
		return fmt.Errorf("%w: segment %d: bad magic %q", ErrCorrupt, id, h[:4])
	}
	if v := binary.LittleEndian.Uint16(h[4:]); v != formatVersion {
		return fmt.Errorf("%w: segment %d: unknown format version %d", ErrCorrupt, id, v)
	}
	if got := binary.LittleEndian.Uint64(h[8:]); got != id {
		return fmt.Errorf("%w: segment %d: header names segment %d", ErrCorrupt, id, got)
	}
	return nil
}

// appendFrame appends payload's frame to dst.
func appendFrame(dst, payload []byte, sum uint32) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(payload))) //nolint:gosec // G115: len ≤ MaxEntryBytes ≤ 1 GiB, checked by Append.
	dst = binary.LittleEndian.AppendUint32(dst, sum)
	return append(dst, payload...)
}

// tornError describes where and why a segment stops being readable.
type tornError struct {
	offset int64
	reason string
}

func (e *tornError) Error() string {
	return fmt.Sprintf("%s at offset %d", e.reason, e.offset)
}

// frameReader reads frames sequentially from a segment whose header has
// been consumed. It trusts no length: one above maxEntryLimit or past the
// end of the file is reported as torn before anything is allocated, so
// the payload buffer never grows beyond what the file really holds.
type frameReader struct {
	r    *bufio.Reader
	off  int64 // offset of the next frame
	size int64 // file size
	hdr  [frameHeaderSize]byte
	buf  []byte // reused for every payload
}

func newFrameReader(r io.Reader, size int64) *frameReader {
	return &frameReader{r: bufio.NewReaderSize(r, 64<<10), off: headerSize, size: size}
}

// next returns the next entry's offset and payload (valid until the next
// call), io.EOF at a clean end, or a *tornError.
func (fr *frameReader) next() (int64, []byte, error) {
	off := fr.off
	if _, err := io.ReadFull(fr.r, fr.hdr[:]); err != nil {
		if errors.Is(err, io.EOF) {
			return 0, nil, io.EOF
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return 0, nil, &tornError{off, "short frame header"}
		}
		return 0, nil, err
	}
	n := int64(binary.LittleEndian.Uint32(fr.hdr[:4]))
	switch {
	case n == 0:
		return 0, nil, &tornError{off, "zero length"}
	case n > maxEntryLimit:
		return 0, nil, &tornError{off, fmt.Sprintf("length %d above the format limit", n)}
	case off+frameHeaderSize+n > fr.size:
		return 0, nil, &tornError{off, fmt.Sprintf("length %d past the end of the segment", n)}
	}
	if int64(cap(fr.buf)) < n {
		fr.buf = make([]byte, n)
	}
	fr.buf = fr.buf[:n]
	if _, err := io.ReadFull(fr.r, fr.buf); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			// The file shrank under us; treat it like any short tail.
			return 0, nil, &tornError{off, "short payload"}
		}
		return 0, nil, err
	}
	if checksum(fr.buf) != binary.LittleEndian.Uint32(fr.hdr[4:]) {
		return 0, nil, &tornError{off, "checksum mismatch"}
	}
	fr.off = off + frameHeaderSize + n
	return off, fr.buf, nil
}
