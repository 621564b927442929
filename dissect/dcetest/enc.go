// Package dcetest builds DCE/RPC byte fixtures for tests: PDUs, NDR stubs,
// towers and DCOM string bindings, in either byte order. Tests use it instead
// of hand-typed hex, so that every fixture exists in both byte orders and its
// meaning is readable.
//
// It is test support: it allocates freely and panics on misuse.
package dcetest

import (
	"encoding/binary"

	"github.com/rpcwatch/rpcwatch/dissect"
)

// Enc appends wire values to B in the byte order LE selects. Alignment is
// relative to the start of B (set Base when B is a stub that starts after a
// header, so that Align counts from the stub's start: Base is subtracted).
type Enc struct {
	B    []byte
	LE   bool
	Base int
}

// New returns an encoder for the byte order le.
func New(le bool) *Enc { return &Enc{LE: le} }

// Drep returns the drep label for the encoder's byte order.
func (e *Enc) Drep() dissect.Drep {
	if e.LE {
		return dissect.DrepLE
	}
	return dissect.DrepBE
}

func (e *Enc) order() interface {
	binary.ByteOrder
	binary.AppendByteOrder
} {
	if e.LE {
		return binary.LittleEndian
	}
	return binary.BigEndian
}

// Len is the current length.
func (e *Enc) Len() int { return len(e.B) }

// U8 appends a byte.
func (e *Enc) U8(v uint8) *Enc { e.B = append(e.B, v); return e }

// U16 appends a 16-bit integer in the encoder's order.
func (e *Enc) U16(v uint16) *Enc { e.B = e.order().AppendUint16(e.B, v); return e }

// U32 appends a 32-bit integer in the encoder's order.
func (e *Enc) U32(v uint32) *Enc { e.B = e.order().AppendUint32(e.B, v); return e }

// U64 appends a 64-bit integer in the encoder's order.
func (e *Enc) U64(v uint64) *Enc { e.B = e.order().AppendUint64(e.B, v); return e }

// BE16 appends a big-endian 16-bit integer whatever the order (tower ports).
func (e *Enc) BE16(v uint16) *Enc { e.B = binary.BigEndian.AppendUint16(e.B, v); return e }

// LE16 appends a little-endian 16-bit integer whatever the order (tower
// floor lengths are always little-endian).
func (e *Enc) LE16(v uint16) *Enc { e.B = binary.LittleEndian.AppendUint16(e.B, v); return e }

// Bytes appends raw bytes.
func (e *Enc) Bytes(b []byte) *Enc { e.B = append(e.B, b...); return e }

// Zero appends n zero bytes.
func (e *Enc) Zero(n int) *Enc { e.B = append(e.B, make([]byte, n)...); return e }

// UUID appends u in wire form for the encoder's order.
func (e *Enc) UUID(u dissect.UUID) *Enc {
	var b [16]byte
	u.PutWire(b[:], e.LE)
	e.B = append(e.B, b[:]...)
	return e
}

// UUIDString appends the UUID parsed from s.
func (e *Enc) UUIDString(s string) *Enc { return e.UUID(dissect.MustParseUUID(s)) }

// Align pads with zeros to a multiple of n counted from Base.
func (e *Enc) Align(n int) *Enc {
	for (len(e.B)-e.Base)%n != 0 {
		e.B = append(e.B, 0)
	}
	return e
}

// PutU16At overwrites a 16-bit integer at off (for back-patching lengths).
func (e *Enc) PutU16At(off int, v uint16) { e.order().PutUint16(e.B[off:], v) }

// PutU32At overwrites a 32-bit integer at off.
func (e *Enc) PutU32At(off int, v uint32) { e.order().PutUint32(e.B[off:], v) }

// BothOrders runs f once per byte order with a fresh encoder, naming the
// order for subtests: "le" and "be".
func BothOrders(f func(name string, le bool)) {
	f("le", true)
	f("be", false)
}
