package apicodec

import (
	"compress/flate"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"connectrpc.com/connect"

	"github.com/hearth-dev/hearth/controlplane/internal/download"
)

// MaxRequestBytes bounds one API request message, on the wire and after
// decompression: a REST body, a Connect unary body, each message of a
// Connect stream, gRPC or gRPC-Web call. The public API's requests are
// far smaller; the agent protocol's largest (1 MiB log chunks, 256 KiB
// artifact chunks) too.
const MaxRequestBytes = 4 << 20

// bodyChunk is the unit a buffered body is read in: a body that turns out
// too large costs what was read, never a doubled buffer.
const bodyChunk = 32 << 10

// errBodyTooLarge is what a bounded reader returns past its limit.
var errBodyTooLarge = errors.New("request body too large")

// tooLargeMessage tells the caller the limit; the same words on every
// protocol.
func tooLargeMessage(limit int64) string {
	return fmt.Sprintf("request body too large: at most %s (%d bytes), after decompression", sizeName(limit), limit)
}

func sizeName(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// LimitBodies bounds what an API request may make the server read and
// hold before its message is decoded, whatever it claims:
//
//   - REST and Connect unary bodies (one message each) are read here, at
//     most limit bytes off the wire and at most limit bytes after gzip, and
//     handed on uncompressed with their length. The REST transcoder would
//     otherwise buffer any size and inflate gzip without a bound.
//   - Enveloped bodies (gRPC, gRPC-Web, Connect streams) carry many
//     messages: each is bounded from its envelope, and a compressed one is
//     inflated here, bounded, and handed on uncompressed
//     (inflatingEnvelopes). connect-go's own limit (WithReadMaxBytes, and
//     the bounded gzip reader of Compression) stays as a second line.
//
// A refusal is 413 resource_exhausted with a message naming the limit;
// nothing of the body reaches a handler.
func LimitBodies(limit int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		if header := envelopeCompression(r); header != "" {
			enc := strings.ToLower(strings.TrimSpace(r.Header.Get(header)))
			r2 := r.WithContext(r.Context())
			r2.Body = &inflatingEnvelopes{body: r.Body, limit: limit, gzip: enc == "gzip"}
			next.ServeHTTP(w, r2)
			return
		}
		if !wholeMessageBody(r) {
			next.ServeHTTP(w, r)
			return
		}
		body, err := readBody(w, r, limit)
		if err != nil {
			refuseBody(w, r, err, limit)
			return
		}
		r2 := r.WithContext(r.Context())
		r2.Header = r.Header.Clone()
		r2.Header.Del("Content-Encoding")
		r2.Header.Del("Content-Length")
		r2.ContentLength = body.Size()
		r2.Body = io.NopCloser(body)
		next.ServeHTTP(w, r2)
	})
}

// wholeMessageBody reports whether the request's body is one message: REST
// (under /api/) or Connect unary (application/json or application/proto).
// Enveloped protocols are left to connect-go's per-message limits.
func wholeMessageBody(r *http.Request) bool {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		return true
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return false
	}
	return mt == "application/json" || mt == "application/proto"
}

// errBadEncoding is a body this server cannot decode (a Content-Encoding
// it does not speak, or broken gzip).
type errBadEncoding struct{ msg string }

func (e errBadEncoding) Error() string { return e.msg }

// readBody reads r's body whole, bounded before and after decompression,
// and returns it uncompressed.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) (*chunkReader, error) {
	if r.ContentLength > limit {
		return nil, errBodyTooLarge
	}
	wire := http.MaxBytesReader(w, r.Body, limit)
	var src io.Reader = wire
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(wire)
		if err != nil {
			return nil, gzipError(err)
		}
		defer func() { _ = zr.Close() }()
		src = zr
	default:
		return nil, errBadEncoding{fmt.Sprintf("unsupported Content-Encoding %q: send the body as is or gzip", enc)}
	}
	body, err := readChunks(src, limit)
	if err != nil {
		return nil, gzipError(err)
	}
	return body, nil
}

// gzipError tells a broken gzip stream (the caller's fault, 400) from a
// body over the limit or a failed read.
func gzipError(err error) error {
	var maxErr *http.MaxBytesError
	switch {
	case errors.As(err, &maxErr), errors.Is(err, errBodyTooLarge):
		return errBodyTooLarge
	case errors.Is(err, gzip.ErrHeader), errors.Is(err, gzip.ErrChecksum), errors.Is(err, io.ErrUnexpectedEOF):
		return errBadEncoding{"the request body is not valid gzip"}
	}
	var corrupt flate.CorruptInputError
	if errors.As(err, &corrupt) {
		return errBadEncoding{"the request body is not valid gzip"}
	}
	return err
}

