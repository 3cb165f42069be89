package promwrite

// WriteRequest is a decoded remote-write request.
type WriteRequest struct {
	Series []Series
	// Metadata describes metric families. Prometheus sends it in
	// requests of its own, so it rarely accompanies the series it
	// describes.
	Metadata []Metadata
}

// Label is one name="value" pair of a series.
type Label struct {
	Name, Value string
}

// Sample is one value of a series at a time in Unix milliseconds.
type Sample struct {
	Value       float64
	TimestampMs int64
}

// Exemplar is a sample measurement kept with a series, usually carrying
// a trace_id label.
type Exemplar struct {
	Labels      []Label
	Value       float64
	TimestampMs int64
}

// Series is one remote-write TimeSeries.
type Series struct {
	Labels    []Label
	Samples   []Sample
	Exemplars []Exemplar
	// Histograms is the number of native histogram samples the series
	// carried. Hearth does not store them; ToRows counts them as
	// unsupported.
	Histograms int
}

// MetricType is remote-write's MetricMetadata.MetricType.
type MetricType int32

// Metric types, numbered as on the wire.
const (
	TypeUnknown MetricType = iota
	TypeCounter
	TypeGauge
	TypeHistogram
	TypeGaugeHistogram
	TypeSummary
	TypeInfo
	TypeStateset
)

// Metadata describes a metric family.
type Metadata struct {
	Type   MetricType
	Family string
	Help   string
	Unit   string
}
