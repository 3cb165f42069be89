package observe

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hearth-dev/hearth/controlplane/internal/observe/otlpconv"
	"github.com/hearth-dev/hearth/controlplane/internal/observe/promwrite"
	"github.com/hearth-dev/hearth/controlplane/internal/observe/record"
)

// remoteWritePath takes Prometheus remote-write 1.0: a snappy-compressed
// protobuf WriteRequest (remote_write: url: https://hearth/v1/prometheus/write).
const remoteWritePath = "/v1/prometheus/write"

// serveRemoteWrite ingests one remote-write request. Prometheus retries
// 429 and 5xx answers and drops a batch answered 4xx: a malformed request
// is 400, samples refused inside a valid one are counted, not reported.
func (s *Service) serveRemoteWrite(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "remote-write takes POST", http.StatusMethodNotAllowed)
		return
	}
	if enc := strings.ToLower(r.Header.Get("Content-Encoding")); enc != "" && enc != "snappy" {
		http.Error(w, "remote-write bodies are snappy-compressed (Content-Encoding: snappy)", http.StatusUnsupportedMediaType)
		return
	}
	limit := s.d.Config.MaxRequestBytes
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			http.Error(w, "request body too large: at most "+strconv.FormatInt(limit, 10)+" bytes", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "the request body could not be read", http.StatusBadRequest)
		return
	}
	series, err := promwrite.Decode(body, int(limit))
	if err != nil {
		s.metrics.refused.WithLabelValues(record.Metrics.String(), "malformed").Inc()
		http.Error(w, "not a remote-write request: "+err.Error(), http.StatusBadRequest)
		return
	}
	a, err := s.ingest(r.Context(), record.Metrics, "", nil, func(t otlpconv.Tenant, now time.Time) (*record.Batch, otlpconv.Drops) {
		rows, d := promwrite.ToRows(t, series, now, s.d.Config.Limits)
		return &record.Batch{Project: t.Project, Metrics: rows}, d
	})
	if err != nil {
		code, msg, after := s.httpError(err)
		if after > 0 {
			w.Header().Set("Retry-After", strconv.FormatInt(int64((after+time.Second-1)/time.Second), 10))
		}
		http.Error(w, msg, code)
		return
	}
	if a.rejected > 0 {
		w.Header().Set("X-Hearth-Rejected-Samples", strconv.FormatInt(a.rejected, 10))
	}
	w.WriteHeader(http.StatusNoContent)
}
