package otlp

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"connectrpc.com/connect"
)

// Errors of readBody, each answered with its own status.
var (
	errTooLarge    = errors.New("request body too large")
	errBadGzip     = errors.New("the request body is not valid gzip")
	errBadEncoding = errors.New("unsupported Content-Encoding: send the body as is or gzip")
	errBodyRead    = errors.New("the request body could not be read")
)

// readBody reads an OTLP/HTTP body whole: at most limit bytes off the
// wire and at most limit bytes after gzip. A body declared larger is
// refused before a byte is read; one that turns out larger (chunked, or
// a gzip bomb) is refused after limit+1 bytes: what it costs is bounded by
// limit whatever it claims.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if r.ContentLength > limit {
		return nil, errTooLarge
	}
	wire := http.MaxBytesReader(w, r.Body, limit)
	var src io.Reader = wire
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(wire)
		if err != nil {
			return nil, bodyError(err)
		}
		defer func() { _ = zr.Close() }()
		src = zr
	default:
		return nil, errBadEncoding
	}
	var buf bytes.Buffer
	if r.ContentLength > 0 {
		buf.Grow(int(r.ContentLength) + 1)
	}
	n, err := buf.ReadFrom(io.LimitReader(src, limit+1))
	if err != nil {
		return nil, bodyError(err)
	}
	if n > limit {
		return nil, errTooLarge
	}
	return buf.Bytes(), nil
}

// bodyError tells a body over the limit from broken gzip (the sender's
// fault) and from a failed read (a client gone, a read deadline).
func bodyError(err error) error {
	var maxErr *http.MaxBytesError
	var corrupt flate.CorruptInputError
	switch {
	case errors.As(err, &maxErr):
		return errTooLarge
	case errors.Is(err, gzip.ErrHeader), errors.Is(err, gzip.ErrChecksum), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, io.EOF), errors.As(err, &corrupt):
		return errBadGzip
	}
	return errBodyRead
}

// tooLargeMessage names the limit, the same words on every protocol.
func tooLargeMessage(limit int64) string {
	return fmt.Sprintf("the export is larger than %d bytes (after decompression): export smaller batches", limit)
}

// boundedGzip is the gzip decompressor the gRPC handlers get: it yields at
// most limit+1 bytes, then fails. connect-go stops buffering a message at
// its read limit but would then inflate the rest of a bomb to report its
// size.
type boundedGzip struct {
	zr    gzip.Reader
	limit int64
	n     int64
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

// gzipOption gives connect-go the bounded decompressor (and the standard
// compressor for answers).
func gzipOption(limit int64) connect.HandlerOption {
	return connect.WithCompression("gzip",
		func() connect.Decompressor { return &boundedGzip{limit: limit} },
		func() connect.Compressor { return gzip.NewWriter(io.Discard) },
	)
}
