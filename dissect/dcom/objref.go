package dcom

import (
	"github.com/rpcwatch/rpcwatch/dissect"
	"github.com/rpcwatch/rpcwatch/dissect/ndr"
)

// ObjRefSignature is an OBJREF's signature, "MEOW" read as a little-endian
// 32-bit value.
const ObjRefSignature = 0x574f454d

// ObjRefFlags is the OBJREF flags field; exactly one bit must be set.
//
//	bit 0  OBJREF_STANDARD  std, saResAddr
//	bit 1  OBJREF_HANDLER   std, clsid, saResAddr
//	bit 2  OBJREF_CUSTOM    clsid, cbExtension, reserved, pObjectData
//	bit 3  OBJREF_EXTENDED  std, Signature1, saResAddr, nElms, ...
type ObjRefFlags uint32

// OBJREF formats (MS-DCOM 2.2.18).
const (
	ObjRefStandard ObjRefFlags = 1
	ObjRefHandler  ObjRefFlags = 2
	ObjRefCustom   ObjRefFlags = 4
	ObjRefExtended ObjRefFlags = 8
)

// String returns "standard", "handler", "custom", "extended" or the value
// in hex.
func (f ObjRefFlags) String() string {
	switch f {
	case ObjRefStandard:
		return "standard"
	case ObjRefHandler:
		return "handler"
	case ObjRefCustom:
		return "custom"
	case ObjRefExtended:
		return "extended"
	}
	return string(dissect.AppendHex32(nil, uint32(f)))
}

// objRefExtendedSignature is OBJREF_EXTENDED's Signature1.
const objRefExtendedSignature = 0x4e535956

// StdObjRef is a STDOBJREF (MS-DCOM 2.2.18.1), little-endian inside an
// OBJREF.
type StdObjRef struct {
	// Flags holds SORF_ bits (SORF_NOPING 0x1000).
	Flags      uint32
	PublicRefs uint32
	OXID       uint64
	OID        uint64
	IPID       dissect.UUID
}

// ObjRef is a decoded OBJREF, the marshaled object reference inside an
// MInterfacePointer. Its fields are little-endian whatever the stub's byte
// order.
type ObjRef struct {
	Signature uint32
	Flags     ObjRefFlags
	IID       dissect.UUID
	// Std is set for STANDARD, HANDLER and EXTENDED references.
	Std StdObjRef
	// CLSID is the handler's (HANDLER) or the unmarshaler's (CUSTOM) class.
	CLSID dissect.UUID
	// HasResolver reports a decoded saResAddr: the object resolver's
	// bindings (STANDARD, HANDLER, EXTENDED).
	HasResolver bool
	Resolver    DualStringArray
	// CbExtension and Reserved are OBJREF_CUSTOM's two 32-bit fields
	// (both ignored on receipt by the spec).
	CbExtension uint32
	Reserved    uint32
	// ObjectData is OBJREF_CUSTOM's pObjectData; it aliases the input.
	ObjectData []byte
	// Anomalies has offsets relative to the OBJREF's first byte; the
	// resolver array's anomalies are merged in.
	Anomalies dissect.Anomalies
}

// Decode decodes the OBJREF in b (the abData of an MInterfacePointer) and
// returns the bytes consumed. A bad signature or flags word is recorded as
// an anomaly and returns dissect.ErrMalformed; a header shorter than its
// format needs returns dissect.ErrShort.
func (o *ObjRef) Decode(b []byte) (int, error) {
	*o = ObjRef{}
	r := ndr.NewReader(b, true, nil)
	o.Signature = r.U32()
	o.Flags = ObjRefFlags(r.U32())
	o.IID = r.UUID()
	if r.Err() != nil {
		return 0, dissect.ErrShort
	}
	if o.Signature != ObjRefSignature {
		o.Anomalies.Add(dissect.AnomDCOMBadObjRefSignature, 0, o.Signature, ObjRefSignature)
		return 0, dissect.ErrMalformed
	}
	switch o.Flags {
	case ObjRefStandard, ObjRefHandler, ObjRefExtended:
		o.Std = StdObjRef{Flags: r.U32(), PublicRefs: r.U32(), OXID: r.U64(), OID: r.U64(), IPID: r.UUID()}
		if o.Flags == ObjRefHandler {
			o.CLSID = r.UUID()
		}
		if o.Flags == ObjRefExtended {
			at := r.Off()
			if sig := r.U32(); r.Err() == nil && sig != objRefExtendedSignature {
				o.Anomalies.Add(dissect.AnomBadValue, at, sig, objRefExtendedSignature)
			}
		}
		if r.Err() != nil {
			return 0, dissect.ErrShort
		}
		start := r.Off()
		n, err := o.Resolver.Decode(r.Octets(r.Remaining()), true, FormPacked)
		if err != nil {
			return 0, err
		}
		o.HasResolver = true
		o.Anomalies.Merge(&o.Resolver.Anomalies, start)
		r.Skip(n)
		if o.Flags == ObjRefExtended {
			// nElms, Signature2 and the DATAELEMENT follow; they carry no
			// addresses and are left undecoded.
			return len(b), nil
		}
		if r.Remaining() > 0 {
			o.Anomalies.Add(dissect.AnomTrailingBytes, r.Off(), uint32(r.Remaining()), 0)
		}
		return len(b), nil
	case ObjRefCustom:
		o.CLSID = r.UUID()
		o.CbExtension = r.U32()
		o.Reserved = r.U32()
		if r.Err() != nil {
			return 0, dissect.ErrShort
		}
		o.ObjectData = r.Octets(r.Remaining())
		return len(b), nil
	}
	o.Anomalies.Add(dissect.AnomDCOMBadObjRefFlags, 4, uint32(o.Flags), 0)
	return 0, dissect.ErrMalformed
}