// readChunks reads r to its end in bodyChunk pieces, failing with
// errBodyTooLarge once more than limit bytes came.
func readChunks(r io.Reader, limit int64) (*chunkReader, error) {
	body := &chunkReader{}
	for {
		c := make([]byte, bodyChunk)
		n, err := fill(r, c)
		body.size += int64(n)
		if body.size > limit {
			return nil, errBodyTooLarge
		}
		if n > 0 {
			body.chunks = append(body.chunks, c[:n])
		}
		if errors.Is(err, io.EOF) {
			return body, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// fill reads into p until it is full or r fails; unlike io.ReadFull it
// passes r's own io.ErrUnexpectedEOF (a truncated body) on as an error.
func fill(r io.Reader, p []byte) (int, error) {
	n := 0
	for n < len(p) {
		m, err := r.Read(p[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// chunkReader reads the chunks of a buffered body in order.
type chunkReader struct {
	chunks [][]byte
	size   int64
}

func (c *chunkReader) Size() int64 { return c.size }

func (c *chunkReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) && len(c.chunks) > 0 {
		m := copy(p[n:], c.chunks[0])
		n += m
		if c.chunks[0] = c.chunks[0][m:]; len(c.chunks[0]) == 0 {
			c.chunks[0] = nil
			c.chunks = c.chunks[1:]
		}
	}
	if n == 0 && len(c.chunks) == 0 {
		return 0, io.EOF
	}
	return n, nil
}

// refuseBody answers a body readBody refused, in the API's JSON error form
// (REST and Connect unary alike).
func refuseBody(w http.ResponseWriter, r *http.Request, err error, limit int64) {
	var bad errBadEncoding
	switch {
	case errors.Is(err, errBodyTooLarge):
		// The rest of the body stays unread: net/http closes an HTTP/1
		// connection after this rather than read it (no "Connection:
		// close" here, which on HTTP/2 would end every stream of the
		// connection).
		download.JSON(w, http.StatusRequestEntityTooLarge, connect.CodeResourceExhausted.String(), tooLargeMessage(limit))
	case errors.As(err, &bad):
		status := http.StatusBadRequest
		if strings.HasPrefix(bad.msg, "unsupported") {
			status = http.StatusUnsupportedMediaType
		}
		download.JSON(w, status, connect.CodeInvalidArgument.String(), bad.msg)
	case r.Context().Err() != nil:
		// The client went away mid-body: nobody reads an answer.
	default:
		download.JSON(w, http.StatusBadRequest, connect.CodeInvalidArgument.String(), "the request body could not be read")
	}
}

// boundedGzip is a gzip decompressor for connect-go that yields at most
// limit+1 bytes: connect-go stops buffering at its read limit but then
// inflates the rest of a message to report its size, which for a bomb is
// gigabytes of work. With this it reports "larger than the limit" instead.
type boundedGzip struct {
	zr    gzip.Reader
	limit int64
	n     int64
}

func newBoundedGzip(limit int64) func() connect.Decompressor {
	return func() connect.Decompressor { return &boundedGzip{limit: limit} }
}

func (b *boundedGzip) Read(p []byte) (int, error) {
	if b.n > b.limit {
		return 0, connect.NewError(connect.CodeResourceExhausted, errors.New(tooLargeMessage(b.limit)))
	}
	if rem := b.limit + 1 - b.n; int64(len(p)) > rem {
		p = p[:rem]
	}
	n, err := b.zr.Read(p)
	b.n += int64(n)
	return n, err
}

func (b *boundedGzip) Reset(r io.Reader) error {
	b.n = 0
	return b.zr.Reset(r)
}

func (b *boundedGzip) Close() error { return b.zr.Close() }

// Compression is the handler option giving connect-go the bounded gzip
// reader (and the standard writer for responses).
func Compression(limit int64) connect.HandlerOption {
	return connect.WithCompression("gzip", newBoundedGzip(limit), func() connect.Compressor {
		return gzip.NewWriter(io.Discard)
	})
}

// ReadWholeBody reads a plain HTTP request's body (OTLP/HTTP, Prometheus
// remote-write) whole, bounded by limit on the wire and after gzip. Its
// errors answer with ErrorStatus.
func ReadWholeBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	body, err := readBody(w, r, limit)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, body.Size())
	for _, c := range body.chunks {
		out = append(out, c...)
	}
	return out, nil
}

// BodyErrorStatus is the HTTP status and message for a ReadWholeBody
// error: 413 past the limit, 415 for an encoding the server does not
// speak, 400 for broken gzip or a body cut short.
func BodyErrorStatus(err error, limit int64) (int, string) {
	var bad errBadEncoding
	switch {
	case errors.Is(err, errBodyTooLarge):
		return http.StatusRequestEntityTooLarge, tooLargeMessage(limit)
	case errors.As(err, &bad):
		if strings.HasPrefix(bad.msg, "unsupported") {
			return http.StatusUnsupportedMediaType, bad.msg
		}
		return http.StatusBadRequest, bad.msg
	}
	return http.StatusBadRequest, "the request body could not be read"
}
