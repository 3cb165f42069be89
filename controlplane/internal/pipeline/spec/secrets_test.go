package spec

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// TestSecretsSectionParses: a name asks for the variable of that name; a
// mapping renames the variable or asks for a file.
func TestSecretsSectionParses(t *testing.T) {
	p, err := Parse([]byte(`jobs:
  deploy:
    steps: [./deploy.sh]
    env: {REGION: eu}
    secrets:
      - DB_PASSWORD
      - {name: API_TOKEN, env: TOKEN}
      - name: TLS_KEY
        file: tls.key
`))
	if err != nil {
		t.Fatal(err)
	}
	want := []SecretRef{{Name: "DB_PASSWORD", Env: "DB_PASSWORD"}, {Name: "API_TOKEN", Env: "TOKEN"}, {Name: "TLS_KEY", File: "tls.key"}}
	if got := p.Jobs[0].Secrets; !reflect.DeepEqual(got, want) {
		t.Fatalf("secrets %+v", got)
	}
}

// TestSecretsSectionRefusals: every bad entry is reported at its place.
func TestSecretsSectionRefusals(t *testing.T) {
	in := `jobs:
  a:
    steps: [x]
    env: {TOKEN: plain}
    secrets:
      - 1BAD
      - {name: OK_ONE, env: TOKEN}
      - {name: OK_TWO, env: HEARTH_X}
      - {name: OK_THREE, file: ../etc/passwd}
      - {name: OK_FOUR, env: A, file: b}
      - {env: NO_NAME}
      - {name: OK_FIVE, path: x}
      - {name: DUP_A, file: same}
      - {name: DUP_B, file: same}
      - {name: RO, env: UID}
  b:
    steps: [x]
    secrets: {DB: x}
`
	_, err := Parse([]byte(in))
	var list *ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("err %v", err)
	}
	want := []string{
		`line 6, column 9: job "a" secrets: secret name "1BAD"`,
		`line 7, column 9: job "a" secrets: env TOKEN is also set in "env"`,
		`line 8, column 9: job "a" secrets: env name "HEARTH_X": names starting with HEARTH_ or __hearth_ are reserved`,
		`line 9, column 9: job "a" secrets: file name "../etc/passwd"`,
		`line 10, column 9: job "a" secrets: secret "OK_FOUR": give "env" or "file", not both`,
		`line 11, column 9: job "a" secrets: a secret needs a "name"`,
		`job "a" secrets: unknown key "path"`,
		`line 14, column 9: job "a" secrets: file same receives two secrets`,
		`line 15, column 9: job "a" secrets: env name "UID" is read-only in bash`,
		`line 18, column 14: job "b": "secrets" must be a list`,
	}
	got := err.Error()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("missing %q in:\n%s", w, got)
		}
	}
}
