package envelope

import (
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func mustKey(t *testing.T) RootKey {
	t.Helper()
	text, err := GenerateKeyText()
	if err != nil {
		t.Fatal(err)
	}
	k, err := ParseKey(text)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestTamperingFailsToOpen: flipping any byte of a sealed value, changing
// its associated data, or using another key fails with ErrOpen.
func TestTamperingFailsToOpen(t *testing.T) {
	dek, err := NewDEK()
	if err != nil {
		t.Fatal(err)
	}
	ad := []byte("hearth secret v1\x00id\x00project/p\x001")
	sealed, err := Seal(dek, []byte("hunter2-hunter2"), ad)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := Open(dek, sealed, ad); err != nil || string(got) != "hunter2-hunter2" {
		t.Fatalf("open: %q %v", got, err)
	}
	for i := range sealed {
		bad := bytes.Clone(sealed)
		bad[i] ^= 0x01
		if _, err := Open(dek, bad, ad); !errors.Is(err, ErrOpen) {
			t.Fatalf("byte %d flipped: %v", i, err)
		}
	}
	if _, err := Open(dek, sealed, []byte("hearth secret v1\x00id\x00project/p\x002")); !errors.Is(err, ErrOpen) {
		t.Fatalf("another version's associated data: %v", err)
	}
	other, _ := NewDEK()
	if _, err := Open(other, sealed, ad); !errors.Is(err, ErrOpen) {
		t.Fatalf("another key: %v", err)
	}
	if _, err := Open(dek, sealed[:10], ad); !errors.Is(err, ErrOpen) {
		t.Fatalf("truncated: %v", err)
	}
}

// TestWrappedKeyTampering: a wrapped DEK opens only with its root key and
// its associated data, intact.
func TestWrappedKeyTampering(t *testing.T) {
	root, other := mustKey(t), mustKey(t)
	dek, _ := NewDEK()
	ad := []byte("hearth dek v1\x00k\x00instance")
	wrapped, err := root.Wrap(dek, ad)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := root.Unwrap(wrapped, ad); err != nil || !bytes.Equal(got, dek) {
		t.Fatalf("unwrap: %v", err)
	}
	bad := bytes.Clone(wrapped)
	bad[len(bad)-1] ^= 0x80
	if _, err := root.Unwrap(bad, ad); !errors.Is(err, ErrOpen) {
		t.Fatalf("tampered: %v", err)
	}
	if _, err := root.Unwrap(wrapped, []byte("hearth dek v1\x00k\x00project/x")); !errors.Is(err, ErrOpen) {
		t.Fatalf("moved to another scope: %v", err)
	}
	if _, err := other.Unwrap(wrapped, ad); !errors.Is(err, ErrOpen) {
		t.Fatalf("wrong root key: %v", err)
	}
	if root.ID() == other.ID() || !strings.HasPrefix(root.ID(), "local:") {
		t.Fatalf("ids %q %q", root.ID(), other.ID())
	}
}

// TestParseKey: base64 and hex of 32 bytes are keys; anything else is a
// clear error that never repeats the text.
func TestParseKey(t *testing.T) {
	raw := bytes.Repeat([]byte{7}, KeySize)
	a, err := ParseKey(hex.EncodeToString(raw))
	if err != nil {
		t.Fatal(err)
	}
	text, _ := GenerateKeyText()
	if _, err := ParseKey("  " + text + "\n"); err != nil {
		t.Fatal(err)
	}
	b, _ := NewLocalKey(raw)
	if a.ID() != b.ID() {
		t.Fatal("the same key has two ids")
	}
	for _, bad := range []string{"", "c2hvcnQ=", "not a key at all!!", strings.Repeat("z", 64)} {
		_, err := ParseKey(bad)
		if err == nil {
			t.Fatalf("%q parsed", bad)
		}
		if bad != "" && strings.Contains(err.Error(), bad) {
			t.Fatalf("the error repeats the key: %v", err)
		}
	}
}

// TestEnsureKeyFile: created once, mode 0600, kept on the next call.
func TestEnsureKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "key")
	created, err := EnsureKeyFile(path)
	if err != nil || !created {
		t.Fatalf("first: %v %v", created, err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v %v", st.Mode(), err)
	}
	k1, err := ReadKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if created, err := EnsureKeyFile(path); err != nil || created {
		t.Fatalf("second: %v %v", created, err)
	}
	k2, _ := ReadKeyFile(path)
	if k1.ID() != k2.ID() {
		t.Fatal("the key changed")
	}
	if _, err := ReadKeyFile(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Fatal("a missing file read")
	}
}
