package otlpconv

import "strconv"

// Drops counts what conversion refused or altered, by reason. The first
// group counts whole items (spans, log records, metric data points or
// Prometheus samples) that produced no row; Rejected sums it, and it is
// what OTLP partial success reports as rejected. The second group counts
// parts of items that were kept.
type Drops struct {
	// OutOfWindow counts items whose timestamp lies outside
	// [now-MaxPast, now+MaxFuture] (or does not fit in int64).
	OutOfWindow int64
	// Malformed counts items that break the protocol: trace ids that are
	// not 16 non-zero bytes, span ids not 8, histogram buckets not
	// matching their bounds, a missing metric name or value, ...
	Malformed int64
	// Unsupported counts items of a kind Hearth does not store (a metric
	// without data, Prometheus native histograms).
	Unsupported int64

	// Skipped counts items that carry no value and are left out without
	// it being an error: points flagged "no recorded value" and
	// Prometheus staleness markers. Not part of Rejected.
	Skipped int64

	// SpoofAttributes counts "hearth."-prefixed attributes or labels
	// removed from what the sender sent.
	SpoofAttributes int64
	// AttributesDropped counts attributes beyond MaxAttributes, with an
	// empty or oversized key, or repeating a key already kept.
	AttributesDropped int64
	// ValuesTruncated counts attribute values and other short strings cut
	// to MaxAttributeValueBytes.
	ValuesTruncated int64
	// BodiesTruncated counts log bodies cut to MaxBodyBytes.
	BodiesTruncated int64
	// EventsDropped counts span events beyond MaxEvents or outside the
	// time window.
	EventsDropped int64
	// ExemplarsDropped counts exemplars beyond MaxExemplars, outside the
	// time window, with malformed ids, or with no point to attach to.
	ExemplarsDropped int64
	// Clamped counts fields repaired rather than refused: a span ending
	// before it starts (duration 0) or after the window, a start time
	// after its point's time (unknown, 0), a log's bad observed time
	// (replaced by now) or bad trace context (removed).
	Clamped int64
}

// Rejected is the number of items refused.
func (d Drops) Rejected() int64 { return d.OutOfWindow + d.Malformed + d.Unsupported }

// Add adds o's counts to d.
func (d *Drops) Add(o Drops) {
	d.OutOfWindow += o.OutOfWindow
	d.Malformed += o.Malformed
	d.Unsupported += o.Unsupported
	d.Skipped += o.Skipped
	d.SpoofAttributes += o.SpoofAttributes
	d.AttributesDropped += o.AttributesDropped
	d.ValuesTruncated += o.ValuesTruncated
	d.BodiesTruncated += o.BodiesTruncated
	d.EventsDropped += o.EventsDropped
	d.ExemplarsDropped += o.ExemplarsDropped
	d.Clamped += o.Clamped
}

// Message describes d for a sender, as OTLP partial success's
// error_message (which, with zero rejected, carries warnings). It is ""
// when nothing was refused or altered. It names reasons and counts only,
// never data, so it can be returned to any caller and logged.
func (d Drops) Message() string {
	var b []byte
	if r := d.Rejected(); r > 0 {
		b = strconv.AppendInt(b, r, 10)
		b = append(b, " rejected ("...)
		b = clause(b, d.OutOfWindow, "timestamp outside the accepted window")
		b = clause(b, d.Malformed, "malformed")
		b = clause(b, d.Unsupported, "unsupported")
		b = append(b, ')')
	}
	b = clause(b, d.SpoofAttributes, `"hearth." attributes removed`)
	b = clause(b, d.AttributesDropped, "attributes dropped (over the limit, bad or repeated keys)")
	b = clause(b, d.ValuesTruncated, "values truncated")
	b = clause(b, d.BodiesTruncated, "log bodies truncated")
	b = clause(b, d.EventsDropped, "span events dropped")
	b = clause(b, d.ExemplarsDropped, "exemplars dropped")
	b = clause(b, d.Clamped, "fields clamped")
	return string(b)
}

// clause appends "n what" when n > 0, separated by "; " from what
// precedes it unless it opens the message or a parenthesis.
func clause(b []byte, n int64, what string) []byte {
	if n <= 0 {
		return b
	}
	if len(b) > 0 && b[len(b)-1] != '(' {
		b = append(b, "; "...)
	}
	b = strconv.AppendInt(b, n, 10)
	b = append(b, ' ')
	return append(b, what...)
}
