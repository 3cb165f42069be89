package observe

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hearth-dev/hearth/controlplane/internal/observe/otlpconv"
	"github.com/hearth-dev/hearth/controlplane/internal/observe/record"
)

// ingestMetrics are the feature's Prometheus metrics: what was accepted,
// refused and dropped, and what waits in memory.
type ingestMetrics struct {
	accepted *prometheus.CounterVec
	refused  *prometheus.CounterVec
	dropped  *prometheus.CounterVec
	flushed  *prometheus.CounterVec
}

func newIngestMetrics(reg prometheus.Registerer, s *Service) (*ingestMetrics, error) {
	m := &ingestMetrics{
		accepted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hearth_observe_accepted_items_total", Help: "Spans, log records and metric points made durable.",
		}, []string{"signal"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hearth_observe_refused_requests_total", Help: "Ingest requests refused, by reason (auth, rate, unavailable, malformed).",
		}, []string{"signal", "reason"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hearth_observe_dropped_total", Help: "Items refused or values clamped within accepted requests, by reason.",
		}, []string{"signal", "reason"}),
		flushed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hearth_observe_flushed_rows_total", Help: "Rows written to Parquet on S3.",
		}, []string{"signal"}),
	}
	if reg == nil {
		return m, nil
	}
	hot := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "hearth_observe_hot_rows", Help: "Rows acknowledged but not yet in Parquet, held in memory.",
	}, func() float64 { return float64(s.hot.rowCount()) })
	for _, c := range []prometheus.Collector{m.accepted, m.refused, m.dropped, m.flushed, hot} {
		if err := reg.Register(c); err != nil {
			var already prometheus.AlreadyRegisteredError
			if !errors.As(err, &already) {
				return nil, err
			}
		}
	}
	return m, nil
}

// countDrops adds one conversion's drops.
func (m *ingestMetrics) countDrops(signal record.Signal, d otlpconv.Drops) {
	if d == (otlpconv.Drops{}) {
		return
	}
	for reason, n := range map[string]int64{
		"out_of_window": d.OutOfWindow, "malformed": d.Malformed, "unsupported": d.Unsupported, "spoof_attribute": d.SpoofAttributes,
		"attribute_dropped": d.AttributesDropped, "value_truncated": d.ValuesTruncated, "body_truncated": d.BodiesTruncated,
		"event_dropped": d.EventsDropped, "exemplar_dropped": d.ExemplarsDropped, "clamped": d.Clamped,
	} {
		if n > 0 {
			m.dropped.WithLabelValues(signal.String(), reason).Add(float64(n))
		}
	}
}
