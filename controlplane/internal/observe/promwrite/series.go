package promwrite

import (
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// TimeSeries{repeated Label labels = 1; repeated Sample samples = 2;
// repeated Exemplar exemplars = 3; repeated Histogram histograms = 4}.
//
// A series without samples, exemplars or histograms is neither counted
// nor kept: it would make no rows, and an empty series
// (2 bytes on the wire) would otherwise cost a whole Series in memory.
func (d *decoder) timeSeries(b []byte) error {
	if d.fill && !hasData(b) {
		return validLabels(b)
	}
	before := d.n
	var s Series
	ls, ss, es := len(d.labels), len(d.samples), len(d.exemplars)
	for len(b) > 0 {
		f, rest, err := next(b)
		if err != nil {
			return err
		}
		b = rest
		if err := d.seriesField(&s, &f); err != nil {
			return err
		}
	}
	if d.n.samples == before.samples && d.n.exemplars == before.exemplars && s.Histograms == 0 {
		d.n = before // first pass: forget the labels of a series left out
		return nil
	}
	d.n.series++
	if d.fill {
		s.Labels = tail(d.labels, ls)
		s.Samples = tail(d.samples, ss)
		s.Exemplars = tail(d.exemplars, es)
		d.series = append(d.series, s)
	}
	return nil
}

// seriesField decodes one field of a TimeSeries into s. The counting
// pass checks wire types and counts; only exemplars, whose labels need
// counting, are looked into. Labels and samples are validated as the
// second pass decodes them.
func (d *decoder) seriesField(s *Series, f *field) error {
	switch f.num {
	case 1:
		if err := f.want(protowire.BytesType, "TimeSeries.labels"); err != nil {
			return err
		}
		d.n.labels++
		if !d.fill {
			return nil
		}
		l, err := d.label(f.data)
		if err != nil {
			return err
		}
		d.labels = append(d.labels, l)
	case 2:
		if err := f.want(protowire.BytesType, "TimeSeries.samples"); err != nil {
			return err
		}
		d.n.samples++
		if !d.fill {
			return nil
		}
		smp, err := sample(f.data)
		if err != nil {
			return err
		}
		d.samples = append(d.samples, smp)
	case 3:
		if err := f.want(protowire.BytesType, "TimeSeries.exemplars"); err != nil {
			return err
		}
		e, err := d.exemplar(f.data)
		if err != nil {
			return err
		}
		d.n.exemplars++
		if d.fill {
			d.exemplars = append(d.exemplars, e)
		}
	case 4:
		// Native histograms are not decoded, only counted.
		if err := f.want(protowire.BytesType, "TimeSeries.histograms"); err != nil {
			return err
		}
		s.Histograms++
	}
	return nil
}

// hasData reports whether a TimeSeries (whose fields the counting pass
// parsed) has a sample, an
// exemplar or a histogram.
func hasData(b []byte) bool {
	for len(b) > 0 {
		f, rest, err := next(b)
		if err != nil {
			return false
		}
		if f.num >= 2 && f.num <= 4 && f.typ == protowire.BytesType {
			return true
		}
		b = rest
	}
	return false
}

// validLabels checks the labels of a series left out, which has no
// other known fields: malformed input fails the request even where it
// would not have mattered.
func validLabels(b []byte) error {
	var v decoder // not filling: label validates without keeping anything
	for len(b) > 0 {
		f, rest, err := next(b)
		if err != nil {
			return err
		}
		if f.num == 1 {
			if _, err := v.label(f.data); err != nil {
				return err
			}
		}
		b = rest
	}
	return nil
}

// tail returns the part of an arena appended since start, capped so that
// appending to it cannot overwrite what follows; nil when empty.
func tail[T any](arena []T, start int) []T {
	if len(arena) == start {
		return nil
	}
	return arena[start:len(arena):len(arena)]
}

// Label{string name = 1; string value = 2}.
func (d *decoder) label(b []byte) (Label, error) {
	var l Label
	for len(b) > 0 {
		f, rest, err := next(b)
		if err != nil {
			return Label{}, err
		}
		b = rest
		switch f.num {
		case 1:
			if err := f.want(protowire.BytesType, "Label.name"); err != nil {
				return Label{}, err
			}
			if d.fill {
				l.Name = d.str(f.data)
			}
		case 2:
			if err := f.want(protowire.BytesType, "Label.value"); err != nil {
				return Label{}, err
			}
			if d.fill {
				l.Value = d.str(f.data)
			}
		}
	}
	return l, nil
}

// Sample{double value = 1; int64 timestamp = 2}.
func sample(b []byte) (Sample, error) {
	var s Sample
	for len(b) > 0 {
		f, rest, err := next(b)
		if err != nil {
			return Sample{}, err
		}
		b = rest
		switch f.num {
		case 1:
			if err := f.want(protowire.Fixed64Type, "Sample.value"); err != nil {
				return Sample{}, err
			}
			s.Value = math.Float64frombits(f.u)
		case 2:
			if err := f.want(protowire.VarintType, "Sample.timestamp"); err != nil {
				return Sample{}, err
			}
			s.TimestampMs = int64(f.u) //nolint:gosec // G115: int64 on the wire is a varint of its two's complement
		}
	}
	return s, nil
}

// Exemplar{repeated Label labels = 1; double value = 2; int64 timestamp = 3}.
func (d *decoder) exemplar(b []byte) (Exemplar, error) {
	var e Exemplar
	start := len(d.exLabels)
	for len(b) > 0 {
		f, rest, err := next(b)
		if err != nil {
			return Exemplar{}, err
		}
		b = rest
		switch f.num {
		case 1:
			if err := f.want(protowire.BytesType, "Exemplar.labels"); err != nil {
				return Exemplar{}, err
			}
			d.n.exLabels++
			if !d.fill {
				continue
			}
			l, err := d.label(f.data)
			if err != nil {
				return Exemplar{}, err
			}
			d.exLabels = append(d.exLabels, l)
		case 2:
			if err := f.want(protowire.Fixed64Type, "Exemplar.value"); err != nil {
				return Exemplar{}, err
			}
			e.Value = math.Float64frombits(f.u)
		case 3:
			if err := f.want(protowire.VarintType, "Exemplar.timestamp"); err != nil {
				return Exemplar{}, err
			}
			e.TimestampMs = int64(f.u) //nolint:gosec // G115: int64 on the wire is a varint of its two's complement
		}
	}
	e.Labels = tail(d.exLabels, start)
	return e, nil
}

// MetricMetadata{MetricType type = 1; string metric_family_name = 2;
// string help = 4; string unit = 5}.
func (d *decoder) meta(b []byte) (Metadata, error) {
	var m Metadata
	for len(b) > 0 {
		f, rest, err := next(b)
		if err != nil {
			return Metadata{}, err
		}
		b = rest
		switch f.num {
		case 1:
			if err := f.want(protowire.VarintType, "MetricMetadata.type"); err != nil {
				return Metadata{}, err
			}
			m.Type = MetricType(int32(f.u)) //nolint:gosec // G115: an enum is an int32 on the wire
		case 2, 4, 5:
			if err := f.want(protowire.BytesType, "MetricMetadata strings"); err != nil {
				return Metadata{}, err
			}
			if d.fill {
				setMetaString(&m, f.num, d.str(f.data))
			}
		}
	}
	return m, nil
}

func setMetaString(m *Metadata, num protowire.Number, s string) {
	switch num {
	case 2:
		m.Family = s
	case 4:
		m.Help = s
	case 5:
		m.Unit = s
	}
}
