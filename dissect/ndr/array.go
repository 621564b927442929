package ndr

import (
	"encoding/binary"
	"math/bits"

	"github.com/rpcwatch/rpcwatch/dissect"
)

// ArrayHeader holds the counts NDR puts in front of an array's elements.
//
//	conformant:          max_count
//	varying:             offset, actual_count
//	conformant-varying:  max_count, offset, actual_count
//
// Each count is a 32-bit unsigned long aligned to 4 (NDR64: 8 bytes aligned
// to 8; values above 0xffffffff saturate).
type ArrayHeader struct {
	// Off is the stub offset of the first count.
	Off         int
	MaxCount    uint32
	Offset      uint32
	ActualCount uint32
	// Conformant and Varying say which counts were on the wire.
	Conformant, Varying bool
}

// Count is the number of elements that follow on the wire: actual_count for
// varying arrays, max_count for conformant ones.
func (h ArrayHeader) Count() uint32 {
	if h.Varying {
		return h.ActualCount
	}
	return h.MaxCount
}

// fits checks that n elements of at least minElem bytes can fit in what is
// left, and stops the Reader with ErrLength when they cannot. A minElem of 0
// or less is treated as 1, so that a count can never exceed the bytes left.
func (r *Reader) fits(n uint32, minElem int) bool {
	if r.err != nil {
		return false
	}
	if minElem < 1 {
		minElem = 1
	}
	if uint64(n)*uint64(minElem) > uint64(len(r.b)-r.off) {
		r.Fail(dissect.ErrLength)
		return false
	}
	return true
}

// ConformantArray reads the max_count of a conformant array whose elements
// take at least minElem bytes each, and checks that max_count elements fit
// in the bytes left (ErrLength otherwise). The caller loops over Count()
// elements after this returns with a nil Err.
func (r *Reader) ConformantArray(minElem int) ArrayHeader {
	off, n := r.conformant(minElem)
	return ArrayHeader{Off: off, MaxCount: n, Conformant: true}
}

// ConformantCount is ConformantArray for callers that need only max_count
// (a conformant structure's hoisted size): it returns max_count alone, and
// so spares them a header held in memory.
func (r *Reader) ConformantCount(minElem int) uint32 {
	_, n := r.conformant(minElem)
	return n
}

// u32At reads the unsigned long at stub offset off, which the caller has
// checked.
func (r *Reader) u32At(off int) uint32 {
	v := binary.LittleEndian.Uint32(r.b[off:])
	if !r.le {
		v = bits.ReverseBytes32(v)
	}
	return v
}

// conformant reads max_count and returns it with its stub offset.
func (r *Reader) conformant(minElem int) (int, uint32) {
	// Fast path for NDR 2.0 when the count is there and fits; anything
	// else takes the general path below from the same position.
	if off := (r.off + 3) &^ 3; !r.ndr64 && r.err == nil && off <= len(r.b)-4 {
		n := r.u32At(off)
		if uint64(n)*uint64(max(minElem, 1)) <= uint64(len(r.b)-off-4) {
			r.off = off + 4
			return off, n
		}
	}
	r.Align(r.countSize())
	off := r.off
	n := r.count()
	r.fits(n, minElem)
	return off, n
}

// VaryingArray reads the offset and actual_count of a varying array whose
// declared (fixed) size is bound elements; bound 0 means unknown. An offset
// plus actual_count above bound is recorded as AnomNDRVaryingBounds; an
// actual_count that cannot fit in the bytes left stops the Reader with
// ErrLength.
func (r *Reader) VaryingArray(minElem int, bound uint32) ArrayHeader {
	r.Align(r.countSize())
	h := ArrayHeader{Off: r.off, Varying: true, MaxCount: bound}
	h.Offset = r.count()
	h.ActualCount = r.count()
	if r.err != nil {
		return h
	}
	if bound != 0 && uint64(h.Offset)+uint64(h.ActualCount) > uint64(bound) {
		r.Anomaly(dissect.AnomNDRVaryingBounds, h.Off, sat32(uint64(h.Offset)+uint64(h.ActualCount)), bound)
	}
	r.fits(h.ActualCount, minElem)
	return h
}

// ConformantVaryingArray reads max_count, offset and actual_count. Only
// actual_count elements are on the wire, so only actual_count is checked
// against the bytes left (ErrLength); max_count is the size the receiver
// allocated and may legitimately be far larger (ept_map answers 1 tower of
// max_towers 500). offset+actual_count above max_count is recorded as
// AnomNDRVaryingBounds and decoding continues with actual_count.
func (r *Reader) ConformantVaryingArray(minElem int) ArrayHeader {
	var h ArrayHeader
	r.ReadConformantVaryingArray(&h, minElem)
	return h
}

// ReadConformantVaryingArray is ConformantVaryingArray storing into *h,
// which it always sets. Decoders keeping the header in a struct field use
// it: a returned header is spilled and copied, which stalls on store
// forwarding.
func (r *Reader) ReadConformantVaryingArray(h *ArrayHeader, minElem int) {
	if off := (r.off + 3) &^ 3; !r.ndr64 && r.err == nil && off <= len(r.b)-12 {
		// NDR 2.0 with the three counts there: read them at once.
		h.Off, h.Conformant, h.Varying = off, true, true
		h.MaxCount, h.Offset, h.ActualCount = r.u32At(off), r.u32At(off+4), r.u32At(off+8)
		r.off = off + 12
	} else {
		r.Align(r.countSize())
		h.Off, h.Conformant, h.Varying = r.off, true, true
		h.MaxCount = r.count()
		h.Offset = r.count()
		h.ActualCount = r.count()
		if r.err != nil {
			return
		}
	}
	if uint64(h.Offset)+uint64(h.ActualCount) > uint64(h.MaxCount) {
		r.Anomaly(dissect.AnomNDRVaryingBounds, h.Off, sat32(uint64(h.Offset)+uint64(h.ActualCount)), h.MaxCount)
	}
	r.fits(h.ActualCount, minElem)
}

func sat32(v uint64) uint32 {
	if v > 0xffffffff {
		return 0xffffffff
	}
	return uint32(v)
}
