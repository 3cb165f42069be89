package apicodec

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"connectrpc.com/connect"
)

// envelopeCompression names the header carrying the compression of an
// enveloped body's messages ("" when the body is not enveloped): gRPC,
// gRPC-Web and Connect streams frame each message in a 5-byte envelope
// (flags, big-endian length) whose flag bit 1 marks it compressed.
func envelopeCompression(r *http.Request) string {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return ""
	}
	switch {
	case mt == "application/grpc" || strings.HasPrefix(mt, "application/grpc+"),
		mt == "application/grpc-web" || strings.HasPrefix(mt, "application/grpc-web+"):
		return "Grpc-Encoding"
	case strings.HasPrefix(mt, "application/connect+"):
		return "Connect-Content-Encoding"
	}
	return ""
}

// envelopeFlagCompressed marks a compressed message.
const envelopeFlagCompressed = 1

// inflatingEnvelopes hands connect-go the messages of an enveloped body
// uncompressed, bounding each before it is buffered: a message longer than
// limit on the wire is refused from its envelope, before its bytes are
// read, and a compressed one is inflated here, straight off the wire, at
// most limit bytes. connect-go would hold the compressed message and grow
// a buffer for its inflated form up to its limit (then keep both in its
// pool), which for eight bombs at once is a hundred MiB.
type inflatingEnvelopes struct {
	body  io.ReadCloser
	limit int64
	gzip  bool      // the messages' compression is gzip
	cur   io.Reader // what to hand on before the next envelope
	err   error
}

func (e *inflatingEnvelopes) Read(p []byte) (int, error) {
	for {
		if e.cur != nil {
			n, err := e.cur.Read(p)
			if errors.Is(err, io.EOF) {
				e.cur = nil
				if n == 0 {
					continue
				}
				err = nil
			}
			return n, err
		}
		if e.err != nil {
			return 0, e.err
		}
		e.cur, e.err = e.next()
	}
}

// next reads one envelope and returns what to hand on for it.
func (e *inflatingEnvelopes) next() (io.Reader, error) {
	var prefix [5]byte
	switch _, err := io.ReadFull(e.body, prefix[:]); {
	case errors.Is(err, io.ErrUnexpectedEOF):
		return nil, cutShort()
	case err != nil:
		return nil, err // the end of the body, or a failed read
	}
	size := int64(binary.BigEndian.Uint32(prefix[1:]))
	if size > e.limit {
		return nil, connect.NewError(connect.CodeResourceExhausted, errors.New(tooLargeMessage(e.limit)))
	}
	msgBody := &exactly{r: e.body, left: size}
	if prefix[0]&envelopeFlagCompressed == 0 || !e.gzip {
		return io.MultiReader(bytes.NewReader(prefix[:]), msgBody), nil
	}
	zr, err := gzip.NewReader(msgBody)
	if err != nil {
		return nil, badMessageGzip(err, e.limit)
	}
	msg, err := readChunks(zr, e.limit)
	if err != nil {
		return nil, badMessageGzip(err, e.limit)
	}
	prefix[0] &^= envelopeFlagCompressed
	binary.BigEndian.PutUint32(prefix[1:], uint32(msg.Size())) //nolint:gosec // G115: at most limit, far below 4 GiB
	return io.MultiReader(bytes.NewReader(prefix[:]), msg), nil
}

// exactly yields the next left bytes of r; r ending before is the
// caller's fault (connect-go would call it an internal protocol error).
type exactly struct {
	r    io.Reader
	left int64
}

func (x *exactly) Read(p []byte) (int, error) {
	if x.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > x.left {
		p = p[:x.left]
	}
	n, err := x.r.Read(p)
	x.left -= int64(n)
	if errors.Is(err, io.EOF) {
		if x.left > 0 {
			return n, cutShort()
		}
		err = nil
	}
	return n, err
}

func cutShort() error {
	return connect.NewError(connect.CodeInvalidArgument, errors.New("a request message ends before the length its envelope declares"))
}

// badMessageGzip says why a compressed message was refused.
func badMessageGzip(err error, limit int64) error {
	var ce *connect.Error
	if errors.As(err, &ce) {
		return ce // cut short
	}
	switch err := gzipError(err); {
	case errors.Is(err, errBodyTooLarge):
		return connect.NewError(connect.CodeResourceExhausted, errors.New(tooLargeMessage(limit)))
	case errors.As(err, new(errBadEncoding)):
		return connect.NewError(connect.CodeInvalidArgument, errors.New("a request message is not valid gzip"))
	default:
		return err
	}
}

func (e *inflatingEnvelopes) Close() error { return e.body.Close() }
