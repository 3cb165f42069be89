package otlp

import (
	"errors"
	"mime"
	"net/http"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"

	"github.com/hearth-dev/hearth/shared/otlpjson"
)

// contentType tells OTLP/HTTP's two encodings apart; anything else is
// 415.
func contentType(r *http.Request) (bool, *refusal) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/x-protobuf":
		return false, nil
	case "application/json":
		return true, nil
	}
	return false, &refusal{httpStatus: http.StatusUnsupportedMediaType, code: connect.CodeInvalidArgument,
		msg: "Content-Type must be application/x-protobuf or application/json"}
}

// serveHTTP is OTLP/HTTP after tenancy: read the body (bounded), decode
// it, queue it as protobuf and answer in the request's encoding.
func (rc *Receiver) serveHTTP(w http.ResponseWriter, r *http.Request, signal Signal, asJSON bool, token string) {
	body, err := readBody(w, r, rc.limit)
	if err != nil {
		writeRefusal(w, asJSON, rc.bodyRefusal(err))
		return
	}
	msg, err := newRequest(signal)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	payload := body
	if asJSON {
		err = otlpjson.Unmarshal(body, msg)
		if err == nil {
			payload, err = proto.Marshal(msg)
		}
	} else {
		// Checked, then forwarded as received: no re-encoding.
		err = proto.Unmarshal(body, msg)
	}
	if err != nil {
		rc.c.badRequests.Add(1)
		writeRefusal(w, asJSON, &refusal{httpStatus: http.StatusBadRequest, code: connect.CodeInvalidArgument,
			msg: "the request is not a valid OTLP " + signalName(signal) + " export: " + err.Error()})
		return
	}
	if f := rc.accept(signal, token, payload, countItems(msg)); f != nil {
		writeRefusal(w, asJSON, f)
		return
	}
	writeMessage(w, asJSON, http.StatusOK, newResponse())
}

// bodyRefusal answers a readBody error: 413 past the limit, 415 for an
// encoding the receiver does not speak, 400 otherwise.
func (rc *Receiver) bodyRefusal(err error) *refusal {
	switch {
	case errors.Is(err, errTooLarge):
		rc.c.tooLarge.Add(1)
		return &refusal{httpStatus: http.StatusRequestEntityTooLarge, code: connect.CodeResourceExhausted, msg: tooLargeMessage(rc.limit)}
	case errors.Is(err, errBadEncoding):
		rc.c.unsupported.Add(1)
		return &refusal{httpStatus: http.StatusUnsupportedMediaType, code: connect.CodeInvalidArgument, msg: err.Error()}
	}
	rc.c.badRequests.Add(1)
	return &refusal{httpStatus: http.StatusBadRequest, code: connect.CodeInvalidArgument, msg: err.Error()}
}
