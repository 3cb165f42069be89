package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// PasswordParams are argon2id's cost parameters.
type PasswordParams struct {
	MemoryKiB   uint32
	Iterations  uint32
	Parallelism uint8
}

// DefaultPasswordParams follow OWASP's argon2id recommendation
// (m=19 MiB, t=2, p=1).
var DefaultPasswordParams = PasswordParams{MemoryKiB: 19 * 1024, Iterations: 2, Parallelism: 1}

const (
	saltLen = 16
	keyLen  = 32
)

var errBadHash = errors.New("malformed password hash")

// HashPassword returns a PHC-format argon2id hash:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>.
func HashPassword(password string, p PasswordParams) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, p.Iterations, p.MemoryKiB, p.Parallelism, keyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.MemoryKiB, p.Iterations, p.Parallelism, enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// VerifyPassword reports whether password matches hash, in constant time
// with respect to the key comparison.
func VerifyPassword(password, hash string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errBadHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errBadHash
	}
	var p PasswordParams
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Iterations, &p.Parallelism); err != nil {
		return false, errBadHash
	}
	// argon2 panics on zero parameters; absurd ones would be a denial of
	// service. 4 GiB and 100 passes bound any sane configuration.
	if p.Iterations == 0 || p.Iterations > 100 || p.Parallelism == 0 ||
		p.MemoryKiB < 8*uint32(p.Parallelism) || p.MemoryKiB > 4<<20 {
		return false, errBadHash
	}
	enc := base64.RawStdEncoding
	salt, err := enc.DecodeString(parts[4])
	if err != nil {
		return false, errBadHash
	}
	want, err := enc.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false, errBadHash
	}
	got := argon2.IDKey([]byte(password), salt, p.Iterations, p.MemoryKiB, p.Parallelism, uint32(len(want))) //nolint:gosec // G115: len(want) is a decoded hash length, far below 2^32.
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// randomPassword returns a password of 32 URL-safe characters (192 bits).
func randomPassword() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// Hasher hashes and verifies passwords. The default is argon2id with the
// service's PasswordParams; tests inject one that counts its calls.
type Hasher interface {
	Hash(password string) (string, error)
	Verify(password, hash string) (bool, error)
}

// Argon2Hasher is the default Hasher.
type Argon2Hasher struct{ Params PasswordParams }

// Hash returns a PHC-format argon2id hash of password.
func (h Argon2Hasher) Hash(password string) (string, error) { return HashPassword(password, h.Params) }

// Verify checks password against a PHC-format argon2id hash.
func (h Argon2Hasher) Verify(password, hash string) (bool, error) {
	return VerifyPassword(password, hash)
}
