package apicodec

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"connectrpc.com/connect"
	"connectrpc.com/vanguard"
	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/download"
)

// Request bodies are decoded by connect-go (Connect, gRPC, gRPC-Web) and by
// vanguard (REST) before any interceptor runs, so their decode errors are
// made readable here, in the codecs: invalid_argument, the caller's fault,
// answered through the one classifier (apperr.Classify).

// invalidArgument is the Connect error of a body the caller got wrong.
func invalidArgument(format string, args ...any) *connect.Error {
	c := apperr.Classify(apperr.Invalid(format, args...))
	return connect.NewError(c.Code, errors.New(c.Message))
}

// protoErrPrefix is protobuf's prefix on its errors ("proto:" and a space
// or a no-break space, chosen at random so nobody matches on it).
var protoErrPrefix = regexp.MustCompile(`proto:[\s\x{00a0}]*`)

// decodeError is the caller's fault: invalid_argument saying which format
// the body failed to be, in protobuf's words minus its internals.
func decodeError(format string, err error) error {
	detail := strings.TrimSpace(protoErrPrefix.ReplaceAllString(err.Error(), ""))
	return invalidArgument("the request body is not valid %s: %s", format, detail)
}

// connectJSON is connect-go's JSON codec (unknown fields ignored) with
// readable decode errors; it is registered under both names connect-go
// gives JSON.
type connectJSON struct{ name string }

func (c connectJSON) Name() string { return c.name }

func (connectJSON) IsBinary() bool { return false }

func (connectJSON) Marshal(msg any) ([]byte, error) {
	m, ok := msg.(proto.Message)
	if !ok {
		return nil, errors.New("not a protobuf message")
	}
	return protojson.Marshal(m)
}

func (connectJSON) Unmarshal(data []byte, msg any) error {
	m, ok := msg.(proto.Message)
	if !ok {
		return errors.New("not a protobuf message")
	}
	if len(data) == 0 {
		return errors.New("the request body is empty: send a JSON object")
	}
	// connect-go makes any codec error invalid_argument, prefixing its
	// text: a plain error carries just the readable message.
	if err := unmarshalJSON(protojson.UnmarshalOptions{}, data, m); err != nil {
		return errors.New(messageOf(decodeError("JSON", err)))
	}
	return nil
}

// unmarshalJSON decodes JSON ignoring unknown fields (a newer client's)
// but not unknown enum names, which protojson's DiscardUnknown would drop
// silently: "VISIBILITY_PUBLC" must not quietly become the default. The
// lenient second pass runs only for a body naming an unknown field (which
// then also tolerates an unknown enum name beside it).
func unmarshalJSON(opts protojson.UnmarshalOptions, data []byte, m proto.Message) error {
	opts.DiscardUnknown = false
	err := opts.Unmarshal(data, m)
	if err != nil && strings.Contains(err.Error(), "unknown field") {
		opts.DiscardUnknown = true
		err = opts.Unmarshal(data, m)
	}
	return err
}

// connectProto is connect-go's binary codec with readable decode errors.
type connectProto struct{}

func (connectProto) Name() string { return "proto" }

func (connectProto) IsBinary() bool { return true }

func (connectProto) Marshal(msg any) ([]byte, error) {
	m, ok := msg.(proto.Message)
	if !ok {
		return nil, errors.New("not a protobuf message")
	}
	return proto.Marshal(m)
}

func (connectProto) Unmarshal(data []byte, msg any) error {
	m, ok := msg.(proto.Message)
	if !ok {
		return errors.New("not a protobuf message")
	}
	if err := proto.Unmarshal(data, m); err != nil {
		return errors.New(messageOf(decodeError("protobuf", err)))
	}
	return nil
}

func messageOf(err error) string {
	var ce *connect.Error
	if errors.As(err, &ce) {
		return ce.Message()
	}
	return err.Error()
}

// Codecs are the handler options installing the codecs above.
func Codecs() []connect.HandlerOption {
	return []connect.HandlerOption{
		connect.WithCodec(connectJSON{name: "json"}),
		connect.WithCodec(connectJSON{name: "json; charset=utf-8"}),
		connect.WithCodec(connectProto{}),
	}
}

// restJSON is vanguard's REST JSON codec with two changes: a body that is
// not valid JSON is invalid_argument (vanguard reports a plain codec error
// as a 502 with protobuf's text), and an error is written the way every
// other HTTP answer of the API is, {"code": "not_found", "message": …},
// instead of google.rpc.Status's numeric code.
type restJSON struct{ *vanguard.JSONCodec }

