package cluster

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

const (
	// JoinTokenPrefix starts every join token.
	JoinTokenPrefix = "hjt_"
	// CredentialPrefix starts every agent credential.
	CredentialPrefix = "hac_"

	secretBytes = 32
	// secretLen is the length of a secret's base64url (no padding) text.
	secretLen = 43
	// displayPrefixLen characters after the prefix are kept to recognise a token.
	displayPrefixLen = 8
)

// newSecret returns prefix followed by 32 random bytes in base64url.
func newSecret(prefix string) (string, error) {
	b := make([]byte, secretBytes)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b), nil
}

func hashSecret(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// wellFormed reports whether s is prefix followed by the canonical
// base64url text of 32 bytes.
func wellFormed(s, prefix string) bool {
	if len(s) != len(prefix)+secretLen || !strings.HasPrefix(s, prefix) {
		return false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(s[len(prefix):])
	return err == nil && len(b) == secretBytes
}
