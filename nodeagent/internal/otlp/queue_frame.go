package otlp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
)

// An entry on disk is a frame:
//
//	u32 length of body | u32 CRC-32C of body | body
//	body = u8 version | u8 signal | u16 token length | u64 seq | u64 items | token | payload
//
// Integers are little-endian. A frame is written with one write(2); one
// cut short by a crash fails its length or CRC and ends the segment.
const (
	frameHeader   = 8
	bodyFixed     = 1 + 1 + 2 + 8 + 8
	frameVersion  = 1
	maxTokenBytes = 1<<16 - 1
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// errBadFrame: the bytes at an offset are not a whole, intact entry (a
// torn tail, or damage).
var errBadFrame = errors.New("not an intact queue entry")

// frameSize is the bytes an entry takes on disk.
func frameSize(e *Entry) int64 {
	return int64(frameHeader + bodyFixed + len(e.Token) + len(e.Payload))
}

// encodeFrame returns e's frame with sequence number seq.
func encodeFrame(e *Entry, seq uint64) []byte {
	n := frameSize(e)
	b := make([]byte, n)
	body := b[frameHeader:]
	body[0] = frameVersion
	body[1] = byte(e.Signal)                                      //nolint:gosec // G115: Enqueue checks it is 1, 2 or 3.
	binary.LittleEndian.PutUint16(body[2:], uint16(len(e.Token))) //nolint:gosec // G115: Enqueue checks maxTokenBytes.
	binary.LittleEndian.PutUint64(body[4:], seq)
	binary.LittleEndian.PutUint64(body[12:], uint64(e.Items)) //nolint:gosec // G115: a count, never negative.
	copy(body[bodyFixed:], e.Token)
	copy(body[bodyFixed+len(e.Token):], e.Payload)
	binary.LittleEndian.PutUint32(b[0:], uint32(len(body))) //nolint:gosec // G115: bounded by Enqueue (at most MaxBytes/2).
	binary.LittleEndian.PutUint32(b[4:], crc32.Checksum(body, castagnoli))
	return b
}

// frameAt is the entry at off in f, a segment of size bytes: its length
// on disk and its body, checked. A length reaching past size is damage,
// refused before anything is allocated for it.
func frameAt(f *os.File, off, size int64) (int64, []byte, error) {
	var h [frameHeader]byte
	if _, err := f.ReadAt(h[:], off); err != nil {
		return 0, nil, readErr(err)
	}
	n := int64(binary.LittleEndian.Uint32(h[0:]))
	if n < bodyFixed || off+frameHeader+n > size {
		return 0, nil, errBadFrame
	}
	body := make([]byte, n)
	if _, err := f.ReadAt(body, off+frameHeader); err != nil {
		return 0, nil, readErr(err)
	}
	if crc32.Checksum(body, castagnoli) != binary.LittleEndian.Uint32(h[4:]) || body[0] != frameVersion {
		return 0, nil, errBadFrame
	}
	if bodyFixed+int64(binary.LittleEndian.Uint16(body[2:])) > n {
		return 0, nil, errBadFrame
	}
	return frameHeader + n, body, nil
}

// readErr: a short read is a torn entry, anything else a failing disk.
func readErr(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errBadFrame
	}
	return err
}

// decodeBody turns a checked body into an entry and its sequence number.
func decodeBody(body []byte) (Entry, uint64, error) {
	tokenLen := int(binary.LittleEndian.Uint16(body[2:]))
	e := Entry{
		Signal:  Signal(body[1]),
		Items:   int64(binary.LittleEndian.Uint64(body[12:])), //nolint:gosec // G115: written from a non-negative int64.
		Token:   string(body[bodyFixed : bodyFixed+tokenLen]),
		Payload: body[bodyFixed+tokenLen:],
	}
	if !validSignal(e.Signal) {
		return Entry{}, 0, fmt.Errorf("%w: signal %d", errBadFrame, body[1])
	}
	return e, binary.LittleEndian.Uint64(body[4:]), nil
}

// frameItems reads only the item count of the entry at off in a segment
// of size bytes (dropping a segment counts what it loses without reading
// payloads).
func frameItems(f *os.File, off, size int64) (int64, int64, error) {
	var h [frameHeader + bodyFixed]byte
	if _, err := f.ReadAt(h[:], off); err != nil {
		return 0, 0, readErr(err)
	}
	n := int64(binary.LittleEndian.Uint32(h[0:]))
	if n < bodyFixed || off+frameHeader+n > size {
		return 0, 0, errBadFrame
	}
	return frameHeader + n, int64(binary.LittleEndian.Uint64(h[frameHeader+12:])), nil //nolint:gosec // G115: see decodeBody.
}
