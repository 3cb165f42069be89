package columnar

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// ErrCorrupt is wrapped by every error about the content of a file that
// is not a well-formed file of the signal asked for: truncated, damaged,
// or of another schema.
var ErrCorrupt = errors.New("corrupt or foreign parquet file")

// Limits on what a file may claim. This package's writer stays far below
// each (a footer of ~2 KiB per row group, 32768 rows per row group, pages
// of 64 KiB); a file above one is damaged or foreign, and refusing it is
// what keeps a scan's memory bounded by these numbers, not by the file.
const (
	// tailFetch is the first read of a scan: the end of the file, which
	// holds the footer of any file of up to ~30 row groups; a larger
	// footer costs one more read.
	tailFetch      = 64 << 10
	maxFooterBytes = 16 << 20
	// maxFooterDecoded bounds what decoding the footer may allocate
	// (see checkThrift): about 100k column chunks.
	maxFooterDecoded = 128 << 20
	maxRowGroupRead  = 1 << 20
	maxIndexBytes    = 16 << 20
	maxPageBytes     = 64 << 20
	maxPageValues    = 1 << 20
	// maxHeaderDecoded bounds one page, index or bloom filter header.
	maxHeaderDecoded = 4 << 20
)

const (
	magic      = "PAR1"
	trailerLen = 8 // footer length (4) + magic (4)
)

// openFile fetches and validates the footer of the file behind c and
// opens it with parquet-go, which from then on reads through c.
func openFile[T any](ctx context.Context, c *cache, s *signalSchema[T]) (*parquet.File, error) {
	size := c.size
	if size < int64(len(magic)+trailerLen) {
		return nil, fmt.Errorf("%w: %d bytes is too short for a parquet file", ErrCorrupt, size)
	}
	tail := min(size, tailFetch)
	if err := c.fetch(ctx, []byteRange{{size - tail, size}}, true); err != nil {
		return nil, err
	}
	trailer, err := c.bytesAt(size-trailerLen, trailerLen)
	if err != nil {
		return nil, err
	}
	if string(trailer[4:]) != magic {
		return nil, fmt.Errorf("%w: no parquet magic at the end", ErrCorrupt)
	}
	footerLen := int64(binary.LittleEndian.Uint32(trailer))
	footerOff := size - trailerLen - footerLen
	if footerLen > maxFooterBytes || footerOff < int64(len(magic)) {
		return nil, fmt.Errorf("%w: footer of %d bytes in a file of %d", ErrCorrupt, footerLen, size)
	}
	if footerOff < size-tail {
		if err := c.fetch(ctx, []byteRange{{footerOff, size - tail}}, true); err != nil {
			return nil, err
		}
	}
	footer, err := c.bytesAt(footerOff, footerLen)
	if err != nil {
		return nil, err
	}
	if n, err := checkThrift(footer, maxFooterDecoded); err != nil {
		return nil, fmt.Errorf("footer: %w", err)
	} else if n != len(footer) {
		return nil, fmt.Errorf("%w: %d bytes after the footer", ErrCorrupt, len(footer)-n)
	}
	// The header magic is not read: it would be a round trip for four
	// bytes, and the footer's magic, length and checks below catch what
	// it would.
	f, err := parquet.OpenFile(c, size,
		parquet.SkipMagicBytes(true),
		parquet.SkipPageIndex(true),
		parquet.SkipBloomFilters(true),
		parquet.ReadBufferSize(readBufferSize),
	)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	if err := checkSchema(f, s); err != nil {
		return nil, err
	}
	if err := checkRowGroups(f.Metadata(), len(f.Schema().Columns()), footerOff); err != nil {
		return nil, err
	}
	return f, nil
}

// checkSchema refuses a file whose columns are not exactly those of T:
// the scan addresses columns by position and decodes rows into T.
func checkSchema[T any](f *parquet.File, s *signalSchema[T]) error {
	want := parquet.SchemaOf(new(T))
	got := f.Schema()
	if !parquet.EqualNodes(want, got) || len(want.Columns()) != len(got.Columns()) {
		return fmt.Errorf("%w: not a %s file (schema %s)", ErrCorrupt, s.name, got)
	}
	return nil
}

// checkRowGroups checks every offset and length the scan or parquet-go
// will act on against the file's size and the limits above. Data, bloom
// filters and page indexes all lie before the footer; every chunk must
// have an offset index (this package's writer always writes one).
func checkRowGroups(md *format.FileMetaData, columns int, dataEnd int64) error {
	inData := func(off, n int64) bool {
		return off >= int64(len(magic)) && n >= 0 && off <= dataEnd-n
	}
	for i := range md.RowGroups {
		rg := &md.RowGroups[i]
		if rg.NumRows < 0 || rg.NumRows > maxRowGroupRead || len(rg.Columns) != columns {
			return fmt.Errorf("%w: row group %d has %d rows in %d columns", ErrCorrupt, i, rg.NumRows, len(rg.Columns))
		}
		for j := range rg.Columns {
			cc := &rg.Columns[j]
			m := &cc.MetaData
			if cc.FilePath != "" || cc.CryptoMetadata.Value != nil || len(cc.EncryptedColumnMetadata) > 0 {
				return fmt.Errorf("%w: row group %d column %d is external or encrypted", ErrCorrupt, i, j)
			}
			if m.Codec != format.Zstd && m.Codec != format.Uncompressed {
				return fmt.Errorf("%w: row group %d column %d uses codec %s", ErrCorrupt, i, j, m.Codec)
			}
			start := chunkStart(m)
			ok := m.NumValues >= 0 && inData(start, m.TotalCompressedSize) &&
				(m.DictionaryPageOffset == 0 || m.DictionaryPageOffset < m.DataPageOffset) &&
				m.DataPageOffset < start+max(m.TotalCompressedSize, 1) &&
				cc.OffsetIndexOffset > 0 && inData(cc.OffsetIndexOffset, int64(cc.OffsetIndexLength)) &&
				cc.OffsetIndexLength <= maxIndexBytes &&
				(cc.ColumnIndexOffset == 0 || inData(cc.ColumnIndexOffset, int64(cc.ColumnIndexLength))) &&
				cc.ColumnIndexLength <= maxIndexBytes &&
				(m.BloomFilterOffset == 0 || inData(m.BloomFilterOffset, int64(m.BloomFilterLength))) &&
				m.BloomFilterLength <= maxIndexBytes
			if !ok {
				return fmt.Errorf("%w: row group %d column %d has offsets outside the file", ErrCorrupt, i, j)
			}
		}
	}
	return nil
}

// chunkStart is where a column chunk's bytes begin: its dictionary page
// when it has one, else its first data page.
func chunkStart(m *format.ColumnMetaData) int64 {
	if m.DictionaryPageOffset > 0 {
		return m.DictionaryPageOffset
	}
	return m.DataPageOffset
}
