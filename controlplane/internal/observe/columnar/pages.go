package columnar

import "fmt"

// plannedPages returns the pages of a chunk holding rows, and whether
// the chunk has a dictionary page, which the decoder reads whenever it
// meets a dictionary-encoded page. These are the only bytes of the chunk
// the decoder is given (see cache.ReadAt), and checkPage validates each.
func plannedPages(cp *chunkPages, rows []rowRange) (dict bool, pages []int) {
	if len(cp.locs) == 0 || len(rows) == 0 {
		return false, nil
	}
	for _, r := range rows {
		first, last := cp.pageOf(r.first), cp.pageOf(r.end-1)
		for p := max(first, 0); p <= last; p++ {
			if n := len(pages); n == 0 || pages[n-1] < p {
				pages = append(pages, p)
			}
		}
	}
	return cp.dataStart > cp.start, pages
}

// planChunk returns the byte ranges of plannedPages.
func planChunk(cp *chunkPages, rows []rowRange) []byteRange {
	dict, pages := plannedPages(cp, rows)
	var out []byteRange
	if dict {
		out = append(out, byteRange{cp.start, cp.dataStart})
	}
	for _, p := range pages {
		l := cp.locs[p]
		out = append(out, byteRange{l.Offset, l.Offset + int64(l.CompressedPageSize)})
	}
	return out
}

// checkPlannedPages validates every page of plannedPages; they must have
// been fetched.
func checkPlannedPages(c *cache, cp *chunkPages, rows []rowRange) error {
	dict, pages := plannedPages(cp, rows)
	if dict {
		b, err := c.bytesAt(cp.start, cp.dataStart-cp.start)
		if err != nil {
			return err
		}
		if err := checkPage(b, cp.codec, -1); err != nil {
			return fmt.Errorf("dictionary: %w", err)
		}
	}
	for _, p := range pages {
		l := cp.locs[p]
		b, err := c.bytesAt(l.Offset, int64(l.CompressedPageSize))
		if err != nil {
			return err
		}
		first, end := cp.pageRows(p)
		if err := checkPage(b, cp.codec, end-first); err != nil {
			return fmt.Errorf("page %d: %w", p, err)
		}
	}
	return nil
}
