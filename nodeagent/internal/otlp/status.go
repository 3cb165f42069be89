package otlp

import (
	"net/http"
	"strconv"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
)

// refusal is why the receiver did not take an export, in a form both
// protocols can answer.
type refusal struct {
	httpStatus int
	code       connect.Code
	msg        string
	// retryAfter: the sender should retry after it (429, 503); zero: the
	// export can never be taken as it is.
	retryAfter time.Duration
}

func (f *refusal) Error() string { return f.msg }

// connectError is the refusal for OTLP/gRPC: RESOURCE_EXHAUSTED is retried
// by OTLP exporters only with RetryInfo, which a retryable one carries.
func (f *refusal) connectError() *connect.Error {
	ce := connect.NewError(f.code, &messageError{f.msg})
	if f.retryAfter > 0 {
		if d, err := connect.NewErrorDetail(&errdetails.RetryInfo{RetryDelay: durationpb.New(f.retryAfter)}); err == nil {
			ce.AddDetail(d)
		}
	}
	return ce
}

// messageError is a plain message (errors.New without a package-level
// sentinel per message).
type messageError struct{ msg string }

func (e *messageError) Error() string { return e.msg }

// writeRefusal answers an OTLP/HTTP request with a google.rpc.Status in
// the request's encoding, and Retry-After (whole seconds) when the
// sender should retry.
func writeRefusal(w http.ResponseWriter, asJSON bool, f *refusal) {
	if f.retryAfter > 0 {
		secs := int64((f.retryAfter + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	}
	writeMessage(w, asJSON, f.httpStatus, &status.Status{Code: int32(f.code), Message: f.msg}) //nolint:gosec // G115: gRPC codes are small.
}

// writeMessage writes m as OTLP/HTTP answers: protobuf, or JSON for a JSON
// request.
func writeMessage(w http.ResponseWriter, asJSON bool, code int, m proto.Message) {
	var (
		b   []byte
		err error
	)
	if asJSON {
		w.Header().Set("Content-Type", "application/json")
		b, err = protojson.Marshal(m)
	} else {
		w.Header().Set("Content-Type", "application/x-protobuf")
		b, err = proto.Marshal(m)
	}
	if err != nil {
		http.Error(w, "encoding the answer failed", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(code)
	_, _ = w.Write(b)
}
