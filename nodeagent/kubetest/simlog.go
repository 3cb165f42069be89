package kubetest

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"sync"
	"time"
)

// maxLogLine is where a long line is cut into pieces, as containerd cuts
// a line into 16 KiB partial entries of the CRI log.
const maxLogLine = 16 << 10

// logTimeFormat is how the kubelet prints a line's timestamp
// (timestamps=true): fixed-width RFC 3339 with nanoseconds.
const logTimeFormat = "2006-01-02T15:04:05.000000000Z07:00"

// logEntry is one entry of a container's log: a line with its newline, a
// piece of a longer line, or the last bytes of an output that did not end
// with a newline.
type logEntry struct {
	t    time.Time
	data []byte
}

// containerLog is a container's log as the runtime records it: written by
// the container (Write, line by line, each line timestamped when it is
// complete), read by any number of readers, followers among them woken at
// each change.
type containerLog struct {
	mu      sync.Mutex
	entries []logEntry
	pending []byte // written, no newline yet
	closed  bool
	changed chan struct{} // closed and replaced at each change
}

func newContainerLog() *containerLog { return &containerLog{changed: make(chan struct{})} }

// Write appends output: every complete line (or 16 KiB piece) becomes an
// entry at once; the rest waits for its newline or for close.
func (l *containerLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return 0, io.ErrClosedPipe
	}
	l.pending = append(l.pending, p...)
	added := false
	for {
		i := bytes.IndexByte(l.pending, '\n')
		switch {
		case i >= 0 && i < maxLogLine:
			l.add(l.pending[:i+1])
			l.pending = l.pending[i+1:]
		case len(l.pending) >= maxLogLine:
			l.add(l.pending[:maxLogLine])
			l.pending = l.pending[maxLogLine:]
		default:
			if added {
				l.notify()
			}
			return len(p), nil
		}
		added = true
	}
}

// add records an entry (l.mu held).
func (l *containerLog) add(data []byte) {
	l.entries = append(l.entries, logEntry{t: time.Now().UTC(), data: append([]byte(nil), data...)})
}

func (l *containerLog) notify() {
	close(l.changed)
	l.changed = make(chan struct{})
}

// close ends the log (the container exited and its output was drained):
// an unterminated last line becomes an entry; followers finish.
func (l *containerLog) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	if len(l.pending) > 0 {
		l.add(l.pending)
		l.pending = nil
	}
	l.closed = true
	l.notify()
}

// next is the entries from i on, whether the log is closed, and the
// channel closed at the next change.
func (l *containerLog) next(i int) ([]logEntry, bool, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.entries[min(i, len(l.entries)):], l.closed, l.changed
}

func (l *containerLog) length() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.entries)
}

// logOptions are the kubelet's containerLogs parameters.
type logOptions struct {
	follow, timestamps bool
	since              time.Time
	tail               int64 // < 0: all
	limit              int64 // < 0: no limit
}

// logStream is one open containerLogs response; BreakLogStreams closes
// broken to end it abruptly.
type logStream struct{ broken chan struct{} }

// errLogBroken: BreakLogStreams ended the stream.
var errLogBroken = &logBrokenError{}

type logBrokenError struct{}

func (*logBrokenError) Error() string { return "log stream broken on purpose" }

// copyTo writes the log to w as the kubelet does (cri-client's
// ReadLogs): tailLines picks the start, lines older than sinceTime are
// skipped, a timestamp prefixes each entry that starts a line, output
// stops after limitBytes; following waits for more until the log closes.
func (l *containerLog) copyTo(ctx context.Context, dst io.Writer, o logOptions, s *logStream) error {
	w := bufio.NewWriterSize(dst, 32<<10)
	flush := func() error {
		err := w.Flush()
		if f, ok := dst.(http.Flusher); ok {
			f.Flush()
		}
		return err
	}
	defer func() { _ = flush() }()
	i := 0
	if o.tail >= 0 {
		i = max(0, l.length()-int(o.tail))
	}
	limited, left := o.tail >= 0 && !o.follow, o.tail
	remain := o.limit
	if remain < 0 {
		remain = 1 << 62
	}
	newLine := true
	for {
		entries, closed, changed := l.next(i)
		for _, e := range entries {
			if limited && left == 0 {
				return nil
			}
			select {
			case <-s.broken: // mid-burst too, and in reads without follow
				return errLogBroken
			default:
			}
			i++
			if !e.t.Before(o.since) {
				line := e.data
				if o.timestamps && newLine {
					line = append([]byte(e.t.Format(logTimeFormat)+" "), line...)
				}
				line = line[:min(int64(len(line)), remain)]
				n, err := w.Write(line)
				remain -= int64(n)
				if err != nil {
					return err
				}
				if remain <= 0 {
					return flush()
				}
			}
			left-- // skipped entries count too, as in the kubelet
			newLine = e.data[len(e.data)-1] == '\n'
		}
		if err := flush(); err != nil {
			return err
		}
		if !o.follow || closed {
			return nil // closed came with the entries: they were the last
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		case <-s.broken:
			return errLogBroken
		}
	}
}

// BreakLogStreams ends every containerLogs response in progress
// abruptly, as a dropped connection would, and returns how many it ended:
// the reader sees an error or, through the API server (which copies the
// node's response and ignores the copy's error), an early end.
func (n *SimNode) BreakLogStreams() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	count := len(n.streams)
	for s := range n.streams {
		close(s.broken)
		delete(n.streams, s)
	}
	return count
}

// cutWriter breaks a response after left bytes (SimOptions.LogCut).
type cutWriter struct {
	w    io.Writer
	left int64
}

func (c *cutWriter) Write(p []byte) (int, error) {
	if int64(len(p)) <= c.left {
		c.left -= int64(len(p))
		return c.w.Write(p)
	}
	n, _ := c.w.Write(p[:c.left])
	c.left = 0
	return n, errLogBroken
}

// Flush passes flushes on to the response.
func (c *cutWriter) Flush() {
	if f, ok := c.w.(http.Flusher); ok {
		f.Flush()
	}
}
