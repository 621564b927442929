package ndr

import (
	"encoding/binary"
	"math/bits"

	"github.com/rpcwatch/rpcwatch/dissect"
)

// Reader decodes NDR primitives from one stub. The zero value reads an empty
// stub; use [NewReader] or [Reader.Reset]. A Reader is a plain value: copy it
// to keep a second cursor over the same stub (the epm iterators walk an array
// and its deferred pointees that way).
type Reader struct {
	b      []byte
	off    int
	le     bool
	ndr64  bool
	err    error
	errOff int
	anom   *dissect.Anomalies
}

// Syntax is the transfer syntax a stub was marshalled in, as negotiated in
// the bind: NDR 2.0 or NDR64.
type Syntax uint8

// Transfer syntaxes.
const (
	// NDR20 is NDR 2.0 (C706 chapter 14): 4-byte pointers and counts.
	NDR20 Syntax = iota
	// NDR64 is Microsoft's NDR64 (MS-RPCE 2.2.5): pointers and array counts
	// (max_count, offset, actual_count) are 8 bytes aligned to 8, and so are
	// the structures that contain them. Windows clients negotiate it with
	// 64-bit servers, the endpoint mapper included.
	NDR64
)

// String returns "ndr20" or "ndr64".
func (s Syntax) String() string {
	if s == NDR64 {
		return "ndr64"
	}
	return "ndr20"
}

// NewReader returns a Reader over stub in the byte order le selects.
// Anomalies are added to anom (which may be nil to ignore them).
func NewReader(stub []byte, le bool, anom *dissect.Anomalies) Reader {
	return Reader{b: stub, le: le, anom: anom}
}

// NewReaderSyntax is NewReader for a stub in transfer syntax syn.
func NewReaderSyntax(stub []byte, le bool, syn Syntax, anom *dissect.Anomalies) Reader {
	return Reader{b: stub, le: le, ndr64: syn == NDR64, anom: anom}
}

// Reset points r at a new NDR 2.0 stub, clearing its position and error.
func (r *Reader) Reset(stub []byte, le bool, anom *dissect.Anomalies) {
	r.ResetSyntax(stub, le, NDR20, anom)
}

// ResetSyntax points r at a new stub in transfer syntax syn. Fields are set
// one by one: assigning a whole Reader through a pointer goes through the
// runtime's typed memmove, which costs as much as a dozen reads.
func (r *Reader) ResetSyntax(stub []byte, le bool, syn Syntax, anom *dissect.Anomalies) {
	r.b, r.off, r.le, r.ndr64 = stub, 0, le, syn == NDR64
	r.err, r.errOff, r.anom = nil, 0, anom
}

// Syntax is the transfer syntax the Reader decodes.
func (r *Reader) Syntax() Syntax {
	if r.ndr64 {
		return NDR64
	}
	return NDR20
}

// StructAlign aligns to the boundary of a structure that holds pointers or
// array counts: 4 in NDR 2.0, 8 in NDR64. Decoders call it before each
// element of an array of such structures.
func (r *Reader) StructAlign() {
	if r.ndr64 {
		r.Align(8)
	} else {
		r.Align(4)
	}
}

// count reads a pointer referent id or an array count: an unsigned long in
// NDR 2.0, an 8-byte value aligned to 8 in NDR64. NDR64 values above
// 0xffffffff saturate (they can never fit the stub, and a non-zero referent
// id stays non-zero).
func (r *Reader) count() uint32 {
	if !r.ndr64 {
		return r.U32()
	}
	v := r.U64()
	if v > 0xffffffff {
		return 0xffffffff
	}
	return uint32(v)
}

// countSize is the wire size of a count or referent id.
func (r *Reader) countSize() int {
	if r.ndr64 {
		return 8
	}
	return 4
}

// Stub returns the whole stub the Reader walks (aliases the input).
func (r *Reader) Stub() []byte { return r.b }

// Off is the current offset from the start of the stub.
func (r *Reader) Off() int { return r.off }

// Remaining is the number of bytes after the current offset.
func (r *Reader) Remaining() int { return len(r.b) - r.off }

// LittleEndian reports the byte order the Reader uses.
func (r *Reader) LittleEndian() bool { return r.le }

// Err returns the first error met, or nil.
func (r *Reader) Err() error { return r.err }

// ErrOff is the stub offset at which the first error was met.
func (r *Reader) ErrOff() int { return r.errOff }

// Anomalies returns the list anomalies are added to (may be nil).
func (r *Reader) Anomalies() *dissect.Anomalies { return r.anom }

// Fail stops the Reader with err at the current offset, unless it has
// already failed. Decoders built on a Reader use it for their own structural
// errors so that one sticky error covers the whole decode.
func (r *Reader) Fail(err error) {
	if r.err == nil {
		r.err, r.errOff = err, r.off
	}
}

