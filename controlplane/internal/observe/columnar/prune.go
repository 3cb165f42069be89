package columnar

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/bloom"
	"github.com/parquet-go/parquet-go/format"
)

// Pruning decides, from metadata alone, which row groups and which pages
// cannot hold a matching row. Every test here may keep what it cannot
// decide (missing or malformed statistics keep everything); it never
// drops a row that Match would accept.

// boundsMayMatch reports whether a value in [minV, maxV] (encoded as
// Parquet statistics of kind k) can pass c.
func (c *colPred) boundsMayMatch(minV, maxV []byte, k parquet.Kind) bool {
	switch c.kind {
	case predInt:
		lo, ok1 := decodeInt(minV, k)
		hi, ok2 := decodeInt(maxV, k)
		return !ok1 || !ok2 || (hi >= c.lo && lo <= c.hi)
	case predBytes:
		if minV == nil || maxV == nil || bytes.Compare(minV, maxV) > 0 {
			// No bounds, or a truncated maximum that wrapped around
			// (possible only for bytes 0xFF, which UTF-8 never has).
			return true
		}
		for _, v := range c.set {
			if bytes.Compare(v, minV) >= 0 && bytes.Compare(v, maxV) <= 0 {
				return true
			}
		}
		return false
	}
	return true
}

func decodeInt(b []byte, k parquet.Kind) (int64, bool) {
	switch {
	case k == parquet.Int32 && len(b) == 4:
		return int64(int32(binary.LittleEndian.Uint32(b))), true //nolint:gosec // G115: two's complement, as Parquet stores it
	case k == parquet.Int64 && len(b) == 8:
		return int64(binary.LittleEndian.Uint64(b)), true //nolint:gosec // G115: two's complement, as Parquet stores it
	}
	return 0, false
}

// chunkMayMatch tests c against a column chunk's footer statistics.
func (c *colPred) chunkMayMatch(m *format.ColumnMetaData) bool {
	st := &m.Statistics
	if m.NumValues > 0 && st.NullCount == m.NumValues {
		return false // only nulls, which no predicate accepts
	}
	return c.boundsMayMatch(st.MinValue, st.MaxValue, c.physical)
}

// rowGroupMayMatch tests every predicate against row group rg's footer
// statistics.
func (p *plan) rowGroupMayMatch(rg *format.RowGroup) bool {
	if rg.NumRows == 0 || p.emptyRange() {
		return false
	}
	for i := range p.cols {
		if !p.cols[i].chunkMayMatch(&rg.Columns[p.cols[i].col].MetaData) {
			return false
		}
	}
	return true
}

// pageRanges returns the rows of the pages of a chunk that may hold a
// value passing c, by its column index.
func (c *colPred) pageRanges(cp *chunkPages, ci *format.ColumnIndex) []rowRange {
	var out []rowRange
	for i := range cp.locs {
		keep := !ci.NullPages[i] && c.boundsMayMatch(ci.MinValues[i], ci.MaxValues[i], c.physical)
		if keep {
			first, end := cp.pageRows(i)
			out = appendRange(out, rowRange{first, end})
		}
	}
	return out
}

// candidateRows returns the rows of a row group that survive page
// pruning: the intersection, over predicates with a column index, of the
// rows of their pages that may match.
func (p *plan) candidateRows(idx *rowGroupIndex, numRows int64) []rowRange {
	rows := []rowRange{{0, numRows}}
	for i := range p.cols {
		c := &p.cols[i]
		if ci := idx.columnIndex[c.col]; ci != nil && c.kind != predText {
			rows = intersect(rows, c.pageRanges(&idx.pages[c.col], ci))
		}
	}
	return rows
}

// bloomExcludes fetches the bloom filters of the predicates that have
// one, for every row group in rgs, in one batch, and returns the row
// groups a filter proves hold none of the wanted values.
func (p *plan) bloomExcludes(ctx context.Context, c *cache, md *format.FileMetaData, rgs []int) (map[int]bool, error) {
	var ranges []byteRange
	for _, i := range rgs {
		for _, pr := range p.cols {
			if m := &md.RowGroups[i].Columns[pr.col].MetaData; pr.bloom && m.BloomFilterOffset > 0 {
				ranges = append(ranges, byteRange{m.BloomFilterOffset, m.BloomFilterOffset + int64(m.BloomFilterLength)})
			}
		}
	}
	if len(ranges) == 0 {
		return nil, nil
	}
	if err := c.fetch(ctx, ranges, false); err != nil {
		return nil, err
	}
	out := map[int]bool{}
	for _, i := range rgs {
		for _, pr := range p.cols {
			m := &md.RowGroups[i].Columns[pr.col].MetaData
			if !pr.bloom || m.BloomFilterOffset == 0 {
				continue
			}
			hit, err := bloomMayContain(c, m, pr.set)
			if err != nil {
				return nil, fmt.Errorf("row group %d: %w", i, err)
			}
			if !hit {
				out[i] = true
			}
		}
	}
	return out, nil
}

// bloomMayContain probes a column chunk's split-block bloom filter for
// any of values (hashed as parquet-go hashes byte arrays: XXH64 of the
// bytes). A filter this package cannot read answers "maybe".
func bloomMayContain(c *cache, m *format.ColumnMetaData, values [][]byte) (bool, error) {
	b, err := c.bytesAt(m.BloomFilterOffset, int64(m.BloomFilterLength))
	if err != nil {
		return false, err
	}
	n, err := checkThrift(b, maxHeaderDecoded)
	if err != nil {
		return false, fmt.Errorf("bloom filter header: %w", err)
	}
	var h format.BloomFilterHeader
	if err := decodeHeader(b[:n], &h); err != nil {
		return false, err
	}
	bits := b[n:]
	_, split := h.Algorithm.Value.(*format.SplitBlockAlgorithm)
	_, xx := h.Hash.Value.(*format.XxHash)
	_, plain := h.Compression.Value.(*format.BloomFilterUncompressed)
	if int(h.NumBytes) != len(bits) || len(bits) < bloom.BlockSize || len(bits)%bloom.BlockSize != 0 {
		return false, fmt.Errorf("%w: bloom filter of %d bytes", ErrCorrupt, len(bits))
	}
	if !split || !xx || !plain {
		return true, nil
	}
	for _, v := range values {
		hit, err := bloom.CheckSplitBlock(bytes.NewReader(bits), int64(len(bits)), bloom.XXH64{}.Sum64(v))
		if err != nil || hit {
			return true, nil //nolint:nilerr // an unreadable filter means "maybe", the data decides
		}
	}
	return false, nil
}
