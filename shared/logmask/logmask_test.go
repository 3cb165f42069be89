package logmask

import (
	"bytes"
	"encoding/base64"
	"math/rand/v2"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// reference masks text the slow, obvious way: at each position the longest
// pattern starting there, left to right.
func reference(patterns [][]byte, text []byte) []byte {
	var out []byte
	for i := 0; i < len(text); {
		n := 0
		for _, p := range patterns {
			if len(p) > n && bytes.HasPrefix(text[i:], p) {
				n = len(p)
			}
		}
		if n > 0 {
			out = append(out, Mask...)
			i += n
		} else {
			out = append(out, text[i])
			i++
		}
	}
	return out
}

// feed writes text to a new Stream of m in chunks of the sizes next
// returns, then flushes; it checks the hold-back bound after every Write.
func feed(t testing.TB, m *Masker, text []byte, next func() int) []byte {
	t.Helper()
	s := m.Stream()
	var out []byte
	for fed := 0; fed < len(text); {
		n := min(max(next(), 1), len(text)-fed)
		out = append(out, s.Write(text[fed:fed+n])...)
		fed += n
		if kept := uint64(fed) - s.Consumed(); kept > uint64(m.HoldBack()) {
			t.Fatalf("after %d bytes, %d kept back, HoldBack %d", fed, kept, m.HoldBack())
		}
	}
	return append(out, s.Flush()...)
}

func ones() int { return 1 }

// randomCase builds values and a text in which whole values, their
// prefixes and suffixes, and their encodings are planted among noise drawn
// from the values' own alphabet (so near-misses are frequent).
func randomCase(r *rand.Rand) (values [][]byte, text []byte) {
	const alphabet = "abcxyz0189+/=-_%\n \r*"
	word := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		return b
	}
	for range 1 + r.IntN(5) {
		values = append(values, word(MinLen+r.IntN(12)))
	}
	if r.IntN(3) == 0 { // a value that is another's prefix or extension
		v := values[r.IntN(len(values))]
		values = append(values, append(bytes.Clone(v), word(1+r.IntN(4))...))
	}
	for range r.IntN(40) {
		v := values[r.IntN(len(values))]
		switch r.IntN(6) {
		case 0:
			text = append(text, word(r.IntN(20))...)
		case 1:
			text = append(text, v...)
		case 2:
			text = append(text, v[:r.IntN(len(v))]...)
		case 3:
			text = append(text, v[r.IntN(len(v)):]...)
		case 4:
			text = append(text, base64.StdEncoding.EncodeToString(append(word(r.IntN(3)), v...))...)
		case 5:
			text = append(text, url.QueryEscape(string(v))...)
		}
	}
	return values, text
}

// Chunking invariance: any cut of the log gives the reference's output.
func TestStreamMatchesReferenceInAnyChunking(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		values, text := randomCase(r)
		m := New(values)
		want := reference(m.patterns, text)
		for name, next := range map[string]func() int{
			"bytes":  ones,
			"random": func() int { return 1 + r.IntN(40) },
			"whole":  func() int { return len(text) },
		} {
			if got := feed(t, m, text, next); !bytes.Equal(got, want) {
				t.Fatalf("case %d, %s chunks: values %q\ntext %q\n got %q\nwant %q", i, name, values, text, got, want)
			}
		}
	}
}

// What Write returns is final whatever comes next: after every byte, the
// output so far is a prefix of the output for the text continued with the
// rest of any pattern the text so far ends with a prefix of.
func TestWriteNeverReturnsAByteThatCouldStillMatch(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 40 {
		values, text := randomCase(r)
		m := New(values)
		s := m.Stream()
		var out []byte
		for i := range text {
			out = append(out, s.Write(text[i:i+1])...)
			fed := text[:i+1]
			for _, p := range m.patterns {
				for k := 1; k < len(p); k++ {
					if !bytes.HasSuffix(fed, p[:k]) {
						continue
					}
					cont := append(bytes.Clone(fed), p[k:]...)
					if want := reference(m.patterns, cont); !bytes.HasPrefix(want, out) {
						t.Fatalf("after %q Write returned %q, but completing %q makes it %q", fed, out, p, want)
					}
				}
			}
		}
	}
}

func TestValueSplitAcrossOneByteWrites(t *testing.T) {
	m := New([][]byte{[]byte("hunter2-secret")})
	if got := feed(t, m, []byte("pw=hunter2-secret;"), ones); string(got) != "pw=***;" {
		t.Fatalf("got %q", got)
	}
	// A prefix at the very end is not the secret: Flush lets it out.
	s := m.Stream()
	var out []byte
	for _, c := range []byte("pw=hunter2-sec") {
		out = append(out, s.Write([]byte{c})...)
	}
	if string(out) != "pw=" {
		t.Fatalf("before Flush: %q (the prefix must be kept back)", out)
	}
	if got := string(append(out, s.Flush()...)); got != "pw=hunter2-sec" {
		t.Fatalf("after Flush: %q", got)
	}
	// The Stream goes on after Flush as a new log.
	if got := string(append(s.Write([]byte("hunter2-secret")), s.Flush()...)); got != Mask {
		t.Fatalf("after Flush, fed again: %q", got)
	}
}