// Anomaly records an anomaly at stub offset off.
func (r *Reader) Anomaly(k dissect.AnomalyKind, off int, a, b uint32) {
	if r.anom != nil {
		r.anom.Add(k, off, a, b)
	}
}

// FormatError returns the Reader's error wrapped with its offset and what was
// being decoded, or nil. It allocates: call it on cold paths only.
func (r *Reader) FormatError(what string) error {
	if r.err == nil {
		return nil
	}
	return &dissect.FormatError{Off: r.errOff, Msg: what, Err: r.err}
}

// Seek moves to stub offset off. Offsets outside [0, len] stop the Reader
// with ErrShort.
func (r *Reader) Seek(off int) {
	if r.err != nil {
		return
	}
	if off < 0 || off > len(r.b) {
		r.Fail(dissect.ErrShort)
		return
	}
	r.off = off
}

// need checks that n more bytes exist; on failure it stops the Reader.
func (r *Reader) need(n int) bool {
	if r.err != nil {
		return false
	}
	if n < 0 || n > len(r.b)-r.off {
		r.Fail(dissect.ErrShort)
		return false
	}
	return true
}

// Align skips the padding that brings the offset to a multiple of n
// (1, 2, 4 or 8), counted from the start of the stub.
func (r *Reader) Align(n int) {
	if r.err != nil || n <= 1 {
		return
	}
	off := (r.off + n - 1) &^ (n - 1)
	if off > len(r.b) {
		r.Fail(dissect.ErrShort)
		return
	}
	r.off = off
}

// aligned returns the offset of the next n-byte field aligned to a (a power
// of two), or -1 after stopping the Reader when it does not fit. Callers
// move r.off past the field themselves.
func (r *Reader) aligned(a, n int) int {
	off := (r.off + a - 1) &^ (a - 1)
	if r.err != nil || off > len(r.b)-n {
		r.Fail(dissect.ErrShort)
		return -1
	}
	return off
}

// Skip moves n bytes forward.
func (r *Reader) Skip(n int) {
	if r.need(n) {
		r.off += n
	}
}

// Octets returns the next n bytes without alignment (an array of bytes).
// The slice aliases the stub.
func (r *Reader) Octets(n int) []byte {
	if !r.need(n) {
		return nil
	}
	s := r.b[r.off : r.off+n : r.off+n]
	r.off += n
	return s
}

// U8 reads an unsigned small.
func (r *Reader) U8() uint8 {
	if !r.need(1) {
		return 0
	}
	v := r.b[r.off]
	r.off++
	return v
}

// The integer readers are written to stay under the compiler's inlining
// budget (one combined bounds-and-error check, a little-endian load and a
// byte swap for big-endian stubs): decoders call them once per field, and a
// call per field cost the EPM response walk a third of its time.

// U16 reads an aligned unsigned short.
func (r *Reader) U16() uint16 {
	off := (r.off + 1) &^ 1
	if off > len(r.b)-2 || r.err != nil {
		r.Fail(dissect.ErrShort)
		return 0
	}
	r.off = off + 2
	v := binary.LittleEndian.Uint16(r.b[off:])
	if !r.le {
		v = bits.ReverseBytes16(v)
	}
	return v
}

// U32 reads an aligned unsigned long.
func (r *Reader) U32() uint32 {
	off := (r.off + 3) &^ 3
	if off > len(r.b)-4 || r.err != nil {
		r.Fail(dissect.ErrShort)
		return 0
	}
	r.off = off + 4
	v := binary.LittleEndian.Uint32(r.b[off:])
	if !r.le {
		v = bits.ReverseBytes32(v)
	}
	return v
}

// U64 reads an aligned unsigned hyper.
func (r *Reader) U64() uint64 {
	off := (r.off + 7) &^ 7
	if off > len(r.b)-8 || r.err != nil {
		r.Fail(dissect.ErrShort)
		return 0
	}
	r.off = off + 8
	v := binary.LittleEndian.Uint64(r.b[off:])
	if !r.le {
		v = bits.ReverseBytes64(v)
	}
	return v
}

// UUID reads a uuid_t (aligned to 4; time_low, time_mid and
// time_hi_and_version in the stub's byte order) into canonical form.
func (r *Reader) UUID() dissect.UUID {
	var u dissect.UUID
	r.ReadUUID(&u)
	return u
}

// ReadUUID is UUID storing into *u, which it always sets (to the zero UUID
// when the Reader fails). Decoders filling a struct field use it: a
// returned UUID is copied from memory the callee has just written, which
// costs a store-forwarding stall.
func (r *Reader) ReadUUID(u *dissect.UUID) {
	off := r.aligned(4, 16)
	if off < 0 {
		*u = dissect.UUID{}
		return
	}
	r.off = off + 16
	u.SetWire(r.b[off:], r.le)
}

