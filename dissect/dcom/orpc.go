package dcom

import (
	"github.com/rpcwatch/rpcwatch/dissect"
	"github.com/rpcwatch/rpcwatch/dissect/ndr"
)

// COMVersion is a COMVERSION (MS-DCOM 2.2.11).
type COMVersion struct {
	Major, Minor uint16
}

func comVersion(r *ndr.Reader) COMVersion {
	return COMVersion{Major: r.U16(), Minor: r.U16()}
}

// MaxExtents is the number of non-NULL ORPC extents above which an ORPCTHAT
// is reported (dissect.AnomDCOMExtentLimit). All of them are still skipped
// by length to reach what follows: each takes at least 24 bytes, so the walk
// is bounded by the stub.
const MaxExtents = 64

// ORPCThat is the ORPCTHAT (MS-DCOM 2.2.13.4) at the start of every ORPC
// response:
//
//	flags       u32
//	extensions  unique pointer to ORPC_EXTENT_ARRAY
//	  size      u32   number of extents
//	  reserved  u32
//	  extent    unique pointer to [(size+1)&~1] unique pointers to
//	            ORPC_EXTENT { id GUID; size u32; data [(size+7)&~7] byte }
//
// The extents (error information, context) are skipped; their ids are not
// kept.
type ORPCThat struct {
	// Flags:
	//
	//	bit 0     ORPCF_LOCAL: the call is local to the machine
	//	bits 1-4  ORPCF_RESERVED1..4
	//	others    unused (0)
	Flags uint32
	// HasExtensions reports a non-NULL extensions pointer.
	HasExtensions bool
	// Size is ORPC_EXTENT_ARRAY.size; Extents counts the non-NULL extent
	// pointers walked.
	Size    uint32
	Extents int
}

// decode reads an ORPCTHAT and its deferred extents at the cursor. It
// reports anomalies to an; it returns false when the stub ended (r.Err() != nil).
func (o *ORPCThat) decode(r *ndr.Reader, an *dissect.Anomalies) bool {
	*o = ORPCThat{}
	o.Flags = r.U32()
	ptr := r.U32()
	if r.Err() != nil || ptr == 0 {
		return r.Err() == nil
	}
	o.HasExtensions = true
	o.Size = r.U32()
	r.U32() // reserved
	at := r.Off()
	if p := r.U32(); p == 0 || r.Err() != nil {
		return r.Err() == nil
	}
	count := r.U32()
	if r.Err() != nil {
		return false
	}
	if want := (o.Size + 1) &^ 1; count != want {
		an.Add(dissect.AnomDCOMMaxCountMismatch, at, count, want)
	}
	if uint64(count)*4 > uint64(r.Remaining()) {
		an.Add(dissect.AnomCountTooLarge, r.Off()-4, count, uint32(r.Remaining()/4))
		r.Fail(dissect.ErrLength)
		return false
	}
	// The pointers come first, then the extents they point to, in order.
	nonNull := 0
	for i := 0; i < int(count); i++ {
		if r.U32() != 0 {
			nonNull++
		}
	}
	if nonNull > MaxExtents {
		an.Add(dissect.AnomDCOMExtentLimit, at, uint32(nonNull), MaxExtents)
	}
	for i := 0; i < nonNull; i++ {
		start := r.Off()
		max := r.U32() // conformance of data[]
		r.UUID()
		size := r.U32()
		if r.Err() != nil {
			return false
		}
		if want := (size + 7) &^ 7; max != want {
			an.Add(dissect.AnomDCOMMaxCountMismatch, start, max, want)
		}
		if uint64(max) > uint64(r.Remaining()) {
			an.Add(dissect.AnomTruncated, start, max, uint32(r.Remaining()))
			r.Fail(dissect.ErrShort)
			return false
		}
		r.Skip(int(max))
		o.Extents++
	}
	return true
}
