package kubernetes

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/hearth-dev/hearth/nodeagent/internal/runner"
)

// The kubelet serves a container's log with timestamps=true as lines
// "<RFC3339Nano> <content>\n" and resumes only at a sinceTime of whole
// seconds (there are no byte offsets). A demux turns such a stream into the
// job's step logs exactly once, across broken connections and agent
// restarts:
//
//   - its cursor is the timestamp of the last line it consumed and the
//     hashes of the lines consumed at that timestamp: a line read again
//     after a reconnect (from the cursor's second on) is dropped when it
//     is older than the cursor, or at the cursor's time with a hash still
//     unmatched in that set;
//   - the cursor also records how many bytes each step log held at that
//     point, and is written to disk after the log bytes it covers. After a
//     restart, a step log longer than the cursor says holds lines consumed
//     after the cursor was last written: the demux, reading from the
//     cursor again, produces those same bytes first and drops that many.
//
// Content is split at markers (script.go) into steps; the init
// container's demux has no nonce and writes everything to step 0.

// maxFragment bounds a line held in memory: a longer line is consumed in
// fragments of this size (at the same offsets on every read, so dedup
// still matches them).
const maxFragment = 1 << 20

// cursor is a demux's position, persisted as JSON.
type cursor struct {
	Time  time.Time        `json:"time"`
	Seen  []string         `json:"seen,omitempty"`
	Step  uint32           `json:"step"`
	Sizes map[uint32]int64 `json:"sizes,omitempty"`
	// Exits are the exit codes the markers reported, by step.
	Exits map[uint32]int32 `json:"exits,omitempty"`
}

type demux struct {
	dir, cursorPath string
	nonce           string // "" for the init container: no markers
	cur             cursor
	skip            map[string]int   // hashes at cur.Time still to drop on this read
	drop            map[uint32]int64 // bytes of a step log already on disk past cur.Sizes
	files           map[uint32]*os.File
	partial         []byte // the current line so far (no newline yet)
	partialTime     time.Time
	partialFrags    int // fragments of the current line already consumed
	fresh           int // lines (or fragments) this read consumed, not dropped
}

// openDemux loads the cursor at cursorPath (none: from the start) and
// measures the step logs in dir against it.
func openDemux(dir, cursorPath, nonce string, firstStep uint32) (*demux, error) {
	d := &demux{dir: dir, cursorPath: cursorPath, nonce: nonce, drop: map[uint32]int64{}, files: map[uint32]*os.File{}}
	data, err := os.ReadFile(cursorPath) //nolint:gosec // G304: the job directory the agent owns
	switch {
	case errors.Is(err, os.ErrNotExist):
		d.cur = cursor{Step: firstStep}
	case err != nil:
		return nil, err
	default:
		if err := json.Unmarshal(data, &d.cur); err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Base(cursorPath), err)
		}
	}
	if d.cur.Sizes == nil {
		d.cur.Sizes = map[uint32]int64{}
	}
	if d.cur.Exits == nil {
		d.cur.Exits = map[uint32]int32{}
	}
	d.rewind()
	return d, nil
}

// rewind prepares for reading again from the cursor (a new connection):
// the lines at the cursor's time are to be dropped once each, and the
// bytes on disk past the cursor's sizes too.
func (d *demux) rewind() {
	d.skip = map[string]int{}
	for _, h := range d.cur.Seen {
		d.skip[h]++
	}
	d.partial, d.partialFrags, d.fresh = nil, 0, 0
	for step := range d.files {
		d.closeStep(step)
	}
	d.drop = map[uint32]int64{}
}

// since is the sinceTime to read from (zero: from the start).
func (d *demux) since() time.Time { return d.cur.Time }

// feed consumes a piece of the stream. Whole lines are consumed; the rest
// waits for its newline (or for finish).
func (d *demux) feed(data []byte) error {
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			d.partial = append(d.partial, data...)
			data = nil
		} else {
			d.partial = append(d.partial, data[:i+1]...)
			data = data[i+1:]
		}
		for len(d.partial) > maxFragment+timestampRoom || (len(d.partial) > 0 && d.partial[len(d.partial)-1] == '\n') {
			if err := d.line(); err != nil {
				return err
			}
		}
	}
	return nil
}

// timestampRoom is room for the timestamp prefix of a line's first fragment.
const timestampRoom = 64

// finish consumes a last line without newline: the stream ended because
// the container did.
func (d *demux) finish() error {
	if len(d.partial) == 0 {
		return nil
	}
	return d.line()
}

