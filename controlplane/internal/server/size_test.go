package server_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// maxFileLines bounds every non-test file of this package: server only
// wires features, and a file growing past it is a feature's logic moving
// in (issue 13).
const maxFileLines = 250

func TestServerFilesStaySmall(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		if n := bytes.Count(b, []byte{'\n'}); n > maxFileLines {
			t.Errorf("%s has %d lines, over %d: move what it decides into the feature that owns it", f, n, maxFileLines)
		}
	}
	if checked < 10 {
		t.Fatalf("checked only %d files; the check would prove nothing", checked)
	}
}
