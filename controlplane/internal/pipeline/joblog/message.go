package joblog

import (
	"encoding/binary"
	"errors"
	"math"
)

// Live messages on the Redis channel are binary, to keep 64 KiB pieces
// 64 KiB on the wire: one kind byte, then for a piece the step and offset
// as uvarints followed by the raw bytes.
const (
	msgPiece byte = 1
	msgEnd   byte = 2
)

var errBadMessage = errors.New("malformed live job log message")

// piece is a decoded message; end marks the end of the log.
type piece struct {
	end    bool
	step   uint32
	offset uint64
	data   []byte
}

func encodePiece(step uint32, offset uint64, data []byte) []byte {
	b := make([]byte, 0, 1+binary.MaxVarintLen32+binary.MaxVarintLen64+len(data))
	b = append(b, msgPiece)
	b = binary.AppendUvarint(b, uint64(step))
	b = binary.AppendUvarint(b, offset)
	return append(b, data...)
}

func encodeEnd() []byte { return []byte{msgEnd} }

func decodeMessage(b []byte) (piece, error) {
	if len(b) == 0 {
		return piece{}, errBadMessage
	}
	switch b[0] {
	case msgEnd:
		if len(b) != 1 {
			return piece{}, errBadMessage
		}
		return piece{end: true}, nil
	case msgPiece:
		b = b[1:]
		step, n := binary.Uvarint(b)
		if n <= 0 || step > math.MaxUint32 {
			return piece{}, errBadMessage
		}
		b = b[n:]
		offset, n := binary.Uvarint(b)
		if n <= 0 || offset > math.MaxInt64 {
			return piece{}, errBadMessage
		}
		return piece{step: uint32(step), offset: offset, data: b[n:]}, nil
	}
	return piece{}, errBadMessage
}
