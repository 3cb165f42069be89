package columnar

import (
	"bytes"
	"context"
	"fmt"
	"hash/crc32"
	"io"
	"sort"

	"github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// maxIndexDecoded bounds what decoding one column's page index may
// allocate (see checkThrift).
const maxIndexDecoded = 32 << 20

// chunkPages is the validated page layout of one column chunk, from its
// offset index: which rows each page holds and where its bytes are.
type chunkPages struct {
	start, end int64 // the chunk's bytes
	dataStart  int64 // its first data page; start < dataStart when it has a dictionary page
	numRows    int64
	codec      format.CompressionCodec
	locs       []format.PageLocation
}

// pageRows returns the rows [first, end) of page i.
func (p *chunkPages) pageRows(i int) (first, end int64) {
	first = p.locs[i].FirstRowIndex
	end = p.numRows
	if i+1 < len(p.locs) {
		end = p.locs[i+1].FirstRowIndex
	}
	return first, end
}

// pageOf returns the page holding row.
func (p *chunkPages) pageOf(row int64) int {
	return sort.Search(len(p.locs), func(i int) bool { return p.locs[i].FirstRowIndex > row }) - 1
}

// rowGroupIndex is what the scan knows about a candidate row group
// before reading its data.
type rowGroupIndex struct {
	pages []chunkPages // by leaf column
	// columnIndex holds the decoded column index of the columns a
	// filter prunes pages by; nil when the file has none.
	columnIndex map[int]*format.ColumnIndex
}

// loadIndexes fetches, in one batch, the offset index of every column and
// the column index of statCols for each row group in rgs, and validates
// them against the row groups' metadata.
func loadIndexes(ctx context.Context, c *cache, md *format.FileMetaData, rgs []int, statCols []int) (map[int]*rowGroupIndex, error) {
	var ranges []byteRange
	for _, i := range rgs {
		for j := range md.RowGroups[i].Columns {
			cc := &md.RowGroups[i].Columns[j]
			ranges = append(ranges, byteRange{cc.OffsetIndexOffset, cc.OffsetIndexOffset + int64(cc.OffsetIndexLength)})
		}
		for _, j := range statCols {
			if cc := &md.RowGroups[i].Columns[j]; cc.ColumnIndexOffset > 0 {
				ranges = append(ranges, byteRange{cc.ColumnIndexOffset, cc.ColumnIndexOffset + int64(cc.ColumnIndexLength)})
			}
		}
	}
	if err := c.fetch(ctx, ranges, true); err != nil {
		return nil, err
	}
	out := make(map[int]*rowGroupIndex, len(rgs))
	for _, i := range rgs {
		rg := &md.RowGroups[i]
		idx := &rowGroupIndex{pages: make([]chunkPages, len(rg.Columns)), columnIndex: map[int]*format.ColumnIndex{}}
		for j := range rg.Columns {
			if err := loadPages(c, rg, j, &idx.pages[j]); err != nil {
				return nil, fmt.Errorf("row group %d column %d: %w", i, j, err)
			}
		}
		for _, j := range statCols {
			ci, err := loadColumnIndex(c, &rg.Columns[j], len(idx.pages[j].locs))
			if err != nil {
				return nil, fmt.Errorf("row group %d column %d: %w", i, j, err)
			}
			if ci != nil {
				idx.columnIndex[j] = ci
			}
		}
		out[i] = idx
	}
	return out, nil
}

func decodeThrift(c *cache, off, n int64, v any) error {
	b, err := c.bytesAt(off, n)
	if err != nil {
		return err
	}
	if used, err := checkThrift(b, maxIndexDecoded); err != nil {
		return err
	} else if used != len(b) {
		return fmt.Errorf("%w: %d stray bytes after a thrift struct", ErrCorrupt, len(b)-used)
	}
	return decodeHeader(b, v)
}

// decodeHeader decodes a thrift struct checkThrift has accepted.
func decodeHeader(b []byte, v any) error {
	if err := thrift.Unmarshal(new(thrift.CompactProtocol), b, v); err != nil {
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return nil
}

// loadPages decodes and checks a chunk's offset index: pages in row
// order, back to back from the first data page to the chunk's end, each
// starting a row. Those are the facts the page planning relies on.
func loadPages(c *cache, rg *format.RowGroup, col int, p *chunkPages) error {
	cc := &rg.Columns[col]
	var oi format.OffsetIndex
	if err := decodeThrift(c, cc.OffsetIndexOffset, int64(cc.OffsetIndexLength), &oi); err != nil {
		return fmt.Errorf("offset index: %w", err)
	}
	m := &cc.MetaData
	*p = chunkPages{
		start: chunkStart(m), end: chunkStart(m) + m.TotalCompressedSize, dataStart: m.DataPageOffset,
		numRows: rg.NumRows, codec: m.Codec, locs: oi.PageLocations,
	}
	bad := func(what string) error { return fmt.Errorf("%w: offset index: %s", ErrCorrupt, what) }
	if rg.NumRows == 0 {
		if len(p.locs) > 0 {
			return bad("pages in an empty row group")
		}
		return nil
	}
	if len(p.locs) == 0 || p.locs[0].FirstRowIndex != 0 || p.locs[0].Offset != p.dataStart {
		return bad("first page")
	}
	for i, l := range p.locs {
		next := p.end
		if i+1 < len(p.locs) {
			next = p.locs[i+1].Offset
			if p.locs[i+1].FirstRowIndex <= l.FirstRowIndex || p.locs[i+1].FirstRowIndex >= rg.NumRows {
				return bad("row order")
			}
		}
		if l.CompressedPageSize <= 0 || l.CompressedPageSize > maxPageBytes || l.Offset+int64(l.CompressedPageSize) != next {
			return bad("page extents")
		}
	}
	return nil
}

// loadColumnIndex decodes a chunk's column index, or returns nil when it
// has none or has one without bounds (no pruning then, not an error).
func loadColumnIndex(c *cache, cc *format.ColumnChunk, pages int) (*format.ColumnIndex, error) {
	if cc.ColumnIndexOffset == 0 {
		return nil, nil
	}
	ci := new(format.ColumnIndex)
	if err := decodeThrift(c, cc.ColumnIndexOffset, int64(cc.ColumnIndexLength), ci); err != nil {
		return nil, fmt.Errorf("column index: %w", err)
	}
	if len(ci.NullPages) != pages || len(ci.MinValues) != pages || len(ci.MaxValues) != pages {
		return nil, fmt.Errorf("%w: column index of %d pages for %d", ErrCorrupt, len(ci.NullPages), pages)
	}
	return ci, nil
}

// checkPage validates the page at b (header and data) before parquet-go
// may decode it: sizes agree with the offset index, counts are within
// the limits, and the data is intact (its CRC, or when the writer left
// the CRC out, a bounded trial decompression). wantRows < 0 marks the
// dictionary page.
func checkPage(b []byte, codec format.CompressionCodec, wantRows int64) error {
	n, err := checkThrift(b, maxHeaderDecoded)
	if err != nil {
		return fmt.Errorf("page header: %w", err)
	}
	var h format.PageHeader
	if err := decodeHeader(b[:n], &h); err != nil {
		return fmt.Errorf("page header: %w", err)
	}
	data := b[n:]
	bad := func(what string) error { return fmt.Errorf("%w: page: %s", ErrCorrupt, what) }
	if int(h.CompressedPageSize) != len(data) || h.UncompressedPageSize < 0 || h.UncompressedPageSize > maxPageBytes {
		return bad("sizes")
	}
	compressed, levels := codec == format.Zstd, int32(0)
	switch {
	case wantRows < 0:
		d := h.DictionaryPageHeader
		if h.Type != format.DictionaryPage || !d.Valid || d.V.NumValues < 0 || d.V.NumValues > maxPageValues {
			return bad("dictionary header")
		}
	default:
		d := h.DataPageHeaderV2
		if h.Type != format.DataPageV2 || !d.Valid || int64(d.V.NumRows) != wantRows ||
			d.V.NumValues < d.V.NumRows || d.V.NumValues > maxPageValues ||
			d.V.NumNulls < 0 || d.V.NumNulls > d.V.NumValues ||
			d.V.RepetitionLevelsByteLength < 0 || d.V.DefinitionLevelsByteLength < 0 ||
			int64(d.V.RepetitionLevelsByteLength)+int64(d.V.DefinitionLevelsByteLength) > int64(len(data)) {
			return bad("data page header")
		}
		levels = d.V.RepetitionLevelsByteLength + d.V.DefinitionLevelsByteLength
		compressed = compressed && (!d.V.IsCompressed.Valid || d.V.IsCompressed.V)
	}
	if h.CRC != 0 {
		if crc32.ChecksumIEEE(data) != uint32(h.CRC) { //nolint:gosec // G115: Thrift has no unsigned type; the bits are the CRC
			return bad("checksum mismatch")
		}
		return nil
	}
	if compressed {
		return checkDecompressedSize(data[levels:], int64(h.UncompressedPageSize-levels))
	}
	return nil
}

// checkDecompressedSize decompresses data as a stream, holding at most
// a small window, and fails if it expands beyond limit. It only runs for
// a page without a CRC (about one in four billion of this writer's): a
// zstd frame can expand 30000-fold, and parquet-go would hold all of it.
func checkDecompressedSize(data []byte, limit int64) error {
	d, err := zstd.NewReader(bytes.NewReader(data),
		zstd.WithDecoderConcurrency(1),
		zstd.WithDecoderMaxWindow(8<<20), // what the stream holds, whatever the frame claims
	)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	defer d.Close()
	n, err := io.Copy(io.Discard, io.LimitReader(d, max(limit, 0)+1))
	if err != nil || n > limit {
		return fmt.Errorf("%w: page data does not decompress to its stated size", ErrCorrupt)
	}
	return nil
}
