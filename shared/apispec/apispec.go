// Package apispec embeds the OpenAPI document generated from proto/.
//
// openapi.yaml is written by protoc-gen-openapi (see buf.gen.yaml) and
// describes the REST form of the public API (hearth.v1, served under
// /api/v1/ by transcoding the Connect handlers). Regenerate it with
// `make generate`; never edit it by hand.
package apispec

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"

	"go.yaml.in/yaml/v3"
)

//go:embed openapi.yaml
var spec string

// YAML returns the OpenAPI document as generated (a fresh copy).
func YAML() []byte {
	return []byte(spec)
}

// JSON returns the OpenAPI document converted to JSON, as served at
// /api/openapi.json. It parses the document on every call: call it once at
// start-up and keep the result.
func JSON() ([]byte, error) {
	var doc any
	if err := yaml.Unmarshal([]byte(spec), &doc); err != nil {
		return nil, fmt.Errorf("apispec: parse openapi.yaml: %w", err)
	}
	doc, err := jsonable(doc)
	if err != nil {
		return nil, fmt.Errorf("apispec: convert openapi.yaml: %w", err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep "<Service>" in descriptions readable
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("apispec: encode JSON: %w", err)
	}
	return buf.Bytes(), nil
}

// jsonable makes a decoded YAML value encodable as JSON: yaml decodes a
// mapping with any non-string key (e.g. an unquoted 200:) as
// map[any]any, which encoding/json rejects, so keys become strings.
func jsonable(v any) (any, error) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			c, err := jsonable(e)
			if err != nil {
				return nil, err
			}
			v[k] = c
		}
		return v, nil
	case map[any]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			switch k.(type) {
			case string, int, int64, uint64, float64, bool:
			default:
				return nil, fmt.Errorf("unsupported mapping key %v (%T)", k, k)
			}
			ks := fmt.Sprint(k)
			if _, dup := m[ks]; dup {
				return nil, fmt.Errorf("mapping key %q appears twice", ks)
			}
			c, err := jsonable(e)
			if err != nil {
				return nil, err
			}
			m[ks] = c
		}
		return m, nil
	case []any:
		for i, e := range v {
			c, err := jsonable(e)
			if err != nil {
				return nil, err
			}
			v[i] = c
		}
		return v, nil
	default:
		return v, nil
	}
}