// A Stream restarted at Consumed continues the output exactly.
func TestRestartAtConsumedContinuesExactly(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for i := range 2000 {
		values, text := randomCase(r)
		m := New(values)
		want := reference(m.patterns, text)
		cut := r.IntN(len(text) + 1)
		s := m.Stream()
		var out []byte
		for fed := 0; fed < cut; {
			n := min(1+r.IntN(10), cut-fed)
			out = append(out, s.Write(text[fed:fed+n])...)
			fed += n
		}
		c := s.Consumed()
		rest := feed(t, m, text[c:], func() int { return 1 + r.IntN(10) })
		if got := slices.Concat(out, rest); !bytes.Equal(got, want) {
			t.Fatalf("case %d: cut %d, consumed %d: values %q\ntext %q\n got %q\nwant %q", i, cut, c, values, text, got, want)
		}
	}
}

func TestLeftmostThenLongest(t *testing.T) {
	m := New([][]byte{[]byte("abcdefgh"), []byte("abcdefghij"), []byte("efghijklmn")})
	for in, want := range map[string]string{
		"xabcdefghijklmn": "x***klmn", // leftmost wins over the later, longer one
		"xabcdefghiy":     "x***iy",
		"abcdefgabcdefgh": "abcdefg***",
		"efghijklmnabcde": "***abcde",
	} {
		if got := string(feed(t, m, []byte(in), ones)); got != want {
			t.Errorf("%q: got %q, want %q", in, got, want)
		}
	}
}

