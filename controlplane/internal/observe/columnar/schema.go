package columnar

import (
	"github.com/parquet-go/parquet-go"

	"github.com/hearth-dev/hearth/controlplane/internal/observe/record"
)

// signalSchema is what the generic writer and scanner need to know about
// one row type.
type signalSchema[T any] struct {
	name string
	key  func(*T) sortKey
	// bloom lists the columns given a split-block bloom filter.
	bloom []string
	// noBounds lists columns whose min/max would never prune a row group
	// or a page (free text, ids, attribute maps): skipping them keeps the
	// footer and the page index small instead of repeating long values.
	noBounds [][]string
}

var logSchema = signalSchema[record.Log]{
	name:  "logs",
	key:   func(r *record.Log) sortKey { return sortKey{r.Project, r.Service, r.TimeNano} },
	bloom: []string{"trace_id"},
	noBounds: [][]string{
		{"body"}, {"span_id"},
		{"resource_attributes", "key_value", "key"}, {"resource_attributes", "key_value", "value"},
		{"attributes", "key_value", "key"}, {"attributes", "key_value", "value"},
	},
}

var spanSchema = signalSchema[record.Span]{
	name:  "traces",
	key:   func(r *record.Span) sortKey { return sortKey{r.Project, r.Service, r.StartNano} },
	bloom: []string{"trace_id"},
	noBounds: [][]string{
		{"span_id"}, {"parent_span_id"}, {"status_message"},
		{"resource_attributes", "key_value", "key"}, {"resource_attributes", "key_value", "value"},
		{"attributes", "key_value", "key"}, {"attributes", "key_value", "value"},
		{"events", "list", "element", "name"},
		{"events", "list", "element", "attributes", "key_value", "key"},
		{"events", "list", "element", "attributes", "key_value", "value"},
	},
}

var metricSchema = signalSchema[record.Metric]{
	name: "metrics",
	key:  func(r *record.Metric) sortKey { return sortKey{r.Project, r.Service, r.TimeNano} },
	noBounds: [][]string{
		{"labels", "key_value", "key"}, {"labels", "key_value", "value"},
		{"resource_attributes", "key_value", "key"}, {"resource_attributes", "key_value", "value"},
		{"exemplars", "list", "element", "trace_id"}, {"exemplars", "list", "element", "span_id"},
		{"exemplars", "list", "element", "filtered_attributes", "key_value", "key"},
		{"exemplars", "list", "element", "filtered_attributes", "key_value", "value"},
	},
}

func (s *signalSchema[T]) writerOptions() []parquet.WriterOption {
	opts := commonWriterOptions()
	if len(s.bloom) > 0 {
		filters := make([]parquet.BloomFilterColumn, len(s.bloom))
		for i, c := range s.bloom {
			filters[i] = parquet.SplitBlockFilter(bloomBitsPerValue, c)
		}
		// Deferred filters are written together after the last row
		// group, so a trace-id lookup fetches the filters of every
		// candidate row group in one ranged read.
		opts = append(opts, parquet.BloomFilters(filters...),
			parquet.DeferBloomFiltersWithBuffers(parquet.NewBufferPool()))
	}
	for _, p := range s.noBounds {
		opts = append(opts, parquet.SkipPageBounds(p...), parquet.SkipPageStatistics(p...))
	}
	return opts
}
