package columnar

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/parquet-go/parquet-go"
)

// Phase one of a row group: decode only the columns the filter reads and
// narrow the selection column by column, cheapest first.

// seekGap joins selected runs closer than this many rows into one read.
const seekGap = 64

// valueStream reads a column chunk's values in order across pages,
// starting at a row it seeks to (through the offset index, so only the
// pages holding the wanted rows are decoded).
type valueStream struct {
	pages *parquet.FilePages
	page  parquet.Page
	vr    parquet.ValueReader
	buf   []parquet.Value
	i, n  int
}

func newValueStream(cc parquet.ColumnChunk, c *cache) (*valueStream, error) {
	fc, ok := cc.(*parquet.FileColumnChunk)
	if !ok {
		return nil, errors.New("columnar: not a file column chunk")
	}
	// Loading the offset index makes SeekToRow jump to the right page
	// instead of decoding every page before it.
	if _, err := fc.OffsetIndex(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return &valueStream{pages: fc.PagesFrom(c), buf: make([]parquet.Value, 256)}, nil
}

func (s *valueStream) close() {
	s.releasePage()
	_ = s.pages.Close() // only returns buffers to pools
}

func (s *valueStream) releasePage() {
	if s.page != nil {
		parquet.Release(s.page)
		s.page, s.vr = nil, nil
	}
	s.i, s.n = 0, 0
}

func (s *valueStream) seek(row int64) error {
	s.releasePage()
	if err := s.pages.SeekToRow(row); err != nil {
		return fmt.Errorf("%w: seek to row %d: %w", ErrCorrupt, row, err)
	}
	return nil
}

// peek returns the next value without consuming it; io.EOF at the end
// of the chunk. The value's bytes are valid until the stream moves to
// another page.
func (s *valueStream) peek() (parquet.Value, error) {
	for s.i == s.n {
		if s.vr != nil {
			n, err := s.vr.ReadValues(s.buf)
			s.i, s.n = 0, n
			if n > 0 {
				break
			}
			if err != nil && !errors.Is(err, io.EOF) {
				return parquet.Value{}, fmt.Errorf("%w: %w", ErrCorrupt, err)
			}
		}
		if s.page != nil {
			parquet.Release(s.page)
			s.page, s.vr = nil, nil
		}
		page, err := s.pages.ReadPage()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return parquet.Value{}, io.EOF
			}
			return parquet.Value{}, fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		s.page, s.vr = page, page.Values()
	}
	return s.buf[s.i], nil
}

func (s *valueStream) next() (parquet.Value, error) {
	v, err := s.peek()
	if err == nil {
		s.i++
	}
	return v, err
}

// test reports whether v passes c.
func (c *colPred) test(v parquet.Value) bool {
	if v.IsNull() {
		return false
	}
	switch c.kind {
	case predInt:
		var x int64
		if v.Kind() == parquet.Int32 {
			x = int64(v.Int32())
		} else {
			x = v.Int64()
		}
		return x >= c.lo && x <= c.hi
	case predBytes:
		_, found := slices.BinarySearchFunc(c.set, v.ByteArray(), bytes.Compare)
		return found
	case predText:
		return c.text(v.ByteArray())
	}
	return true
}

// filterFlat clears the rows of sel whose value in the flat column s
// fails c.
func filterFlat(s *valueStream, c *colPred, sel selection) error {
	for _, r := range sel.runs(seekGap) {
		if err := s.seek(r.first); err != nil {
			return err
		}
		for row := r.first; row < r.end; row++ {
			v, err := s.next()
			if err != nil {
				return unexpectedEOF(err)
			}
			if sel[row] && !c.test(v) {
				sel[row] = false
			}
		}
	}
	return nil
}

// markPairs sets, for each selected row, the bits of the pairs of want
// that the map held in (keys, vals) contains. keys and vals are the two
// leaves of one MAP group: their values line up one to one, a row's
// entries starting with repetition level 0.
func markPairs(keys, vals *valueStream, want []kv, sel selection, found []uint64) error {
	for _, r := range sel.runs(seekGap) {
		if err := keys.seek(r.first); err != nil {
			return err
		}
		if err := vals.seek(r.first); err != nil {
			return err
		}
		for row := r.first; row < r.end; row++ {
			for first := true; ; first = false {
				k, err := keys.peek()
				if errors.Is(err, io.EOF) && !first {
					break
				} else if err != nil {
					return unexpectedEOF(err)
				}
				if !first && k.RepetitionLevel() == 0 {
					break
				}
				keys.i++
				v, err := vals.next()
				if err != nil {
					return unexpectedEOF(err)
				}
				if k.IsNull() || !sel[row] {
					continue // an empty map, or a row already out
				}
				if i, ok := slices.BinarySearchFunc(want, k.ByteArray(), func(e kv, t []byte) int { return bytes.Compare(e.k, t) }); ok && bytes.Equal(want[i].v, v.ByteArray()) {
					found[row] |= 1 << i
				}
			}
		}
	}
	return nil
}

func unexpectedEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: column ends before its row group", ErrCorrupt)
	}
	return err
}