func TestBase64FormsAreMasked(t *testing.T) {
	value := []byte("s3cr3t/value+with?odd~bytes\xff")
	m := New([][]byte{value})
	check := func(name string, encoded string, inner []byte) {
		t.Helper()
		got := feed(t, m, []byte("out: "+encoded+" end"), ones)
		if !bytes.Contains(got, []byte(Mask)) || bytes.Contains(got, inner) {
			t.Errorf("%s: %q masked to %q", name, encoded, got)
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		standalone := enc.EncodeToString(value)
		check("standalone", standalone, []byte(standalone[2:len(standalone)-2]))
		// echo "$SECRET" | base64
		check("value+newline", enc.EncodeToString(append(bytes.Clone(value), '\n')), []byte(standalone[2:len(standalone)-3]))
		// base64 of a file holding the secret, at each alignment.
		for before := range 6 {
			file := append(append([]byte(strings.Repeat("A", before)), value...), "\ntrailer"...)
			inner := embedded(enc.WithPadding(base64.NoPadding), value, before%3)
			check("embedded", enc.EncodeToString(file), inner[1:len(inner)-1])
		}
	}
}

func TestURLEncodedFormsAreMasked(t *testing.T) {
	value := "p@ss word/with&stuff"
	m := New([][]byte{[]byte(value)})
	for _, enc := range []string{url.QueryEscape(value), url.PathEscape(value)} {
		if got := string(feed(t, m, []byte("?q="+enc+"&x=1"), ones)); got != "?q=***&x=1" {
			t.Errorf("%q masked to %q", enc, got)
		}
	}
}

func TestMultiLineValuesAreMaskedLineByLine(t *testing.T) {
	value := "first line secret\r\n   second-line-secret  \nshort\n"
	m := New([][]byte{[]byte(value)})
	for in, want := range map[string]string{
		value:                       "***",
		"a first line secret b":     "a *** b",
		"x   second-line-secret  y": "x***y",
		"y second-line-secret\n":    "y ***\n",
		"short lines stay":          "short lines stay",
		"q=" + url.QueryEscape("first line secret") + "&": "q=***&",
	} {
		if got := string(feed(t, m, []byte(in), ones)); got != want {
			t.Errorf("%q: got %q, want %q", in, got, want)
		}
	}
}

func TestShortFormsAreNotMasked(t *testing.T) {
	m := New([][]byte{[]byte("short"), []byte("")})
	if m.Active() || m.HoldBack() != 0 {
		t.Fatalf("values shorter than MinLen: active %v, hold back %d", m.Active(), m.HoldBack())
	}
	if got := string(feed(t, m, []byte("short"), ones)); got != "short" {
		t.Fatalf("got %q", got)
	}
	for _, p := range New([][]byte{[]byte("abcdefgh\nab\n")}).patterns {
		if len(p) < MinLen {
			t.Fatalf("pattern %q shorter than MinLen", p)
		}
	}
}

func TestInactiveMasker(t *testing.T) {
	for _, m := range []*Masker{New(nil), nil} {
		if m.Active() || m.HoldBack() != 0 || m.Patterns() != 0 || m.Omitted() != 0 {
			t.Fatal("an empty Masker is active")
		}
		s := m.Stream()
		if got := string(s.Write([]byte("abc"))) + string(s.Flush()); got != "abc" || s.Consumed() != 3 {
			t.Fatalf("got %q, consumed %d", got, s.Consumed())
		}
		if got := string(m.Overwrite([]byte("x"), []byte("abc"))); got != "abc" {
			t.Fatalf("Overwrite: %q", got)
		}
	}
}

// A long value is matched in pieces: every byte of it is masked and
// HoldBack stays small.
func TestLongValuesAreMaskedInPieces(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	value := make([]byte, 5000)
	for i := range value {
		value[i] = byte('a' + r.IntN(26))
	}
	m := New([][]byte{value})
	if m.HoldBack() >= 2*segmentLen {
		t.Fatalf("HoldBack %d", m.HoldBack())
	}
	got := feed(t, m, append(append([]byte("<"), value...), '>'), func() int { return 1 + r.IntN(100) })
	if want := "<" + strings.Repeat(Mask, len(value)/segmentLen) + ">"; string(got) != want {
		t.Fatalf("got %q", got)
	}
	b64 := base64.StdEncoding.EncodeToString(value)
	got = feed(t, m, []byte(b64), ones)
	if strings.Trim(string(got), "*") != "" {
		t.Fatalf("base64 of a long value masked to %q", got)
	}
}

func TestPatternBudget(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	var values [][]byte
	for range 40 {
		v := make([]byte, 50<<10)
		for i := range v {
			v[i] = byte(r.IntN(256))
		}
		values = append(values, v)
	}
	values = append(values, []byte("a-small-secret"))
	m := New(values)
	total := 0
	for _, p := range m.patterns {
		total += len(p)
	}
	if total > maxPatternBytes || m.Omitted() == 0 {
		t.Fatalf("%d pattern bytes, %d omitted", total, m.Omitted())
	}
	// The small value's forms are kept whatever the large ones cost.
	if got := string(feed(t, m, []byte(base64.StdEncoding.EncodeToString([]byte("a-small-secret"))), ones)); got != Mask {
		t.Fatalf("small value's base64 masked to %q", got)
	}
}

// referenceOverwrite stars every byte of every occurrence of a pattern in
// prev+chunk that ends inside chunk.
func referenceOverwrite(patterns [][]byte, prev, chunk []byte) []byte {
	all := append(bytes.Clone(prev), chunk...)
	star := make([]bool, len(all))
	for _, p := range patterns {
		for i := 0; i+len(p) <= len(all); i++ {
			if bytes.Equal(all[i:i+len(p)], p) && i+len(p) > len(prev) {
				for k := i; k < i+len(p); k++ {
					star[k] = true
				}
			}
		}
	}
	out := bytes.Clone(chunk)
	for i := range out {
		if star[len(prev)+i] {
			out[i] = '*'
		}
	}
	return out
}

func TestOverwrite(t *testing.T) {
	m := New([][]byte{[]byte("secret-one"), []byte("one-more-secret")})
	for _, c := range []struct{ prev, chunk, want string }{
		{"", "a secret-one b", "a ********** b"},
		{"xx secret-", "one yy", "*** yy"},                         // started in prev: its tail
		{"", "a secret-o", "a secret-o"},                           // runs past chunk: the next call's
		{"", "secret-one-more-secret!", "**********************!"}, // overlapping occurrences: all their bytes
		{"", "no secrets here", "no secrets here"},
	} {
		got := m.Overwrite([]byte(c.prev), []byte(c.chunk))
		if string(got) != c.want {
			t.Errorf("Overwrite(%q, %q) = %q, want %q", c.prev, c.chunk, got, c.want)
		}
	}
	r := rand.New(rand.NewPCG(9, 10))
	for i := range 2000 {
		values, text := randomCase(r)
		m := New(values)
		cut := r.IntN(len(text) + 1)
		end := cut + r.IntN(len(text)-cut+1)
		prev, chunk := text[:cut], text[cut:end]
		got := m.Overwrite(prev, chunk)
		if want := referenceOverwrite(m.patterns, prev, chunk); !bytes.Equal(got, want) {
			t.Fatalf("case %d: values %q\nprev %q\nchunk %q\n got %q\nwant %q", i, values, prev, chunk, got, want)
		}
	}
}
