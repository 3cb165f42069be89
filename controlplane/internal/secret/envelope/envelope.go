// Package envelope is the secrets feature's cryptography: AES-256-GCM
// data keys (DEKs) that seal values, and root keys that wrap the DEKs.
// A root key never reaches the database; only its fingerprint (ID) does,
// next to each DEK it wraps, so a wrong or missing root key is detected
// at start. Every sealed blob is bound to associated data naming the row
// it belongs to, so a ciphertext copied onto another row does not open.
package envelope

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// KeySize is the size of root keys and DEKs (AES-256).
const KeySize = 32

// ErrOpen is every failure to open a sealed blob: a wrong key, tampered
// bytes or associated data that is not the row's. It says nothing more,
// on purpose.
var ErrOpen = errors.New("envelope: the ciphertext does not open with this key and associated data")

// RootKey wraps and unwraps DEKs. The local implementation holds the key
// in memory; a KMS can implement the same interface later.
type RootKey interface {
	// ID is a stable fingerprint of the key, safe to store and log.
	ID() string
	Wrap(dek, ad []byte) ([]byte, error)
	Unwrap(wrapped, ad []byte) ([]byte, error)
}

// NewDEK returns a fresh random data key.
func NewDEK() ([]byte, error) {
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		return nil, err
	}
	return k, nil
}

// Seal encrypts plaintext under key (KeySize bytes) bound to ad: a random
// 96-bit nonce followed by the GCM ciphertext and tag.
func Seal(key, plaintext, ad []byte) ([]byte, error) {
	aead, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return aead.Seal(nonce, nonce, plaintext, ad), nil
}

// Open decrypts what Seal returned; any mismatch is ErrOpen.
func Open(key, sealed, ad []byte) ([]byte, error) {
	aead, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	if len(sealed) < aead.NonceSize()+aead.Overhead() {
		return nil, ErrOpen
	}
	n := aead.NonceSize()
	out, err := aead.Open(nil, sealed[:n], sealed[n:], ad)
	if err != nil {
		return nil, ErrOpen
	}
	return out, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("envelope: a key is %d bytes, not %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// localKey is a root key held in memory.
type localKey struct {
	key []byte
	id  string
}

// NewLocalKey returns a root key from its 32 bytes.
func NewLocalKey(key []byte) (RootKey, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("a root key is %d bytes, not %d", KeySize, len(key))
	}
	sum := sha256.Sum256(append([]byte("hearth root key id v1\x00"), key...))
	return &localKey{key: append([]byte(nil), key...), id: "local:" + hex.EncodeToString(sum[:8])}, nil
}

func (k *localKey) ID() string { return k.id }

func (k *localKey) Wrap(dek, ad []byte) ([]byte, error) { return Seal(k.key, dek, ad) }

func (k *localKey) Unwrap(wrapped, ad []byte) ([]byte, error) {
	dek, err := Open(k.key, wrapped, ad)
	if err == nil && len(dek) != KeySize {
		return nil, ErrOpen
	}
	return dek, err
}

// ParseKey reads a root key as written in a key file or an environment
// variable: 32 bytes as base64 (standard or URL alphabet, padded or not)
// or as 64 hex digits, surrounding whitespace ignored. It never echoes
// the text in its errors.
func ParseKey(text string) (RootKey, error) {
	s := strings.TrimSpace(text)
	if s == "" {
		return nil, errors.New("the root key is empty")
	}
	if len(s) == 2*KeySize {
		if b, err := hex.DecodeString(s); err == nil {
			return NewLocalKey(b)
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) != KeySize {
				return nil, fmt.Errorf("the root key decodes to %d bytes; it must be %d (generate one with: head -c 32 /dev/urandom | base64)", len(b), KeySize)
			}
			return NewLocalKey(b)
		}
	}
	return nil, fmt.Errorf("the root key is neither base64 nor hex of %d bytes (generate one with: head -c 32 /dev/urandom | base64)", KeySize)
}

// GenerateKeyText returns a new random root key as ParseKey reads it.
func GenerateKeyText() (string, error) {
	k, err := NewDEK()
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(k) + "\n", nil
}

// MaxKeyFileBytes bounds a key file read.
const MaxKeyFileBytes = 4096

// ReadKeyFile reads a root key file (see ParseKey). Errors name the file,
// never its contents.
func ReadKeyFile(path string) (RootKey, error) {
	f, err := os.Open(path) //nolint:gosec // G304: the operator's configured key file
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	b, err := io.ReadAll(io.LimitReader(f, MaxKeyFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(b) > MaxKeyFileBytes {
		return nil, fmt.Errorf("%s: more than %d bytes: not a root key file", path, MaxKeyFileBytes)
	}
	k, err := ParseKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// EnsureKeyFile creates path holding a new random root key, mode 0600,
// unless it exists (hearth dev's key). It reports whether it created it.
func EnsureKeyFile(path string) (bool, error) {
	text, err := GenerateKeyText()
	if err != nil {
		return false, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600) //nolint:gosec // G304: the data directory's own file
	if errors.Is(err, os.ErrExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if _, err := f.WriteString(text); err != nil {
		_ = f.Close()
		_ = os.Remove(path)
		return false, err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return false, err
	}
	return true, f.Close()
}
