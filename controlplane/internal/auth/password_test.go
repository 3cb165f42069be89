package auth

import (
	"fmt"
	"strings"
	"testing"
)

var fastParams = PasswordParams{MemoryKiB: 64, Iterations: 1, Parallelism: 1}

func TestPasswordRoundTrip(t *testing.T) {
	hash, err := HashPassword("correct horse", fastParams)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("unexpected hash format %q", hash)
	}
	if ok, err := VerifyPassword("correct horse", hash); err != nil || !ok {
		t.Fatalf("right password rejected: %v %v", ok, err)
	}
	if ok, err := VerifyPassword("correct horsf", hash); err != nil || ok {
		t.Fatalf("wrong password accepted: %v %v", ok, err)
	}
	other, _ := HashPassword("correct horse", fastParams)
	if other == hash {
		t.Fatal("two hashes of one password share a salt")
	}
}

func TestDefaultParamsAreOWASP(t *testing.T) {
	hash, err := HashPassword("x", DefaultPasswordParams)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(hash, "$m=19456,t=2,p=1$") {
		t.Fatalf("default parameters drifted: %s", hash)
	}
}

func TestVerifyRejectsMalformedHashes(t *testing.T) {
	for _, h := range []string{"", "plain", "$argon2i$v=19$m=64,t=1,p=1$AAAA$AAAA", "$argon2id$v=18$m=64,t=1,p=1$AAAA$AAAA", "$argon2id$v=19$m=64,t=1,p=1$!!$AAAA", "$argon2id$v=19$m=64,t=1,p=1$AAAA$"} {
		if ok, err := VerifyPassword("x", h); err == nil || ok {
			t.Errorf("hash %q: want an error, got ok=%v err=%v", h, ok, err)
		}
	}
}

func FuzzVerifyPassword(f *testing.F) {
	h, _ := HashPassword("pw", fastParams)
	f.Add("pw", h)
	f.Add("pw", "$argon2id$v=19$m=1,t=1,p=1$AAAA$AAAA")
	f.Fuzz(func(t *testing.T, password, hash string) {
		// The parser must never panic; expensive (valid) parameters are
		// skipped only to keep each fuzz iteration fast.
		parts := strings.Split(hash, "$")
		if len(parts) == 6 {
			var m, tt, p int
			if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &tt, &p); err == nil && (m > 1024 || tt > 4) {
				return
			}
		}
		_, _ = VerifyPassword(password, hash)
	})
}