// MaxInterfaceRefs is how many returned interface pointers (PropsOutInfo,
// RemoteActivation's ppInterfaceData) are decoded into InterfaceRef values;
// the others are skipped by length and counted.
const MaxInterfaceRefs = 4

// InterfaceRef is one interface returned by an activation.
type InterfaceRef struct {
	IID dissect.UUID
	// HR is the interface's result (S_OK or an error).
	HR uint32
	// HasObjRef reports a non-NULL interface pointer whose OBJREF was
	// decoded (ObjRef's own anomalies are merged into the response's).
	HasObjRef bool
	ObjRef    ObjRef
}

// interfacePointers walks a conformant array of unique pointers to
// MInterfacePointer at the cursor (max_count, the pointers, then each
// referent: ulCntData, max_count, bytes) and decodes the first
// MaxInterfaceRefs OBJREFs into refs (refs[i].HasObjRef). want is the
// count the array must have, or -1 when nothing says. base is the offset of
// r.Stub()[0] in the structure the anomalies are relative to. It returns the
// array's count and false when the data ended.
func interfacePointers(r *ndr.Reader, refs *[MaxInterfaceRefs]InterfaceRef, want int64, an *dissect.Anomalies, base int) (uint32, bool) {
	at := (r.Off() + 3) &^ 3
	count := r.U32()
	if r.Err() != nil {
		an.Add(dissect.AnomTruncated, base+r.Off(), 4, uint32(r.Remaining()))
		return 0, false
	}
	if want >= 0 && int64(count) != want {
		an.Add(dissect.AnomDCOMMaxCountMismatch, base+at, count, uint32(want))
	}
	if uint64(count)*4 > uint64(r.Remaining()) {
		an.Add(dissect.AnomCountTooLarge, base+at, count, uint32(r.Remaining()/4))
		r.Fail(dissect.ErrLength)
		return count, false
	}
	var present [MaxInterfaceRefs]bool
	nonNull := 0
	for i := 0; i < int(count); i++ {
		if r.U32() != 0 {
			nonNull++
			if i < MaxInterfaceRefs {
				present[i] = true
			}
		}
	}
	// Referents follow in pointer order; the k-th referent belongs to the
	// k-th non-NULL pointer.
	slot := 0
	for k := 0; k < nonNull; k++ {
		for slot < MaxInterfaceRefs && !present[slot] {
			slot++
		}
		at := (r.Off() + 3) &^ 3
		cnt := r.U32()
		max := r.U32()
		if r.Err() != nil {
			an.Add(dissect.AnomTruncated, base+r.ErrOff(), 8, uint32(r.Remaining()))
			return count, false
		}
		if max != cnt {
			an.Add(dissect.AnomDCOMMaxCountMismatch, base+at+4, max, cnt)
		}
		if uint64(max) > uint64(r.Remaining()) {
			an.Add(dissect.AnomTruncated, base+at, max, uint32(r.Remaining()))
			r.Fail(dissect.ErrShort)
			return count, false
		}
		data := r.Octets(int(max))
		if slot < MaxInterfaceRefs {
			ref := &refs[slot]
			objOff := base + at + 8
			switch _, err := ref.ObjRef.Decode(data); err {
			case nil:
				ref.HasObjRef = true
			case dissect.ErrShort:
				an.Add(dissect.AnomTruncated, objOff, uint32(len(data)), 0)
			}
			an.Merge(&ref.ObjRef.Anomalies, objOff)
			slot++
		}
	}
	return count, r.Err() == nil
}