// NewRESTJSON is the REST transcoder's JSON codec (vanguard.WithCodec).
func NewRESTJSON(res vanguard.TypeResolver) vanguard.Codec {
	return restJSON{vanguard.NewJSONCodec(res)}
}

func (c restJSON) Unmarshal(data []byte, msg proto.Message) error {
	if err := unmarshalJSON(c.UnmarshalOptions, data, msg); err != nil {
		return decodeError("JSON", err)
	}
	return nil
}

func (c restJSON) UnmarshalField(data []byte, msg proto.Message, field protoreflect.FieldDescriptor) error {
	if err := c.JSONCodec.UnmarshalField(data, msg, field); err != nil {
		return decodeError("JSON", err)
	}
	return nil
}

func (c restJSON) MarshalAppend(base []byte, msg proto.Message) ([]byte, error) {
	if st, ok := msg.(*status.Status); ok {
		return appendErrorJSON(base, st)
	}
	return c.JSONCodec.MarshalAppend(base, msg)
}

// errorBody is the JSON error form of the Connect protocol, which REST
// answers share.
type errorBody struct {
	Code    string        `json:"code"`
	Message string        `json:"message,omitempty"`
	Details []errorDetail `json:"details,omitempty"`
}

type errorDetail struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

func appendErrorJSON(base []byte, st *status.Status) ([]byte, error) {
	body := errorBody{Code: connect.Code(st.GetCode()).String(), Message: st.GetMessage()} //nolint:gosec // G115: gRPC codes are 0-16
	for _, d := range st.GetDetails() {
		body.Details = append(body.Details, errorDetail{
			Type:  strings.TrimPrefix(d.GetTypeUrl(), "type.googleapis.com/"),
			Value: base64.RawStdEncoding.EncodeToString(d.GetValue()),
		})
	}
	b, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	return append(base, b...), nil
}

// vanguardRequestFaults are the words of vanguard's plain errors about a
// request it cannot map onto its RPC's message (a query parameter naming
// no field, a body on a GET, a bad timeout). Vanguard answers those 500 or
// 502 as if the server had failed; they are the caller's.
var vanguardRequestFaults = regexp.MustCompile(`in field path|^empty field path|^request should have no body|^invalid timeout`)

// vanguardUnknownParam is vanguard's error for a query parameter naming no
// field of the request message.
var vanguardUnknownParam = regexp.MustCompile(`^unknown field in field path "([^"]*)"`)

// requestFault says whether a 5xx message of the transcoder's own is the
// request's fault, and what to tell the caller.
func requestFault(msg string) (string, bool) {
	if m := vanguardUnknownParam.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("unknown query parameter %q", m[1]), true
	}
	if vanguardRequestFaults.MatchString(msg) {
		return "the request does not fit its route: " + protoErrPrefix.ReplaceAllString(msg, ""), true
	}
	return "", false
}

// WithRESTRequestFaults holds back the transcoder's 5xx answers, and turns
// those that are vanguard's complaints about the request (requestFault)
// into 400 invalid_argument, through the one classifier (download.Error).
// Every other answer, and every 5xx from a handler, passes as it is.
func WithRESTRequestFaults(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hw := &faultWriter{ResponseWriter: w}
		next.ServeHTTP(hw, r)
		if !hw.held {
			return
		}
		var body errorBody
		if json.Unmarshal(hw.body.Bytes(), &body) == nil {
			if msg, ok := requestFault(body.Message); ok {
				download.Error(w, r, apperr.Invalid("%s", msg), "")
				return
			}
		}
		w.WriteHeader(hw.status)
		_, _ = w.Write(hw.body.Bytes())
	})
}

// faultWriter holds a 5xx answer (small: an error body) for
// WithRESTRequestFaults; anything else goes straight through.
type faultWriter struct {
	http.ResponseWriter
	held   bool
	status int
	body   bytes.Buffer
}

func (f *faultWriter) WriteHeader(code int) {
	if code >= http.StatusInternalServerError && !f.held {
		f.held, f.status = true, code
		return
	}
	f.ResponseWriter.WriteHeader(code)
}

func (f *faultWriter) Write(p []byte) (int, error) {
	if f.held {
		if f.body.Len()+len(p) > 64<<10 {
			return 0, errors.New("error body too long")
		}
		return f.body.Write(p)
	}
	return f.ResponseWriter.Write(p)
}

// Flush: vanguard needs a Flusher; a held answer is flushed at the end.
func (f *faultWriter) Flush() {
	if !f.held {
		_ = http.NewResponseController(f.ResponseWriter).Flush()
	}
}

func (f *faultWriter) Unwrap() http.ResponseWriter { return f.ResponseWriter }
