package apispec

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestJSON(t *testing.T) {
	b, err := JSON()
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(b) {
		t.Fatalf("JSON() is not valid JSON:\n%s", b)
	}
	var doc struct {
		OpenAPI string                     `json:"openapi"`
		Paths   map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi = %q, want 3.x", doc.OpenAPI)
	}
	if _, ok := doc.Paths["/api/v1/version"]; !ok {
		t.Errorf("paths lack /api/v1/version; have %v", keys(doc.Paths))
	}
	// The REST API owns /api/v1/ and nothing else in the one URL space.
	for p := range doc.Paths {
		if !strings.HasPrefix(p, "/api/v1/") {
			t.Errorf("path %q is outside /api/v1/", p)
		}
	}
}

func TestYAML(t *testing.T) {
	y := YAML()
	if !strings.Contains(string(y), "/api/v1/version:") {
		t.Errorf("YAML() lacks /api/v1/version:\n%s", y)
	}
	y[0] = 'X' // a copy: must not change what the next caller sees
	if YAML()[0] == 'X' {
		t.Error("YAML() returns the embedded document itself, not a copy")
	}
}

func TestJSONableNonStringKeys(t *testing.T) {
	v, err := jsonable(map[any]any{200: map[any]any{"description": "OK"}, true: []any{map[any]any{1.5: "x"}}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"200":{"description":"OK"},"true":[{"1.5":"x"}]}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if _, err := jsonable(map[any]any{1: "a", "1": "b"}); err == nil {
		t.Error("duplicate keys after conversion: want an error")
	}
}

func keys(m map[string]json.RawMessage) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}
