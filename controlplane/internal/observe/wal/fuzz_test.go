package wal

import (
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// FuzzRecoverSegment: whatever follows a valid header, recovery never
// panics or errors, cuts the file exactly at the end of the entries it
// counted, and leaves a segment that reads back cleanly, entry for entry.
func FuzzRecoverSegment(f *testing.F) {
	valid := appendFrame(nil, []byte("hello"), checksum([]byte("hello")))
	valid = appendFrame(valid, []byte("world!"), checksum([]byte("world!")))
	f.Add([]byte{})
	f.Add(valid)
	f.Add(valid[:len(valid)-2])
	f.Add(append(valid, make([]byte, 64)...))
	f.Add(append(valid, binary.LittleEndian.AppendUint32(nil, 0xFFFFFFF0)...))
	flipped := append([]byte(nil), valid...)
	flipped[10] ^= 0xFF
	f.Add(flipped)
	f.Fuzz(func(t *testing.T, tail []byte) {
		dir := t.TempDir()
		path := filepath.Join(dir, segmentName(1))
		if err := os.WriteFile(path, append(encodeHeader(1), tail...), 0o600); err != nil {
			t.Fatal(err)
		}
		rec, err := recoverSegment(dir, 1)
		if err != nil {
			t.Fatalf("recoverSegment: %v", err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() != rec.info.size || rec.truncated != int64(headerSize+len(tail))-rec.info.size {
			t.Fatalf("file is %d bytes, recovery says %d kept and %d cut of %d", fi.Size(), rec.info.size, rec.truncated, headerSize+len(tail))
		}
		file, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer file.Close()
		fr := newFrameReader(file, fi.Size())
		if _, err := io.ReadFull(fr.r, make([]byte, headerSize)); err != nil {
			t.Fatal(err)
		}
		n := 0
		for {
			_, _, err := fr.next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("after recovery, entry %d: %v", n, err)
			}
			n++
		}
		if n != rec.info.entries {
			t.Fatalf("recovery counted %d entries, %d read back", rec.info.entries, n)
		}
	})
}