// SyntaxID reads an interface identifier as rpc_if_id_t and p_syntax_id_t
// lay it out: a UUID, then the major and minor versions as unsigned shorts.
func (r *Reader) SyntaxID() dissect.SyntaxID {
	var s dissect.SyntaxID
	s.UUID = r.UUID()
	s.Major = r.U16()
	s.Minor = r.U16()
	return s
}

// Pointer reads the referent id of a [unique] or [ptr] (full) pointer (4
// bytes, or 8 in NDR64). Zero means NULL; a non-zero id means the pointee
// follows, inline for top-level pointers and deferred for embedded ones.
func (r *Reader) Pointer() uint32 { return r.count() }

// RefPointer reads the referent id of an embedded [ref] pointer, which must
// not be NULL; a zero id is recorded as AnomNDRNullRef.
func (r *Reader) RefPointer() uint32 {
	a := r.countSize()
	off := (r.off + a - 1) &^ (a - 1)
	id := r.count()
	if r.err == nil && id == 0 {
		r.Anomaly(dissect.AnomNDRNullRef, off, 0, 0)
	}
	return id
}

// ContextHandle is an NDR context handle (ndr_context_handle): a 32-bit
// attributes word and a UUID, 20 bytes aligned to 4.
type ContextHandle struct {
	Attributes uint32
	UUID       dissect.UUID
}

// IsZero reports whether the handle is all zero (a NULL or closed handle).
func (h ContextHandle) IsZero() bool { return h.Attributes == 0 && h.UUID.IsNil() }

// ContextHandle reads a context handle.
func (r *Reader) ContextHandle() ContextHandle {
	var h ContextHandle
	r.ReadContextHandle(&h)
	return h
}

// ReadContextHandle is ContextHandle storing into *h, which it always sets
// (see ReadUUID).
func (r *Reader) ReadContextHandle(h *ContextHandle) {
	h.Attributes = r.U32()
	r.ReadUUID(&h.UUID)
}

// Pointers is the block of referent ids of an array of embedded pointers,
// read whole by [Reader.PointerArray]: 4 bytes per id in NDR 2.0, 8 in
// NDR64 (ids above 0xffffffff saturate, as [Reader.Pointer] reads them).
// It aliases the stub and is valid as long as the stub is. The zero value
// is an empty array.
type Pointers struct {
	b     []byte
	off   int
	le    bool
	ndr64 bool
}

// PointerArray reads the referent ids of n consecutive embedded pointers
// (an array of pointers, after its array header) in one step, leaving the
// Reader where n Pointer calls would. When the n ids do not fit in the
// bytes left, the Reader stops with ErrShort at the first id, without
// moving, and an empty Pointers is returned; n is never used to size
// anything. FuzzNDR holds it to n Pointer calls.
func (r *Reader) PointerArray(n int) Pointers {
	var p Pointers
	r.ReadPointerArray(&p, n)
	return p
}

// ReadPointerArray is PointerArray storing into *p, which it always sets
// (see ReadConformantVaryingArray).
func (r *Reader) ReadPointerArray(p *Pointers, n int) {
	if n == 0 {
		// No id to read: no alignment either, as with no Pointer call.
		*p = Pointers{off: r.off, le: r.le, ndr64: r.ndr64}
		return
	}
	a := r.countSize()
	off := (r.off + a - 1) &^ (a - 1)
	if r.err != nil || n < 0 || off > len(r.b) || n > (len(r.b)-off)/a {
		r.Fail(dissect.ErrShort)
		*p = Pointers{}
		return
	}
	end := off + n*a
	r.off = end
	p.b, p.off, p.le, p.ndr64 = r.b[off:end:end], off, r.le, r.ndr64
}

// Len is the number of ids.
func (p *Pointers) Len() int {
	if p.ndr64 {
		return len(p.b) / 8
	}
	return len(p.b) / 4
}

// At returns the referent id of pointer i (0: NULL); i must be below Len.
func (p *Pointers) At(i int) uint32 {
	if p.ndr64 {
		return p.at64(i)
	}
	v := binary.LittleEndian.Uint32(p.b[4*i:])
	if !p.le {
		v = bits.ReverseBytes32(v)
	}
	return v
}

func (p *Pointers) at64(i int) uint32 {
	v := binary.LittleEndian.Uint64(p.b[8*i:])
	if !p.le {
		v = bits.ReverseBytes64(v)
	}
	return uint32(min(v, 0xffffffff))
}

// Off returns the stub offset of pointer i's referent id.
func (p *Pointers) Off(i int) int {
	if p.ndr64 {
		return p.off + 8*i
	}
	return p.off + 4*i
}
