package server_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/hearth-dev/hearth/controlplane/servertest"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

const (
	// bombBytes is what one gzip bomb inflates to: 1 GiB of zeros in about
	// 1 MiB, as in the report that found the hole.
	bombBytes = 1 << 30
	// plainBytes is the size of one uncompressed oversized body.
	plainBytes = 100 << 20
	// attackers send at once in each round.
	attackers = 8
	// heapBudget is how much heap in use may rise under all of it.
	heapBudget = 64 << 20
)

// heapMetric is the heap occupied by objects, live or not yet swept: what
// an attacker's buffers cost until the collector frees them.
const heapMetric = "/memory/classes/heap/objects:bytes"

func heapObjectBytes() uint64 {
	s := []metrics.Sample{{Name: heapMetric}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// heapPeakSampler samples heap in use until stop is called and returns the peak.
func heapPeakSampler() (stop func() uint64) {
	var peak atomic.Uint64
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			if h := heapObjectBytes(); h > peak.Load() {
				peak.Store(h)
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		<-finished
		return peak.Load()
	}
}

// gzipBomb inflates to n zeros. It is a sequence of gzip members, each
// 16 MiB of zeros: every reader of the server (Go's gzip.Reader, by
// default multistream) inflates them as one body, and building it costs
// the test milliseconds instead of compressing a whole GiB.
func gzipBomb(t *testing.T, n int) []byte {
	t.Helper()
	const member = 16 << 20
	var one bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&one, gzip.BestCompression)
	if _, err := zw.Write(make([]byte, member)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return bytes.Repeat(one.Bytes(), n/member)
}

// zeroBody is an endless-looking body of n bytes that costs the client no memory.
type zeroBody struct{ left int64 }

func (z *zeroBody) Read(p []byte) (int, error) {
	if z.left <= 0 {
		return 0, io.EOF
	}
	n := min(int64(len(p)), z.left)
	clear(p[:n])
	z.left -= n
	return int(n), nil
}

// bodyAttack is one kind of hostile request and how the server must refuse it.
type bodyAttack struct {
	name string
	// newRequest builds one request (a fresh body each time).
	newRequest func(ctx context.Context, base string) *http.Request
	// check judges the answer.
	check func(res *http.Response, body string) error
}

// restTooLarge: 413 with a JSON body naming resource_exhausted and the limit.
func restTooLarge(res *http.Response, body string) error {
	if res.StatusCode != http.StatusRequestEntityTooLarge ||
		!strings.Contains(body, `"code":"resource_exhausted"`) || !strings.Contains(body, "4 MiB") {
		return fmt.Errorf("want 413 resource_exhausted naming the 4 MiB limit, got %d %.300s", res.StatusCode, body)
	}
	return nil
}

// connectTooLarge: a Connect error resource_exhausted.
func connectTooLarge(res *http.Response, body string) error {
	if res.StatusCode != http.StatusTooManyRequests && res.StatusCode != http.StatusRequestEntityTooLarge ||
		!strings.Contains(body, `"code":"resource_exhausted"`) {
		return fmt.Errorf("want resource_exhausted, got %d %.300s", res.StatusCode, body)
	}
	return nil
}

// grpcTooLarge: grpc-status 8 (RESOURCE_EXHAUSTED), in the headers or
// trailers (gRPC) or in the body's trailer frame (gRPC-Web).
func grpcTooLarge(res *http.Response, body string) error {
	if res.Header.Get("Grpc-Status") == "8" || res.Trailer.Get("Grpc-Status") == "8" ||
		strings.Contains(strings.ToLower(body), "grpc-status:8") {
		return nil
	}
	return fmt.Errorf("want grpc-status 8, got %d %v %v %.300q", res.StatusCode, res.Header, res.Trailer, body)
}

// grpcEnvelope frames a gRPC message; compressed sets the flag bit.
func grpcEnvelope(msg []byte, compressed bool) []byte {
	out := make([]byte, 5, 5+len(msg))
	if compressed {
		out[0] = 1
	}
	binary.BigEndian.PutUint32(out[1:], uint32(len(msg)))
	return append(out, msg...)
}

func postBody(ctx context.Context, url, contentType string, body io.Reader, header map[string]string) *http.Request {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, body)
	req.Header.Set("Content-Type", contentType)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return req
}

// TestHostileBodiesCostBoundedMemory sends, anonymously and eight at a
// time, gzip bombs and 100 MB bodies to REST, Connect, gRPC-Web and gRPC,
// and checks that the server refuses each with resource_exhausted while
// its heap in use (the server runs in this process) rises by at most
// heapBudget.
func TestHostileBodiesCostBoundedMemory(t *testing.T) {
	srv := servertest.Start(t)
	bomb := gzipBomb(t, bombBytes)
	t.Logf("gzip bomb: %d bytes inflating to %d", len(bomb), bombBytes)
	gz := map[string]string{"Content-Encoding": "gzip"}

	attacks := []bodyAttack{
		{"REST gzip bomb", func(ctx context.Context, base string) *http.Request {
			return postBody(ctx, base+"/api/v1/auth/login", "application/json", bytes.NewReader(bomb), gz)
		}, restTooLarge},
		{"REST gzip bomb to a project path", func(ctx context.Context, base string) *http.Request {
			return postBody(ctx, base+"/api/v1/projects", "application/json", bytes.NewReader(bomb), gz)
		}, restTooLarge},
		{"REST plain 100 MB, chunked", func(ctx context.Context, base string) *http.Request {
			return postBody(ctx, base+"/api/v1/auth/login", "application/json", io.MultiReader(&zeroBody{plainBytes}), nil)
		}, restTooLarge},
		{"REST plain 100 MB with its length", func(ctx context.Context, base string) *http.Request {
			req := postBody(ctx, base+"/api/v1/projects", "application/json", &zeroBody{plainBytes}, nil)
			req.ContentLength = plainBytes
			return req
		}, restTooLarge},
		{"Connect gzip bomb", func(ctx context.Context, base string) *http.Request {
			return postBody(ctx, base+"/hearth.v1.AuthService/Login", "application/json", bytes.NewReader(bomb), gz)
		}, connectTooLarge},
		{"Connect plain 100 MB, chunked", func(ctx context.Context, base string) *http.Request {
			return postBody(ctx, base+"/hearth.v1.AuthService/Login", "application/proto", io.MultiReader(&zeroBody{plainBytes}), nil)
		}, connectTooLarge},
		{"gRPC-Web gzip bomb", func(ctx context.Context, base string) *http.Request {
			return postBody(ctx, base+"/hearth.v1.AuthService/Login", "application/grpc-web+proto",
				bytes.NewReader(grpcEnvelope(bomb, true)), map[string]string{"Grpc-Encoding": "gzip"})
		}, grpcTooLarge},
		{"gRPC gzip bomb", func(ctx context.Context, base string) *http.Request {
			return postBody(ctx, base+"/hearth.v1.AuthService/Login", "application/grpc",
				bytes.NewReader(grpcEnvelope(bomb, true)), map[string]string{"Grpc-Encoding": "gzip", "Te": "trailers"})
		}, grpcTooLarge},
	}

	h2c := &http.Transport{Protocols: new(http.Protocols)}
	h2c.Protocols.SetUnencryptedHTTP2(true)
	defer h2c.CloseIdleConnections()
	h1 := &http.Transport{MaxConnsPerHost: 0}
	defer h1.CloseIdleConnections()

	overall := uint64(0)
	for _, a := range attacks {
		// Each round starts from the live heap: what the previous one left
		// unswept is not this one's cost.
		runtime.GC()
		base := heapObjectBytes()
		client := &http.Client{Transport: h1, Timeout: 2 * time.Minute}
		if strings.HasPrefix(a.name, "gRPC ") {
			client.Transport = h2c
		}
		stop := heapPeakSampler()
		start := time.Now()
		var wg sync.WaitGroup
		errs := make(chan error, attackers)
		for range attackers {
			wg.Go(func() {
				res, err := client.Do(a.newRequest(t.Context(), srv.URL))
				if err != nil {
					errs <- err
					return
				}
				defer res.Body.Close()
				b, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
				if err := a.check(res, string(b)); err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		peak := stop()
		rise := int64(peak) - int64(base)
		overall = max(overall, uint64(max(rise, 0)))
		t.Logf("%s ×%d: peak heap rise %.1f MiB in %v", a.name, attackers, float64(rise)/(1<<20), time.Since(start).Round(time.Millisecond))
		for err := range errs {
			t.Errorf("%s: %v", a.name, err)
		}
		if rise > heapBudget {
			t.Errorf("%s ×%d: heap in use rose by %.1f MiB, more than %d MiB", a.name, attackers, float64(rise)/(1<<20), heapBudget>>20)
		}
	}
	t.Logf("peak heap rise over all attacks: %.1f MiB (budget %d MiB)", float64(overall)/(1<<20), heapBudget>>20)

	// The server still answers.
	if code, body := get(t, srv.URL+"/api/v1/version"); code != http.StatusOK {
		t.Fatalf("after the attacks: /api/v1/version %d %s", code, body)
	}
}

// TestCompressedRequestsStillWork: clients that gzip their requests, over
// Connect, gRPC and gRPC-Web, unary and streaming, are understood.
func TestCompressedRequestsStillWork(t *testing.T) {
	srv := servertest.Start(t)
	token := srv.AdminToken(t)
	h2c := &http.Transport{Protocols: new(http.Protocols)}
	h2c.Protocols.SetUnencryptedHTTP2(true)
	defer h2c.CloseIdleConnections()
	client := &http.Client{Transport: h2c}
	for name, protocol := range map[string][]connect.ClientOption{
		"Connect": nil, "gRPC": {connect.WithGRPC()}, "gRPC-Web": {connect.WithGRPCWeb()},
	} {
		opts := append([]connect.ClientOption{connect.WithSendGzip()}, protocol...)
		res, err := hearthv1connect.NewAuthServiceClient(client, srv.URL, opts...).Login(t.Context(),
			&hearthv1.LoginRequest{Username: servertest.AdminUsername, Password: srv.AdminPassword})
		if err != nil || res.GetUser().GetUsername() != servertest.AdminUsername {
			t.Errorf("%s: gzipped Login: %v %v", name, res, err)
		}
		opts = append(opts, servertest.BearerOption(token))
		stream, err := hearthv1connect.NewPipelineServiceClient(client, srv.URL, opts...).FollowJobLog(t.Context(),
			&hearthv1.FollowJobLogRequest{JobId: "0190a4b2-0000-7000-8000-000000000000"})
		if err == nil {
			for stream.Receive() {
			}
			err = stream.Err()
			_ = stream.Close()
		}
		if connect.CodeOf(err) != connect.CodeNotFound {
			t.Errorf("%s: gzipped FollowJobLog of an unknown job: %v, want not_found", name, err)
		}
	}
}