// line consumes d.partial up to its newline, or its next fragment of
// maxFragment bytes. feed never lets d.partial hold a newline but at its
// end, so fragments are cut at the same offsets however the stream was
// chunked.
func (d *demux) line() error {
	buf := d.partial
	if d.partialFrags == 0 {
		sp := bytes.IndexByte(buf, ' ')
		if sp < 0 || sp > timestampRoom {
			return fmt.Errorf("log line without a timestamp: %.60q", buf)
		}
		t, err := time.Parse(time.RFC3339Nano, string(buf[:sp]))
		if err != nil {
			return fmt.Errorf("log line timestamp: %w", err)
		}
		d.partialTime, buf = t, buf[sp+1:]
	}
	content, rest := buf, []byte(nil)
	if len(content) > maxFragment {
		content, rest = buf[:maxFragment], buf[maxFragment:]
	}
	frag := d.partialFrags
	d.partialFrags++
	if len(rest) == 0 {
		d.partialFrags = 0 // the line is complete (or the stream ended)
	}
	err := d.consume(d.partialTime, frag, content)
	d.partial = append(d.partial[:0:0], rest...)
	return err
}

// consume applies one line (or fragment) unless it was consumed before.
func (d *demux) consume(ts time.Time, frag int, content []byte) error {
	sum := sha256.Sum256(append([]byte(strconv.Itoa(frag)+"\x00"), content...))
	h := hex.EncodeToString(sum[:12])
	switch {
	case ts.Before(d.cur.Time):
		return nil
	case ts.Equal(d.cur.Time) && d.skip[h] > 0:
		d.skip[h]--
		return nil
	case ts.Equal(d.cur.Time):
		d.cur.Seen = append(d.cur.Seen, h)
	default:
		d.cur.Time, d.cur.Seen, d.skip = ts, []string{h}, nil
	}
	d.fresh++
	return d.split(content)
}

// readEnd is how a read of the log ended.
type readEnd struct {
	fresh      int    // lines it brought that were new
	pastCursor bool   // it got past the lines the cursor had (all were read again)
	partial    []byte // the unterminated line it ended with
}

// end is how the current read ended, once it did.
func (d *demux) end() readEnd {
	past := true
	for _, n := range d.skip {
		past = past && n == 0
	}
	return readEnd{fresh: d.fresh, pastCursor: past, partial: append([]byte(nil), d.partial...)}
}

// confirms reports whether a read that ended as e, after one that ended
// as prev, proves the log complete: a read cut short ends as cleanly as a
// whole one (see follower.run), so a read of a terminated container counts
// only once a read from the cursor brings nothing new, got past the
// cursor's lines and ends where the previous one ended. Two reads cut at
// the same place, reading from different starts, would fool it.
func (e readEnd) confirms(prev readEnd) bool {
	return e.fresh == 0 && e.pastCursor && bytes.Equal(e.partial, prev.partial)
}

// split writes content to the current step, switching steps at markers.
func (d *demux) split(content []byte) error {
	if d.nonce == "" {
		return d.write(d.cur.Step, content)
	}
	prefix := []byte(markerPrefix + d.nonce + ":")
	for {
		i := bytes.Index(content, prefix)
		if i < 0 {
			return d.write(d.cur.Step, content)
		}
		if err := d.write(d.cur.Step, content[:i]); err != nil {
			return err
		}
		rest := content[i+len(prefix):]
		end := bytes.Index(rest, []byte("##"))
		if end < 0 {
			return d.write(d.cur.Step, content[i:]) // not a marker after all
		}
		d.event(string(rest[:end]))
		content = bytes.TrimPrefix(rest[end+2:], []byte("\n"))
		if len(content) == 0 {
			return nil
		}
	}
}

// event applies a marker's "step:N" or "exit:N:CODE".
func (d *demux) event(ev string) {
	var step uint32
	var code int32
	if _, err := fmt.Sscanf(ev, "step:%d", &step); err == nil {
		d.cur.Step = step
		return
	}
	if _, err := fmt.Sscanf(ev, "exit:%d:%d", &step, &code); err == nil {
		d.cur.Exits[step] = code
	}
}

// write appends to a step log, dropping what an earlier agent already
// wrote past the cursor (see the type's comment).
func (d *demux) write(step uint32, p []byte) error {
	if len(p) == 0 {
		return nil
	}
	f, err := d.openStep(step)
	if err != nil {
		return err
	}
	d.cur.Sizes[step] += int64(len(p))
	if n := d.drop[step]; n > 0 {
		if int64(len(p)) <= n {
			d.drop[step] = n - int64(len(p))
			return nil
		}
		p = p[n:]
		d.drop[step] = 0
	}
	_, err = f.Write(p)
	return err
}

func (d *demux) openStep(step uint32) (*os.File, error) {
	if f := d.files[step]; f != nil {
		return f, nil
	}
	path := runner.LogPath(d.dir, step)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600) //nolint:gosec // G304: a log in the job directory the agent owns
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	if extra := st.Size() - d.cur.Sizes[step]; extra > 0 {
		d.drop[step] = extra
	}
	d.files[step] = f
	return f, nil
}

func (d *demux) closeStep(step uint32) {
	if f := d.files[step]; f != nil {
		_ = f.Close()
	}
	delete(d.files, step)
}

// save writes the cursor (after the log bytes it covers are written).
func (d *demux) save() error {
	data, err := json.Marshal(d.cur)
	if err != nil {
		return err
	}
	return runner.WriteFileAtomic(d.cursorPath, data)
}

// close closes the step logs.
func (d *demux) close() {
	for step := range d.files {
		d.closeStep(step)
	}
}
