package apicodec

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"connectrpc.com/connect"

	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
)

func gzipOf(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func frame(flags byte, msg []byte) []byte {
	out := make([]byte, 5, 5+len(msg))
	out[0] = flags
	binary.BigEndian.PutUint32(out[1:], uint32(len(msg)))
	return append(out, msg...)
}

// countingReader counts what was read from it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func wantCode(t *testing.T, what string, err error, code connect.Code) {
	t.Helper()
	var ce *connect.Error
	if !errors.As(err, &ce) || ce.Code() != code {
		t.Fatalf("%s: %v, want %v", what, err, code)
	}
}

// TestInflatingEnvelopesHandsOnMessagesUncompressedAndBounded: plain and
// compressed messages come out as plain envelopes of the same messages; a
// compressed message inflating past the limit, or an envelope declaring
// more than the limit, ends the body with resource_exhausted, the latter
// before its bytes are read.
func TestInflatingEnvelopesHandsOnMessagesUncompressedAndBounded(t *testing.T) {
	const limit = 1 << 20
	hello := bytes.Repeat([]byte("hello "), 1000)
	var in bytes.Buffer
	in.Write(frame(0, []byte("plain")))
	in.Write(frame(envelopeFlagCompressed, gzipOf(t, hello)))
	in.Write(frame(0, nil))
	got, err := io.ReadAll(&inflatingEnvelopes{body: io.NopCloser(&in), limit: limit, gzip: true})
	want := append(append(frame(0, []byte("plain")), frame(0, hello)...), frame(0, nil)...)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("got %d bytes (%v), want %d", len(got), err, len(want))
	}

	bomb := gzipOf(t, make([]byte, 8<<20))
	in.Reset()
	in.Write(frame(0, []byte("first")))
	in.Write(frame(envelopeFlagCompressed, bomb))
	got, err = io.ReadAll(&inflatingEnvelopes{body: io.NopCloser(&in), limit: limit, gzip: true})
	wantCode(t, "bomb", err, connect.CodeResourceExhausted)
	if !bytes.Equal(got, frame(0, []byte("first"))) {
		t.Fatalf("before the bomb: %q", got)
	}

	huge := &countingReader{r: io.MultiReader(bytes.NewReader([]byte{0, 0xff, 0xff, 0xff, 0xff}), bytes.NewReader(make([]byte, 1<<20)))}
	_, err = io.ReadAll(&inflatingEnvelopes{body: io.NopCloser(huge), limit: limit, gzip: true})
	wantCode(t, "a 4 GiB envelope", err, connect.CodeResourceExhausted)
	if huge.n > 64<<10 {
		t.Fatalf("read %d bytes of a message refused from its envelope", huge.n)
	}

	in.Reset()
	in.Write(frame(envelopeFlagCompressed, []byte("not gzip")))
	_, err = io.ReadAll(&inflatingEnvelopes{body: io.NopCloser(&in), limit: limit, gzip: true})
	wantCode(t, "broken gzip", err, connect.CodeInvalidArgument)

	// A message or an envelope cut short is the caller's fault.
	cut := frame(0, []byte("abcdef"))
	for name, body := range map[string][]byte{
		"cut message": cut[:len(cut)-2], "cut envelope": cut[:3],
		"cut compressed message": frame(envelopeFlagCompressed, gzipOf(t, hello))[:40],
	} {
		_, err = io.ReadAll(&inflatingEnvelopes{body: io.NopCloser(bytes.NewReader(body)), limit: limit, gzip: true})
		wantCode(t, name, err, connect.CodeInvalidArgument)
	}

	// Compression the body does not declare as gzip is connect-go's to
	// refuse: passed on untouched.
	in.Reset()
	in.Write(frame(envelopeFlagCompressed, []byte("zstd?")))
	got, err = io.ReadAll(&inflatingEnvelopes{body: io.NopCloser(&in), limit: limit})
	if err != nil || !bytes.Equal(got, frame(envelopeFlagCompressed, []byte("zstd?"))) {
		t.Fatalf("undeclared compression: %q %v", got, err)
	}
}

// TestBoundedGzipStopsInflating: connect-go's second line inflates at most
// limit+1 bytes of a bomb, then says resource_exhausted.
func TestBoundedGzipStopsInflating(t *testing.T) {
	const limit = 1 << 20
	d := newBoundedGzip(limit)()
	if err := d.Reset(bytes.NewReader(gzipOf(t, make([]byte, 8<<20)))); err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, d)
	wantCode(t, "bomb", err, connect.CodeResourceExhausted)
	if n != limit+1 {
		t.Fatalf("inflated %d bytes, want %d", n, limit+1)
	}
	// Reused for a message within the limit.
	if err := d.Reset(bytes.NewReader(gzipOf(t, []byte("ok")))); err != nil {
		t.Fatal(err)
	}
	if b, err := io.ReadAll(d); err != nil || string(b) != "ok" {
		t.Fatalf("after Reset: %q %v", b, err)
	}
}

