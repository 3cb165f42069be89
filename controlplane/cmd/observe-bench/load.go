package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	collogspb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
)

// The load generator: senders that each export pre-built, pre-encoded
// 100-item batches back to back over OTLP/gRPC or OTLP/HTTP (protobuf,
// uncompressed), counting the items the server accepted.

const batchItems = 100

// workload is one signal over one protocol.
type workload struct {
	signal   string // traces | logs
	protocol string // grpc | http
}

func (w workload) String() string { return w.signal + "/" + w.protocol }

func (w workload) grpcMethod() string {
	if w.signal == "traces" {
		return "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
	}
	return "/opentelemetry.proto.collector.logs.v1.LogsService/Export"
}

// rejected is how many items of an answered export were refused
// (OTLP partial success).
func (w workload) rejected(res []byte) (int64, error) {
	if len(res) == 0 {
		return 0, nil
	}
	if w.signal == "traces" {
		var m coltracepb.ExportTraceServiceResponse
		err := proto.Unmarshal(res, &m)
		return m.GetPartialSuccess().GetRejectedSpans(), err
	}
	var m collogspb.ExportLogsServiceResponse
	err := proto.Unmarshal(res, &m)
	return m.GetPartialSuccess().GetRejectedLogRecords(), err
}

// payloads are n encoded export requests of batchItems items each,
// timestamped just before now (every server accepts them for hours).
func payloads(signal string, n int, now time.Time) [][]byte {
	r := rand.New(rand.NewPCG(1, uint64(len(signal)))) //nolint:gosec // G404: synthetic data, the same every run
	out := make([][]byte, n)
	t := uint64(now.Add(-5 * time.Second).UnixNano())
	for i := range out {
		svc := pick(r, services)
		var m proto.Message
		if signal == "traces" {
			var spans []*tracepb.Span
			for len(spans) < batchItems {
				for _, s := range trace(r, t+r.Uint64N(4e9)) {
					spans = append(spans, s.span)
				}
			}
			m = tracesRequest(r, svc, spans[:batchItems])
		} else {
			m = logsRequest(r, svc, sortedTimes(r, batchItems, t, 4e9))
		}
		b, err := proto.Marshal(m)
		if err != nil {
			panic(err)
		}
		out[i] = b
	}
	return out
}

// rawCodec sends pre-encoded messages as they are (and hands answers back
// undecoded): the client spends nothing on protobuf.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) { return *(v.(*[]byte)), nil }
func (rawCodec) Unmarshal(data []byte, v any) error {
	*(v.(*[]byte)) = append([]byte(nil), data...)
	return nil
}
func (rawCodec) Name() string { return "proto" }

// counters are what the senders of one run saw.
type counters struct {
	accepted, rejected, failed atomic.Int64
	mu                         sync.Mutex
	firstErr                   string
}

func (c *counters) fail(err error) {
	c.failed.Add(1)
	c.mu.Lock()
	if c.firstErr == "" {
		c.firstErr = err.Error()
	}
	c.mu.Unlock()
	time.Sleep(10 * time.Millisecond) // a refusing server is not spun on
}

// send runs senders until ctx ends, each exporting payloads[i], [i+1], …
// to t with token; wait waits for them to finish.
func send(ctx context.Context, t *target, w workload, token string, pl [][]byte, senders int, c *counters) (wait func(), err error) {
	var wg sync.WaitGroup
	switch w.protocol {
	case "grpc":
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
		for s := range senders {
			conn, err := grpc.NewClient(t.grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()),
				grpc.WithDefaultCallOptions(grpc.ForceCodec(rawCodec{})))
			if err != nil {
				return nil, err
			}
			wg.Go(func() {
				defer func() { _ = conn.Close() }()
				for i := s; ctx.Err() == nil; i++ {
					var res []byte
					err := conn.Invoke(ctx, w.grpcMethod(), &pl[i%len(pl)], &res)
					c.done(ctx, w, res, err)
				}
			})
		}
		return wg.Wait, nil
	case "http":
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: senders, DisableCompression: true}}
		url := t.httpURL + "/v1/" + w.signal
		for s := range senders {
			wg.Go(func() {
				for i := s; ctx.Err() == nil; i++ {
					res, err := post(ctx, client, url, token, pl[i%len(pl)])
					c.done(ctx, w, res, err)
				}
			})
		}
		return func() { wg.Wait(); client.CloseIdleConnections() }, nil
	}
	return nil, fmt.Errorf("unknown protocol %q", w.protocol)
}

// post is one OTLP/HTTP export; it returns the answer's body.
func post(ctx context.Context, client *http.Client, url, token string, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	out, err := io.ReadAll(res.Body)
	_ = res.Body.Close()
	if err == nil && res.StatusCode != http.StatusOK {
		err = fmt.Errorf("HTTP %d: %.200s", res.StatusCode, out)
	}
	return out, err
}

// done counts one export's outcome (an error after ctx ended is the
// load stopping, not a failure).
func (c *counters) done(ctx context.Context, w workload, res []byte, err error) {
	switch {
	case err != nil && ctx.Err() == nil:
		c.fail(err)
	case err == nil:
		c.count(w, res)
	}
}

func (c *counters) count(w workload, res []byte) {
	rej, err := w.rejected(res)
	if err != nil {
		c.fail(err)
		return
	}
	c.rejected.Add(rej)
	c.accepted.Add(batchItems - rej)
}
