package columnar

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"
)

// The reader's source is an S3 object: every ReadAt is a GET with tens of
// milliseconds of latency, so a scan plans the byte ranges it needs (the
// footer, then the page index and bloom filters of the candidate row
// groups, then per row group the pages of the columns a filter reads,
// then the pages of the matching rows), fetches each batch with a few
// large concurrent reads and lets parquet-go decode from memory.
const (
	// coalesceGap: ranges closer than this are fetched as one read. The
	// reads of a batch run concurrently, so what a batch costs is about
	// one round trip whatever the number of reads; merging only small
	// gaps keeps the bytes read close to the bytes planned (a wider gap
	// of 128 KiB doubled what a narrow query read, for fewer GETs).
	coalesceGap = 32 << 10
	// maxParallelReads bounds the concurrent ranged reads of one batch.
	maxParallelReads = 8
	// readBufferSize is parquet-go's read buffer for pages and headers.
	readBufferSize = 4096
)

// errOutsidePlan is returned when the scan's own parsing needs bytes it
// did not fetch: a bug in the plan, or metadata pointing elsewhere.
var errOutsidePlan = errors.New("read outside the planned ranges")

type byteRange struct{ off, end int64 }

// counter is the scan's view of the caller's reader: it counts what the
// scan cost, which Stats reports.
type counter struct {
	r            io.ReaderAt
	bytes, reads atomic.Int64
}

func (c *counter) readAt(p []byte, off int64) error {
	c.reads.Add(1)
	n, err := c.r.ReadAt(p, off)
	c.bytes.Add(int64(n))
	if n == len(p) {
		return nil // io.ReaderAt may return io.EOF with a full read at the end
	}
	if err == nil {
		err = io.ErrUnexpectedEOF
	}
	return err
}

type segment struct {
	off  int64
	data []byte
	// pinned segments (footer, page index, bloom filters) live for the
	// whole scan; the others are released after their row group.
	pinned bool
}

// cache serves parquet-go's ReadAt calls from fetched segments, and only
// within the ranges the scan planned and validated (segments also hold
// the gaps coalescing read along, which are not given out): the decoder
// never sees a byte the scan has not checked.
type cache struct {
	src  *counter
	size int64
	mu   sync.Mutex
	segs []segment
	// allowed holds the planned ranges, sorted and merged, pinned ones
	// (footer, page index) apart from the row group's.
	allowed [2][]byteRange
}

func newCache(r io.ReaderAt, size int64) *cache {
	return &cache{src: &counter{r: r}, size: size}
}

// ReadAt implements io.ReaderAt over the fetched segments, as if the
// file ended where the planned range holding off ends: it returns the
// planned bytes from off and io.EOF when the read runs past them.
//
// parquet-go reads past what it decodes: a buffer's worth after a page,
// and the next page's header when a row ends at the end of a page (to see
// whether the row goes on; in data page v2 it never does). Ending the
// file there keeps those bytes, neither planned nor validated, away from
// the decoder, which then sees the end of a column where it only looked
// ahead. Where it needed the rows, the scan checks it got them all.
func (c *cache) ReadAt(p []byte, off int64) (int, error) {
	end := min(off+int64(len(p)), c.size)
	upTo := c.allowedUpTo(off, end)
	if upTo <= off {
		return 0, io.EOF
	}
	b := c.lookup(off, upTo-off)
	if b == nil {
		return 0, fmt.Errorf("read of %d bytes at %d: %w", len(p), off, errOutsidePlan)
	}
	n := copy(p, b)
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// allowedUpTo returns how far from off, up to end, reading is planned
// (off itself when it is not).
func (c *cache) allowedUpTo(off, end int64) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, rs := range c.allowed {
		for _, r := range rs {
			if off >= r.off && off < r.end {
				return min(end, r.end)
			}
		}
	}
	return off
}

