package columnar

// rowRange is the rows [first, end) of a row group.
type rowRange struct{ first, end int64 }

// appendRange appends r to sorted, disjoint rs, merging it with the last
// range when they touch.
func appendRange(rs []rowRange, r rowRange) []rowRange {
	if r.end <= r.first {
		return rs
	}
	if n := len(rs); n > 0 && r.first <= rs[n-1].end {
		rs[n-1].end = max(rs[n-1].end, r.end)
		return rs
	}
	return append(rs, r)
}

// intersect returns the rows in both a and b (each sorted and disjoint).
func intersect(a, b []rowRange) []rowRange {
	var out []rowRange
	for i, j := 0, 0; i < len(a) && j < len(b); {
		out = appendRange(out, rowRange{max(a[i].first, b[j].first), min(a[i].end, b[j].end)})
		if a[i].end < b[j].end {
			i++
		} else {
			j++
		}
	}
	return out
}

// rowCount is the number of rows in rs.
func rowCount(rs []rowRange) int64 {
	var n int64
	for _, r := range rs {
		n += r.end - r.first
	}
	return n
}

// selection is the rows of a row group still in the running.
type selection []bool

func newSelection(numRows int64, rs []rowRange) selection {
	sel := make(selection, numRows)
	for _, r := range rs {
		for i := r.first; i < r.end; i++ {
			sel[i] = true
		}
	}
	return sel
}

// runs returns the selected rows as ranges, joining runs separated by
// fewer than gap unselected rows: reading a few rows too many is cheaper
// than a seek (a page decode) per run. The extra rows are re-tested.
func (s selection) runs(gap int64) []rowRange {
	var out []rowRange
	for i := int64(0); i < int64(len(s)); i++ {
		if !s[i] {
			continue
		}
		j := i
		for j < int64(len(s)) && s[j] {
			j++
		}
		if n := len(out); n > 0 && i-out[n-1].end < gap {
			out[n-1].end = j
		} else {
			out = append(out, rowRange{i, j})
		}
		i = j
	}
	return out
}
