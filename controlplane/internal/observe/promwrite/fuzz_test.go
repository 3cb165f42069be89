package promwrite

import (
	"errors"
	"testing"
	"time"

	"github.com/klauspost/compress/snappy"

	"github.com/hearth-dev/hearth/controlplane/internal/observe/otlpconv"
)

// FuzzDecode feeds Decode arbitrary protobuf (snappy-compressed for it)
// or arbitrary bodies (raw), then converts what decodes. Neither may
// panic, errors must be the package's, and rows must respect the limits.
func FuzzDecode(f *testing.F) {
	f.Add(encRequest([]Series{{
		Labels:     labels("__name__", "a_total", "job", "j", "hearth.x", "y"),
		Samples:    []Sample{{Value: 1, TimestampMs: nowMs}},
		Exemplars:  []Exemplar{{Labels: labels("trace_id", "0102030405060708090a0b0c0d0e0f10"), TimestampMs: nowMs}},
		Histograms: 1,
	}, {Labels: labels("__name__", "a_total", "job", "j", "hearth.x", "y"), Exemplars: []Exemplar{{TimestampMs: nowMs}}}},
		[]Metadata{{Type: TypeCounter, Family: "a"}}), false)
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0x0f, 0x00}, true)
	lim := otlpconv.Limits{MaxAttributes: 2, MaxAttributeValueBytes: 8, MaxExemplars: 1, MaxFuture: 1e6 * time.Hour, MaxPast: 1e6 * time.Hour}
	f.Fuzz(func(t *testing.T, data []byte, raw bool) {
		body := data
		if !raw {
			body = snappy.Encode(nil, data)
		}
		req, err := Decode(body, 1<<16)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if !raw && 2*len(req.Series) > len(data) {
			t.Fatalf("%d series from %d bytes", len(req.Series), len(data))
		}
		rows, _ := ToRows(testTenant, req, testNow, lim)
		for _, r := range rows {
			if r.Project != "prj_1" || r.Resource["hearth.cluster"] != "c1" || r.Name == "" {
				t.Fatalf("tenancy or name lost: %+v", r)
			}
			if len(r.Labels) > 2 || len(r.Exemplars) > 1 {
				t.Fatalf("unbounded row %+v", r)
			}
			for k, v := range r.Labels {
				if otlpconv.Reserved(k) || len(k) > 8 || len(v) > 8 {
					t.Fatalf("label %q=%q", k, v)
				}
			}
		}
	})
}
