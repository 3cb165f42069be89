package columnar

import (
	"errors"
	"fmt"
)

// parquet-go decodes Thrift metadata (the footer, page indexes, page and
// bloom filter headers) by allocating every list a header claims before
// reading its elements: five damaged bytes can claim two billion column
// chunks of 560 bytes each, and the process dies of it, not with a panic
// that could be recovered. checkThrift walks the encoding first, without
// allocating, and refuses what the bytes cannot hold or what would decode
// to more than a budget.

// Costs charged against the budget per decoded element, upper bounds of
// the Go values parquet-go's format package decodes into (its largest
// struct, ColumnChunk, is 560 bytes; a slice header is 24).
const (
	thriftStructCost = 1024
	thriftScalarCost = 24
	thriftMaxDepth   = 32
)

// Compact protocol type ids.
const (
	ctStop   = 0
	ctTrue   = 1
	ctFalse  = 2
	ctByte   = 3
	ctI16    = 4
	ctI32    = 5
	ctI64    = 6
	ctDouble = 7
	ctBinary = 8
	ctList   = 9
	ctSet    = 10
	ctMap    = 11
	ctStruct = 12
)

var errThrift = errors.New("malformed thrift")

type thriftWalker struct {
	b      []byte
	off    int
	budget int64
}

// checkThrift validates one compact-protocol struct at the start of b and
// returns its encoded length. budget bounds the bytes its decoding may
// allocate.
func checkThrift(b []byte, budget int64) (int, error) {
	w := thriftWalker{b: b, budget: budget}
	if err := w.value(ctStruct, 0, false); err != nil {
		return 0, fmt.Errorf("%w: %w at byte %d", ErrCorrupt, err, w.off)
	}
	return w.off, nil
}

func (w *thriftWalker) charge(n int64) error {
	w.budget -= n
	if w.budget < 0 {
		return errors.New("decoded size over budget")
	}
	return nil
}

func (w *thriftWalker) byte() (byte, error) {
	if w.off >= len(w.b) {
		return 0, errThrift
	}
	w.off++
	return w.b[w.off-1], nil
}

// left is the number of bytes not walked yet.
func (w *thriftWalker) left() uint64 {
	return uint64(len(w.b) - w.off) //nolint:gosec // G115: off never passes len(b)
}

// count returns n as an int after checking that each of n elements can
// have at least per bytes among those left: a count beyond that is a lie.
func (w *thriftWalker) count(n uint64, per uint64) (int, error) {
	if n > w.left()/per {
		return 0, errThrift
	}
	return int(n), nil //nolint:gosec // G115: n is at most len(b)
}

func (w *thriftWalker) skip(n uint64) error {
	k, err := w.count(n, 1)
	if err != nil {
		return err
	}
	w.off += k
	return nil
}

func (w *thriftWalker) uvarint() (uint64, error) {
	var x uint64
	for shift := 0; shift < 64; shift += 7 {
		c, err := w.byte()
		if err != nil {
			return 0, err
		}
		x |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return x, nil
		}
	}
	return 0, errThrift
}

// value walks one value of type t. inContainer matters for booleans: a
// struct field carries its value in the type id, a list element in a byte.
func (w *thriftWalker) value(t byte, depth int, inContainer bool) error {
	if depth > thriftMaxDepth {
		return errors.New("nested too deep")
	}
	switch t {
	case ctTrue, ctFalse:
		if inContainer {
			return w.skip(1)
		}
		return nil
	case ctByte:
		return w.skip(1)
	case ctI16, ctI32, ctI64:
		_, err := w.uvarint()
		return err
	case ctDouble:
		return w.skip(8)
	case ctBinary:
		n, err := w.uvarint()
		if err != nil {
			return err
		}
		k, err := w.count(n, 1)
		if err != nil {
			return err
		}
		if err := w.charge(int64(k)); err != nil {
			return err
		}
		w.off += k
		return nil
	case ctList, ctSet:
		return w.list(depth)
	case ctMap:
		return w.mapValue(depth)
	case ctStruct:
		return w.structValue(depth)
	}
	return fmt.Errorf("unknown type %d", t)
}

func (w *thriftWalker) list(depth int) error {
	h, err := w.byte()
	if err != nil {
		return err
	}
	n, elem := uint64(h>>4), h&0x0f
	if n == 0x0f {
		if n, err = w.uvarint(); err != nil {
			return err
		}
	}
	return w.elements(n, depth, elem)
}

func (w *thriftWalker) mapValue(depth int) error {
	n, err := w.uvarint()
	if err != nil || n == 0 {
		return err
	}
	kv, err := w.byte()
	if err != nil {
		return err
	}
	k, err := w.count(n, 2)
	if err != nil {
		return err
	}
	if err := w.charge(int64(k) * 2 * thriftStructCost); err != nil {
		return err
	}
	for range k {
		if err := w.value(kv>>4, depth+1, true); err != nil {
			return err
		}
		if err := w.value(kv&0x0f, depth+1, true); err != nil {
			return err
		}
	}
	return nil
}

// elements walks n elements of type t. Every compact-protocol element
// takes at least one byte, so a count above the bytes left is a lie.
func (w *thriftWalker) elements(n uint64, depth int, t byte) error {
	k, err := w.count(n, 1)
	if err != nil {
		return err
	}
	cost := int64(thriftScalarCost)
	if t == ctStruct {
		cost = thriftStructCost
	}
	if err := w.charge(int64(k) * cost); err != nil {
		return err
	}
	for range k {
		if err := w.value(t, depth+1, true); err != nil {
			return err
		}
	}
	return nil
}

func (w *thriftWalker) structValue(depth int) error {
	for {
		h, err := w.byte()
		if err != nil {
			return err
		}
		if h == ctStop {
			return nil
		}
		if h>>4 == 0 { // long form: the field id follows as a zigzag varint
			if _, err := w.uvarint(); err != nil {
				return err
			}
		}
		if err := w.value(h&0x0f, depth+1, false); err != nil {
			return err
		}
	}
}
