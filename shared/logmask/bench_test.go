package logmask

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchSecrets returns n secrets of the shapes CI jobs carry: tokens with
// a prefix, access keys, random base64, passwords with punctuation, and a
// few multi-line keys.
func benchSecrets(r *rand.Rand, n int) [][]byte {
	const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	rnd := func(alphabet string, n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		return string(b)
	}
	var out [][]byte
	for i := range n {
		var v string
		switch i % 5 {
		case 0:
			v = "ghp_" + rnd(alnum, 36)
		case 1:
			v = "AKIA" + rnd("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
		case 2:
			raw := make([]byte, 30)
			for k := range raw {
				raw[k] = byte(r.IntN(256))
			}
			v = base64.StdEncoding.EncodeToString(raw)
		case 3:
			v = rnd(alnum+"!@#$%^&*()-_=+ ", 12+r.IntN(20))
		case 4:
			v = "-----BEGIN KEY-----\n" + rnd(alnum+"+/", 64) + "\n" + rnd(alnum+"+/", 40) + "\n-----END KEY-----\n"
		}
		out = append(out, []byte(v))
	}
	return out
}

// benchLog returns about size bytes of build and test output, with a
// secret (or its base64) in about one line in a thousand.
func benchLog(r *rand.Rand, size int, secrets [][]byte) []byte {
	words := []string{"github.com/hearth-dev/hearth", "internal/session", "compiling", "ok", "PASS", "FAIL",
		"npm", "WARN", "deprecated", "downloading", "v1.2.3", "the", "step", "error:", "main.go:42:17:", "undefined",
		"docker", "layer", "sha256:", "Successfully", "built", "running", "tests", "in", "0.123s", "cache", "hit"}
	var b bytes.Buffer
	for line := 0; b.Len() < size; line++ {
		fmt.Fprintf(&b, "2026-12-07T10:%02d:%02d.%03dZ ", line/60%60, line%60, line%1000)
		for range 4 + r.IntN(10) {
			b.WriteString(words[r.IntN(len(words))])
			b.WriteByte(' ')
		}
		if r.IntN(4) == 0 {
			fmt.Fprintf(&b, "%016x%016x", r.Uint64(), r.Uint64())
		}
		if r.IntN(1000) == 0 {
			s := secrets[r.IntN(len(secrets))]
			if r.IntN(2) == 0 {
				b.Write(s)
			} else {
				b.WriteString(base64.StdEncoding.EncodeToString(s))
			}
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// BenchmarkStream masks 4 MiB of log against 100 secrets, 32 KiB per Write.
func BenchmarkStream(b *testing.B) {
	for _, n := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("secrets=%d", n), func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 1))
			secrets := benchSecrets(r, n)
			text := benchLog(r, 4<<20, secrets)
			m := New(secrets)
			b.ReportMetric(float64(m.Patterns()), "patterns")
			b.SetBytes(int64(len(text)))
			b.ResetTimer()
			for b.Loop() {
				s := m.Stream()
				for off := 0; off < len(text); off += 32 << 10 {
					s.Write(text[off:min(off+32<<10, len(text))])
				}
				s.Flush()
			}
		})
	}
}

// BenchmarkNew builds the Masker of 100 secrets (once per job).
func BenchmarkNew(b *testing.B) {
	secrets := benchSecrets(rand.New(rand.NewPCG(1, 1)), 100)
	for b.Loop() {
		New(secrets)
	}
}

// BenchmarkOverwrite is the control plane's second pass, 32 KiB at a time.
func BenchmarkOverwrite(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	secrets := benchSecrets(r, 100)
	text := benchLog(r, 4<<20, secrets)
	m := New(secrets)
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	for b.Loop() {
		for off := 0; off < len(text); off += 32 << 10 {
			m.Overwrite(text[max(0, off-1024):off], text[off:min(off+32<<10, len(text))])
		}
	}
}