// TestReadChunksBoundsAndKeepsBodies: a body up to the limit comes back
// whole, one byte more is refused.
func TestReadChunksBoundsAndKeepsBodies(t *testing.T) {
	for _, size := range []int{0, 1, bodyChunk - 1, bodyChunk, bodyChunk + 1, 5*bodyChunk + 7} {
		body := make([]byte, size)
		for i := range body {
			body[i] = byte(i)
		}
		c, err := readChunks(bytes.NewReader(body), int64(size))
		if err != nil || c.Size() != int64(size) {
			t.Fatalf("%d bytes: %v %v", size, c, err)
		}
		if got, _ := io.ReadAll(c); !bytes.Equal(got, body) {
			t.Fatalf("%d bytes: came back different", size)
		}
		if size > 0 {
			if _, err := readChunks(bytes.NewReader(body), int64(size-1)); !errors.Is(err, errBodyTooLarge) {
				t.Fatalf("%d bytes with a limit of %d: %v", size, size-1, err)
			}
		}
	}
	boom := errors.New("connection reset")
	if _, err := readChunks(io.MultiReader(bytes.NewReader([]byte("partial")), errReader{boom}), 1<<20); !errors.Is(err, boom) {
		t.Fatalf("a failed read: %v", err)
	}
	if _, err := readChunks(io.MultiReader(bytes.NewReader([]byte("cut")), errReader{io.ErrUnexpectedEOF}), 1<<20); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("a cut body passed for whole: %v", err)
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// TestConnectBoundsInflatedMessagesOnItsOwn: behind LimitBodies, connect-go
// with the API's options (WithReadMaxBytes, the bounded gzip reader) still
// refuses a message that inflates past the limit, over Connect and
// gRPC-Web, inflating no more than the limit and a byte.
func TestConnectBoundsInflatedMessagesOnItsOwn(t *testing.T) {
	const limit = 1 << 20
	var inflated atomic.Int64
	counting := func() connect.Decompressor {
		return &countingDecompressor{Decompressor: newBoundedGzip(limit)(), n: &inflated}
	}
	h := connect.NewUnaryHandler("/t.S/M",
		func(context.Context, *connect.Request[hearthv1.LoginRequest]) (*connect.Response[hearthv1.LoginResponse], error) {
			return connect.NewResponse(&hearthv1.LoginResponse{}), nil
		},
		connect.WithReadMaxBytes(limit),
		connect.WithCompression("gzip", counting, func() connect.Compressor { return gzip.NewWriter(io.Discard) }))
	srv := httptest.NewServer(h)
	defer srv.Close()
	bomb := gzipOf(t, make([]byte, 16<<20))
	for name, req := range map[string]func() *http.Request{
		"Connect": func() *http.Request {
			r, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/t.S/M", bytes.NewReader(bomb))
			r.Header.Set("Content-Type", "application/proto")
			r.Header.Set("Content-Encoding", "gzip")
			return r
		},
		"gRPC-Web": func() *http.Request {
			r, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/t.S/M", bytes.NewReader(frame(envelopeFlagCompressed, bomb)))
			r.Header.Set("Content-Type", "application/grpc-web+proto")
			r.Header.Set("Grpc-Encoding", "gzip")
			return r
		},
	} {
		inflated.Store(0)
		res, err := srv.Client().Do(req())
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		_ = res.Body.Close()
		if !bytes.Contains(body, []byte("resource_exhausted")) && res.Header.Get("Grpc-Status") != "8" &&
			!bytes.Contains(body, []byte("grpc-status: 8")) && !bytes.Contains(body, []byte("grpc-status:8")) {
			t.Errorf("%s bomb: %d %v %q, want resource_exhausted", name, res.StatusCode, res.Header, body)
		}
		if n := inflated.Load(); n > limit+1 {
			t.Errorf("%s bomb: inflated %d bytes, want at most %d", name, n, limit+1)
		}
	}
}

type countingDecompressor struct {
	connect.Decompressor
	n *atomic.Int64
}

func (c *countingDecompressor) Read(p []byte) (int, error) {
	n, err := c.Decompressor.Read(p)
	c.n.Add(int64(n))
	return n, err
}