// lookup returns the n cached bytes at off, or nil if segments do not
// hold them all. Bytes spread over adjacent segments (a page fetched in
// phase one next to one fetched in phase two) are copied together.
func (c *cache) lookup(off, n int64) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.segs {
		if off >= s.off && off+n <= s.off+int64(len(s.data)) {
			return s.data[off-s.off : off-s.off+n]
		}
	}
	out := make([]byte, 0, n)
	for pos, end := off, off+n; pos < end; {
		var piece []byte
		for _, s := range c.segs {
			if pos >= s.off && pos < s.off+int64(len(s.data)) {
				if b := s.data[pos-s.off : min(end, s.off+int64(len(s.data)))-s.off]; len(b) > len(piece) {
					piece = b
				}
			}
		}
		if len(piece) == 0 {
			return nil
		}
		out = append(out, piece...)
		pos += int64(len(piece))
	}
	return out
}

// bytesAt is lookup for the scan's own parsing: a missing range is a bug
// in the plan or a damaged file, reported as an error.
func (c *cache) bytesAt(off, n int64) ([]byte, error) {
	if off < 0 || n < 0 || off > c.size-n {
		return nil, fmt.Errorf("%w: range [%d,+%d) outside a file of %d bytes", ErrCorrupt, off, n, c.size)
	}
	if b := c.lookup(off, n); b != nil {
		return b, nil
	}
	return nil, fmt.Errorf("range [%d,+%d): %w", off, n, errOutsidePlan)
}

// fetch reads ranges not already cached, coalescing neighbours and
// reading the resulting ranges concurrently.
func (c *cache) fetch(ctx context.Context, ranges []byteRange, pinned bool) error {
	for _, r := range ranges {
		if r.off < 0 || r.end > c.size || r.off > r.end {
			return fmt.Errorf("%w: range [%d,%d) outside a file of %d bytes", ErrCorrupt, r.off, r.end, c.size)
		}
	}
	c.mu.Lock()
	k := 0
	if pinned {
		k = 1
	}
	c.allowed[k] = merge(append(c.allowed[k], ranges...), 0)
	c.mu.Unlock()
	var missing []byteRange
	for _, r := range merge(ranges, 0) {
		missing = append(missing, c.uncached(r)...)
	}
	todo := merge(missing, coalesceGap)
	if len(todo) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	segs := make([]segment, len(todo))
	errs := make([]error, len(todo))
	sem := make(chan struct{}, maxParallelReads)
	var wg sync.WaitGroup
	for i, r := range todo {
		segs[i] = segment{off: r.off, data: make([]byte, r.end-r.off), pinned: pinned}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			errs[i] = c.src.readAt(segs[i].data, r.off)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("reading the file: %w", err)
	}
	c.mu.Lock()
	c.segs = append(c.segs, segs...)
	c.mu.Unlock()
	return nil
}

// uncached returns the parts of r no segment holds.
func (c *cache) uncached(r byteRange) []byteRange {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := []byteRange{r}
	for _, s := range c.segs {
		sr := byteRange{s.off, s.off + int64(len(s.data))}
		var next []byteRange
		for _, o := range out {
			if sr.end <= o.off || sr.off >= o.end {
				next = append(next, o)
				continue
			}
			if o.off < sr.off {
				next = append(next, byteRange{o.off, sr.off})
			}
			if sr.end < o.end {
				next = append(next, byteRange{sr.end, o.end})
			}
		}
		out = next
	}
	return out
}

// release drops the segments of the row group just scanned.
func (c *cache) release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.segs = slices.DeleteFunc(c.segs, func(s segment) bool { return !s.pinned })
	c.allowed[0] = nil
}

// merge sorts ranges and merges those that overlap or lie within gap
// bytes of each other.
func merge(ranges []byteRange, gap int64) []byteRange {
	rs := slices.Clone(ranges)
	slices.SortFunc(rs, func(a, b byteRange) int { return cmp.Compare(a.off, b.off) })
	out := rs[:0]
	for _, r := range rs {
		if r.end <= r.off {
			continue
		}
		if n := len(out); n > 0 && r.off <= out[n-1].end+gap {
			out[n-1].end = max(out[n-1].end, r.end)
			continue
		}
		out = append(out, r)
	}
	return out
}
