package otlp

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Files of the queue directory.
const (
	metaFile      = "queue.json"
	cursorFile    = "cursor"
	segmentPrefix = "seg-"
	segmentSuffix = ".log"
	// seqBlock sequence numbers are reserved on disk at a time: one fsync
	// per seqBlock entries keeps batch ids unique across restarts and
	// crashes, whatever was written or lost after the reservation.
	seqBlock = 4096
)

// position is a place in the queue: a segment and a byte offset in it.
type position struct {
	seg uint64
	off int64
}

// meta is queue.json: the queue's id, made once, and the first sequence
// number no entry has been given (every issued one is below it).
type meta struct {
	ID      string `json:"id"`
	NextSeq uint64 `json:"next_seq"`
}

func loadMeta(dir string) (meta, error) {
	b, err := os.ReadFile(filepath.Join(dir, metaFile)) //nolint:gosec // G304: the queue's own file
	if errors.Is(err, fs.ErrNotExist) {
		var id [16]byte
		if _, err := rand.Read(id[:]); err != nil {
			return meta{}, err
		}
		return meta{ID: hex.EncodeToString(id[:]), NextSeq: 1}, nil
	}
	if err != nil {
		return meta{}, err
	}
	var m meta
	if err := json.Unmarshal(b, &m); err != nil || m.ID == "" || len(m.ID) > 64 || m.NextSeq == 0 {
		// Unlike the cursor, this cannot be guessed: a new id would make
		// the control plane store redelivered entries twice, and a
		// reused sequence number lose new ones.
		return meta{}, fmt.Errorf("%s is damaged; remove the queue directory (its unsent telemetry is lost): %w", metaFile, err)
	}
	return m, nil
}

// saveMeta writes queue.json atomically and durably.
func saveMeta(dir string, m meta) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return writeFileSync(dir, metaFile, append(b, '\n'))
}

// writeFileSync writes name in dir through a synced temporary file and a
// rename, then syncs dir so the rename survives a crash.
func writeFileSync(dir, name string, data []byte) error {
	tmp, err := os.CreateTemp(dir, name+".tmp*")
	if err != nil {
		return err
	}
	defer func() { _ = os.Remove(tmp.Name()) }()
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, name)); err != nil {
		return err
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir) //nolint:gosec // G304: the queue's own directory
	if err != nil {
		return err
	}
	defer func() { _ = d.Close() }()
	return d.Sync()
}

// The cursor file has two slots, written in turn, each
//
//	u64 generation | u64 segment | u64 offset | u32 CRC-32C of the 24 bytes before | 4 bytes zero
//
// and the valid slot with the higher generation wins. An update writes
// the older slot in place and fsyncs: a write torn by a crash leaves the
// other slot, one acknowledgement behind, which only redelivers an entry
// the control plane recognises as a duplicate.
const cursorSlot = 32

type cursor struct {
	f   *os.File
	gen uint64
}

func openCursor(dir string) (*cursor, position, bool, error) {
	f, err := os.OpenFile(filepath.Join(dir, cursorFile), os.O_RDWR|os.O_CREATE, 0o600) //nolint:gosec // G304: the queue's own file
	if err != nil {
		return nil, position{}, false, err
	}
	var buf [2 * cursorSlot]byte
	n, _ := f.ReadAt(buf[:], 0)
	c := &cursor{f: f}
	var (
		pos   position
		found bool
	)
	for i := 0; i+cursorSlot <= n; i += cursorSlot {
		s := buf[i : i+cursorSlot]
		if crc32.Checksum(s[:24], castagnoli) != binary.LittleEndian.Uint32(s[24:]) {
			continue
		}
		gen := binary.LittleEndian.Uint64(s[0:])
		if gen == 0 || (found && gen <= c.gen) {
			continue
		}
		c.gen, found = gen, true
		pos = position{seg: binary.LittleEndian.Uint64(s[8:]), off: int64(binary.LittleEndian.Uint64(s[16:]))} //nolint:gosec // G115: written from a non-negative int64.
	}
	return c, pos, found, nil
}

// save records p durably.
func (c *cursor) save(p position) error {
	gen := c.gen + 1
	var s [cursorSlot]byte
	binary.LittleEndian.PutUint64(s[0:], gen)
	binary.LittleEndian.PutUint64(s[8:], p.seg)
	binary.LittleEndian.PutUint64(s[16:], uint64(p.off)) //nolint:gosec // G115: offsets are never negative.
	binary.LittleEndian.PutUint32(s[24:], crc32.Checksum(s[:24], castagnoli))
	if _, err := c.f.WriteAt(s[:], int64(gen%2)*cursorSlot); err != nil {
		return err
	}
	if err := c.f.Sync(); err != nil {
		return err
	}
	c.gen = gen
	return nil
}

func (c *cursor) close() error { return c.f.Close() }

func segmentName(num uint64) string {
	return fmt.Sprintf("%s%016x%s", segmentPrefix, num, segmentSuffix)
}

// listSegments returns the numbers of the segment files in dir, in
// order, and removes temporary files a crash left.
func listSegments(dir string) ([]uint64, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var nums []uint64
	for _, e := range entries {
		name := e.Name()
		if strings.Contains(name, ".tmp") {
			_ = os.Remove(filepath.Join(dir, name))
			continue
		}
		if !strings.HasPrefix(name, segmentPrefix) || !strings.HasSuffix(name, segmentSuffix) {
			continue
		}
		num, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(name, segmentPrefix), segmentSuffix), 16, 64)
		if err != nil || num == 0 {
			continue
		}
		nums = append(nums, num)
	}
	// ReadDir sorts by name, and the names are fixed-width hex.
	return nums, nil
}
