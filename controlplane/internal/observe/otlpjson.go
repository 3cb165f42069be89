package observe

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// idFields are the OTLP/JSON fields that carry ids as hex, where protojson
// expects base64 for bytes (the OTLP specification departs from the
// standard JSON mapping there).
var idFields = map[string]bool{"traceId": true, "spanId": true, "parentSpanId": true, "trace_id": true, "span_id": true, "parent_span_id": true}

// unmarshalOTLPJSON decodes an OTLP/JSON request: ids from hex, the rest
// as protojson reads it (enums by name or number, 64-bit integers as
// strings or numbers, unknown fields ignored as OTLP asks).
func unmarshalOTLPJSON(body []byte, m proto.Message) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the JSON object")
	}
	if err := hexIDsToBase64(doc); err != nil {
		return err
	}
	fixed, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	return protojson.UnmarshalOptions{DiscardUnknown: true}.Unmarshal(fixed, m)
}

// hexIDsToBase64 rewrites every id field of doc in place.
func hexIDsToBase64(doc any) error {
	switch v := doc.(type) {
	case map[string]any:
		for k, val := range v {
			if s, ok := val.(string); ok && idFields[k] {
				raw, err := hex.DecodeString(s)
				if err != nil {
					return errors.New(k + " is not hex")
				}
				v[k] = base64.StdEncoding.EncodeToString(raw)
				continue
			}
			if err := hexIDsToBase64(val); err != nil {
				return err
			}
		}
	case []any:
		for _, val := range v {
			if err := hexIDsToBase64(val); err != nil {
				return err
			}
		}
	}
	return nil
}
