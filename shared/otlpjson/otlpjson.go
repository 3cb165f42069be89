package otlpjson

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// idFields are the OTLP/JSON fields that carry ids as hex. OTLP/JSON keys
// are lowerCamelCase; the proto names are accepted too because protojson
// accepts them for every other field.
var idFields = map[string]bool{
	"traceId": true, "spanId": true, "parentSpanId": true,
	"trace_id": true, "span_id": true, "parent_span_id": true,
}

// Unmarshal decodes an OTLP/JSON request into m: ids from hex, the rest as
// protojson reads it (enums by name or number, 64-bit integers as strings
// or numbers, unknown fields ignored, as OTLP asks of receivers). body
// must hold exactly one JSON value; the caller bounds its size.
func Unmarshal(body []byte, m proto.Message) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	// Numbers stay as written: a 64-bit timestamp must not pass through a
	// float64.
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("trailing data after the JSON value")
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

// hexIDsToBase64 rewrites, in place, every id field of the decoded
// document. Ids are fields of objects only; attribute values are never
// rewritten because OTLP attributes are {key, value} pairs, so a user's
// attribute named "traceId" is a value of "key", not an object key.
func hexIDsToBase64(doc any) error {
	switch v := doc.(type) {
	case map[string]any:
		for k, val := range v {
			if s, ok := val.(string); ok && idFields[k] {
				raw, err := hex.DecodeString(s)
				if err != nil {
					return fmt.Errorf("%s is not a hex string", k)
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
