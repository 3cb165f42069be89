package promwrite

import (
	"errors"
	"fmt"

	"github.com/klauspost/compress/snappy"
	"google.golang.org/protobuf/encoding/protowire"
)

// Errors Decode returns, wrapped with detail. Both mean the request is
// the sender's fault (HTTP 400, or 413 for ErrTooLarge) and must not be
// retried as is.
var (
	ErrTooLarge  = errors.New("promwrite: decompressed body too large")
	ErrMalformed = errors.New("promwrite: malformed request")
)

// Decode decodes a remote-write 1.0 body: a snappy block (not the framed
// stream format) holding a prometheus.WriteRequest.
//
// The size the block declares is checked against maxDecoded before
// anything is decompressed, so a small body claiming gigabytes (a snappy
// bomb) costs nothing. The protobuf is then decoded in two passes: the
// first walks the request and series levels and counts their parts
// without allocating, the second decodes (and validates) everything into
// slices allocated once at their exact size; all strings share one copy
// of the decompressed body.
//
// Unknown fields are skipped; a field of unexpected wire type or a
// truncated value anywhere fails the whole request with ErrMalformed.
// Series carrying no samples, exemplars or histograms are left out (they
// would make no rows).
//
// Memory: the decompressed body twice (buffer and string copy), plus the
// decoded slices: about twice the body's size for real requests (a
// label is 32 bytes in memory for 15 to 40 on the wire), never more than
// about 20 times it (worst case: empty exemplars or single-histogram
// series, 2 to 4 bytes on the wire for 40 to 80 in memory).
func Decode(body []byte, maxDecoded int) (*WriteRequest, error) {
	n, err := snappy.DecodedLen(body)
	if err != nil {
		return nil, fmt.Errorf("%w: snappy header: %w", ErrMalformed, err)
	}
	if n > maxDecoded {
		return nil, fmt.Errorf("%w: %d bytes declared, limit %d", ErrTooLarge, n, maxDecoded)
	}
	buf, err := snappy.Decode(nil, body)
	if err != nil {
		return nil, fmt.Errorf("%w: snappy: %w", ErrMalformed, err)
	}
	return decodeRequest(buf)
}

// decodeRequest decodes an uncompressed WriteRequest.
func decodeRequest(b []byte) (*WriteRequest, error) {
	d := &decoder{}
	if err := d.request(b); err != nil {
		return nil, err
	}
	c := d.n
	*d = decoder{
		fill:      true,
		whole:     string(b),
		bufCap:    cap(b),
		series:    make([]Series, 0, c.series),
		labels:    make([]Label, 0, c.labels),
		samples:   make([]Sample, 0, c.samples),
		exemplars: make([]Exemplar, 0, c.exemplars),
		exLabels:  make([]Label, 0, c.exLabels),
		metadata:  make([]Metadata, 0, c.metadata),
	}
	if err := d.request(b); err != nil {
		return nil, err
	}
	return &WriteRequest{Series: d.series, Metadata: d.metadata}, nil
}

// counts are what the first pass found, the capacities of the second.
type counts struct {
	series, labels, samples, exemplars, exLabels, metadata int
}

// decoder walks a WriteRequest. Unless fill is set it only counts (n),
// looking no deeper than needed; with fill it decodes into slices sized
// by that count, which therefore never grow, and each series' parts are
// sub-slices of them.
type decoder struct {
	fill bool
	n    counts
	// whole is a copy of the buffer being decoded, whose capacity was
	// bufCap; strings are substrings of it (see str).
	whole  string
	bufCap int

	series    []Series
	labels    []Label
	samples   []Sample
	exemplars []Exemplar
	exLabels  []Label
	metadata  []Metadata
}

// WriteRequest{repeated TimeSeries timeseries = 1; repeated
// MetricMetadata metadata = 3}.
func (d *decoder) request(b []byte) error {
	for len(b) > 0 {
		f, rest, err := next(b)
		if err != nil {
			return err
		}
		b = rest
		switch f.num {
		case 1:
			if err := f.want(protowire.BytesType, "WriteRequest.timeseries"); err != nil {
				return err
			}
			if err := d.timeSeries(f.data); err != nil {
				return err
			}
		case 3:
			if err := f.want(protowire.BytesType, "WriteRequest.metadata"); err != nil {
				return err
			}
			d.n.metadata++
			if !d.fill {
				continue
			}
			m, err := d.meta(f.data)
			if err != nil {
				return err
			}
			d.metadata = append(d.metadata, m)
		}
	}
	return nil
}

// str returns data, a sub-slice of the buffer being decoded, as a
// substring of d.whole: one allocation per request instead of one per
// label. Sub-slices made by reslicing keep their capacity up to the
// buffer's end, which gives data's offset; should that not hold, the
// check fails and data is copied instead. The price: a row keeping any
// label keeps the whole decompressed body (at most maxDecoded) alive,
// which is little more than its labels, since labels are most of a
// remote-write body.
func (d *decoder) str(data []byte) string {
	off := d.bufCap - cap(data)
	if off >= 0 && off+len(data) <= len(d.whole) {
		if s := d.whole[off : off+len(data)]; s == string(data) {
			return s
		}
	}
	return string(data)
}

// field is one decoded protobuf field: u holds varint and fixed64
// values, data the bytes of a length-delimited one.
type field struct {
	num  protowire.Number
	typ  protowire.Type
	u    uint64
	data []byte
}

// next consumes one field from b and returns it with the rest of b.
// Fields of other wire types (fixed32, groups) are consumed and returned
// without a value, for the caller to reject or skip.
func next(b []byte) (field, []byte, error) {
	// Fast path for the most common field by far: a label's name or
	// value, or a short message, with a one-byte tag and length.
	if len(b) >= 2 && b[0] < 0x80 && b[0]&7 == byte(protowire.BytesType) && b[0] >= 8 && b[1] < 0x80 {
		if end := 2 + int(b[1]); end <= len(b) {
			return field{num: protowire.Number(b[0] >> 3), typ: protowire.BytesType, data: b[2:end]}, b[end:], nil
		}
	}
	num, typ, n := protowire.ConsumeTag(b)
	if n < 0 {
		return field{}, nil, wireError(n)
	}
	b = b[n:]
	f := field{num: num, typ: typ}
	switch typ {
	case protowire.VarintType:
		f.u, n = protowire.ConsumeVarint(b)
	case protowire.Fixed64Type:
		f.u, n = protowire.ConsumeFixed64(b)
	case protowire.BytesType:
		f.data, n = protowire.ConsumeBytes(b)
	default:
		n = protowire.ConsumeFieldValue(num, typ, b)
	}
	if n < 0 {
		return field{}, nil, wireError(n)
	}
	return f, b[n:], nil
}

// want fails unless f has wire type typ.
func (f *field) want(typ protowire.Type, name string) error {
	if f.typ != typ {
		return fmt.Errorf("%w: %s has wire type %d, want %d", ErrMalformed, name, f.typ, typ)
	}
	return nil
}

func wireError(n int) error {
	return fmt.Errorf("%w: %w", ErrMalformed, protowire.ParseError(n))
}
