package joblog

import (
	"bytes"
	"math"
	"testing"
)

func TestMessageRoundTrip(t *testing.T) {
	for _, c := range []struct {
		step   uint32
		offset uint64
		data   []byte
	}{
		{0, 0, []byte("x")},
		{MaxStep, math.MaxInt64 - 1, []byte("\x1b[31m\x00\xff")},
		{math.MaxUint32, 1 << 40, bytes.Repeat([]byte("ab"), 40000)},
	} {
		m := encodePiece(c.step, c.offset, c.data)
		if len(m) > len(c.data)+16 {
			t.Errorf("message of %d bytes carries %d", len(m), len(c.data))
		}
		p, err := decodeMessage(m)
		if err != nil || p.end || p.step != c.step || p.offset != c.offset || !bytes.Equal(p.data, c.data) {
			t.Errorf("round trip of (%d, %d): %+v %v", c.step, c.offset, p, err)
		}
	}
	if p, err := decodeMessage(encodeEnd()); err != nil || !p.end {
		t.Errorf("end marker: %+v %v", p, err)
	}
	for _, bad := range [][]byte{
		nil, {}, {9}, {msgEnd, 0}, {msgPiece}, {msgPiece, 0x80}, {msgPiece, 1},
		{msgPiece, 0xff, 0xff, 0xff, 0xff, 0x1f, 0}, // step > MaxUint32
		append([]byte{msgPiece, 0}, bytes.Repeat([]byte{0xff}, 9)...),
	} {
		if _, err := decodeMessage(bad); err == nil {
			t.Errorf("decoded malformed message %x", bad)
		}
	}
}
