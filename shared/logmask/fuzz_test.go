package logmask

import (
	"bytes"
	"encoding/base64"
	"math/rand/v2"
	"testing"
)

// FuzzStream: the output does not depend on the chunking, and a value
// planted whole in the input never survives whole in the output. (A value
// holding '*' could be rebuilt from a Mask next to its own bytes, so the
// second property is checked only for values without one.)
func FuzzStream(f *testing.F) {
	f.Add([]byte("log line\nwith a secret-value inside\n"), []byte("secret-value"), uint64(1))
	f.Add([]byte("c2VjcmV0LXZhbHVlCg=="), []byte("secret-value"), uint64(2))
	f.Add([]byte("aaaaaaaaaaaaaaaaaaaaab"), []byte("aaaaaaaab"), uint64(3))
	f.Add([]byte("first\r\n  second-line  \n"), []byte("first-line\r\n  second-line  \n"), uint64(4))
	f.Fuzz(func(t *testing.T, data, value []byte, seed uint64) {
		if len(data) > 4<<10 || len(value) > 256 {
			return
		}
		r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
		at := r.IntN(len(data) + 1)
		planted := append(append(append([]byte(nil), data[:at]...), value...), data[at:]...)
		if r.IntN(2) == 0 {
			planted = append(planted, base64.StdEncoding.EncodeToString(append(bytes.Clone(value), '\n'))...)
		}
		m := New([][]byte{value})
		whole := feed(t, m, planted, func() int { return len(planted) })
		if got := feed(t, m, planted, ones); !bytes.Equal(got, whole) {
			t.Fatalf("1-byte chunks: %q, one chunk: %q", got, whole)
		}
		if got := feed(t, m, planted, func() int { return 1 + r.IntN(64) }); !bytes.Equal(got, whole) {
			t.Fatalf("random chunks: %q, one chunk: %q", got, whole)
		}
		if len(value) >= MinLen && !bytes.Contains(value, []byte("*")) && bytes.Contains(whole, value) {
			t.Fatalf("value %q survives in %q", value, whole)
		}
	})
}
