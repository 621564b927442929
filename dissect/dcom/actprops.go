package dcom

import (
	"github.com/rpcwatch/rpcwatch/dissect"
	"github.com/rpcwatch/rpcwatch/dissect/ndr"
)

// Class and interface ids of the activation properties (MS-DCOM 1.9).
var (
	// CLSIDActivationPropertiesOut is the unmarshaler of the
	// OBJREF_CUSTOM that carries an activation answer.
	CLSIDActivationPropertiesOut = dissect.MustParseUUID("00000339-0000-0000-c000-000000000046")
	// CLSIDPropsOutInfo names the PropsOutInfo property (the same value as
	// CLSIDActivationPropertiesOut).
	CLSIDPropsOutInfo = dissect.MustParseUUID("00000339-0000-0000-c000-000000000046")
	// CLSIDScmReplyInfo names the ScmReplyInfo property.
	CLSIDScmReplyInfo = dissect.MustParseUUID("000001b6-0000-0000-c000-000000000046")
	// IIDIActivationPropertiesOut is the OBJREF's interface id.
	IIDIActivationPropertiesOut = dissect.MustParseUUID("000001a3-0000-0000-c000-000000000046")
)

// MaxActivationProperties is MAX_ACTPROP_LIMIT (MS-DCOM 2.2.28.1), the
// most properties a CustomHeader may list; the CLSIDs and sizes beyond it
// are not kept and the walk stops there.
const MaxActivationProperties = 10

// CustomHeader is the type-serialized CustomHeader that starts an
// activation properties blob (MS-DCOM 2.2.22.1).
type CustomHeader struct {
	// TotalSize must equal the blob's dwSize; HeaderSize is the
	// serialized header's own length, where the first property starts.
	TotalSize  uint32
	HeaderSize uint32
	Reserved   uint32
	DestCtx    uint32
	// NumProps is cIfs, the number of properties.
	NumProps       uint32
	ClassInfoCLSID dissect.UUID
	// CLSIDs and Sizes describe the first NumKept properties, in blob
	// order.
	CLSIDs  [MaxActivationProperties]dissect.UUID
	Sizes   [MaxActivationProperties]uint32
	NumKept int
}

// ActivationPropertiesOut is the activation answer inside an
// OBJREF_CUSTOM (MS-DCOM 2.2.22):
//
//	dwSize      u32 (little-endian)  bytes after dwReserved
//	dwReserved  u32
//	CustomHeader  type-serialized (MS-RPCE 2.2.6: 8-byte common header,
//	              8-byte private header, NDR in the header's byte order)
//	properties  each type-serialized, sizes and CLSIDs from the header
//
// The ScmReplyInfo property gives the OXID and its bindings; PropsOutInfo
// gives the interfaces, whose OBJREFs carry the resolver's bindings.
type ActivationPropertiesOut struct {
	Size     uint32
	Reserved uint32
	Header   CustomHeader

	// HasScmReply reports that the ScmReplyInfo property was found;
	// HasRemoteReply that its remoteReply pointer was not NULL.
	HasScmReply    bool
	HasRemoteReply bool
	OXID           uint64
	// HasBindings reports a non-NULL pdsaOxidBindings: the object
	// exporter's string and security bindings.
	HasBindings    bool
	Bindings       DualStringArray
	IPIDRemUnknown dissect.UUID
	AuthnHint      uint32
	ServerVersion  COMVersion

	// HasPropsOut reports that the PropsOutInfo property was found.
	// NumInterfaces is its cIfs; Interfaces holds the first
	// MaxInterfaceRefs of them.
	HasPropsOut   bool
	NumInterfaces uint32
	Interfaces    [MaxInterfaceRefs]InterfaceRef

	// Anomalies has offsets relative to the blob's first byte (dwSize).
	Anomalies dissect.Anomalies
}

// typeSerialized checks a type serialization version 1 header at b[0:16]
// and returns the NDR data of the one top-level type it carries (clipped to
// b) and its byte order. base is b's offset for anomalies.
func typeSerialized(b []byte, an *dissect.Anomalies, base int) (data []byte, le, ok bool) {
	if len(b) < 16 {
		an.Add(dissect.AnomDCOMBadSerializationHeader, base, uint32(len(b)), 16)
		return nil, false, false
	}
	if b[0] != 1 {
		an.Add(dissect.AnomDCOMBadSerializationHeader, base, uint32(b[0]), 1)
		return nil, false, false
	}
	switch b[1] {
	case 0x10:
		le = true
	case 0x00:
	default:
		an.Add(dissect.AnomDCOMBadSerializationHeader, base+1, uint32(b[1]), 0x10)
		return nil, false, false
	}
	if hl := dissect.U16(b, 2, true); hl != 8 {
		an.Add(dissect.AnomDCOMBadSerializationHeader, base+2, uint32(hl), 8)
	}
	n := dissect.U32(b, 8, le)
	if uint64(n) > uint64(len(b)-16) {
		an.Add(dissect.AnomDCOMBadSerializationHeader, base+8, n, uint32(len(b)-16))
		n = uint32(len(b) - 16)
	}
	return b[16 : 16+int(n)], le, true
}

// Decode decodes an activation properties blob (an OBJREF_CUSTOM's
// pObjectData) and returns the bytes consumed. Only a blob shorter than
// dwSize and dwReserved is an error (dissect.ErrShort); the rest is
// reported as anomalies and decoding goes as far as it safely can.
func (a *ActivationPropertiesOut) Decode(blob []byte) (int, error) {
	*a = ActivationPropertiesOut{}
	if len(blob) < 8 {
		return 0, dissect.ErrShort
	}
	a.Size = dissect.U32(blob, 0, true)
	a.Reserved = dissect.U32(blob, 4, true)
	body := blob[8:]
	if uint64(a.Size) > uint64(len(body)) {
		a.Anomalies.Add(dissect.AnomDCOMPropertySizes, 0, a.Size, uint32(len(body)))
	} else {
		body = body[:a.Size]
	}
	const bodyOff = 8
	if !a.decodeHeader(body, bodyOff) {
		return 8 + len(body), nil
	}
	h := &a.Header
	if h.TotalSize != a.Size {
		a.Anomalies.Add(dissect.AnomDCOMPropertySizes, bodyOff+16, h.TotalSize, a.Size)
	}
	off := uint64(h.HeaderSize)
	if off > uint64(len(body)) {
		a.Anomalies.Add(dissect.AnomDCOMPropertySizes, bodyOff+20, h.HeaderSize, uint32(len(body)))
		return 8 + len(body), nil
	}
	sum := off
	for i := 0; i < h.NumKept; i++ {
		size := uint64(h.Sizes[i])
		sum += size
		if off+size > uint64(len(body)) {
			a.Anomalies.Add(dissect.AnomDCOMPropertySizeBeyondBlob, bodyOff+int(off), uint32(i), h.Sizes[i])
			return 8 + len(body), nil
		}
		prop := body[off : off+size]
		base := bodyOff + int(off)
		switch h.CLSIDs[i] {
		case CLSIDScmReplyInfo:
			a.scmReplyInfo(prop, base)
		case CLSIDPropsOutInfo:
			a.propsOutInfo(prop, base)
		}
		off += size
	}
	if h.NumKept == int(h.NumProps) && sum != uint64(h.TotalSize) {
		a.Anomalies.Add(dissect.AnomDCOMPropertySizes, bodyOff+16, h.TotalSize, clampU32(sum))
	}
	return 8 + len(body), nil
}

// decodeHeader reads the type-serialized CustomHeader at the start of body.
func (a *ActivationPropertiesOut) decodeHeader(body []byte, base int) bool {
	data, le, ok := typeSerialized(body, &a.Anomalies, base)
	if !ok {
		return false
	}
	base += 16
	h := &a.Header
	r := ndr.NewReader(data, le, nil)
	h.TotalSize = r.U32()
	h.HeaderSize = r.U32()
	h.Reserved = r.U32()
	h.DestCtx = r.U32()
	h.NumProps = r.U32()
	h.ClassInfoCLSID = r.UUID()
	pCLSID, pSizes, pReserved := r.U32(), r.U32(), r.U32()
	if r.Err() != nil {
		a.Anomalies.Add(dissect.AnomDCOMTruncated, base, uint32(len(data)), 0)
		return false
	}
	if h.NumProps > MaxActivationProperties {
		a.Anomalies.Add(dissect.AnomLimit, base+16, h.NumProps, MaxActivationProperties)
	}
	nCLSID, nSizes := 0, 0
	if pCLSID != 0 {
		at := r.Off()
		max := r.U32()
		if !a.countFits(&r, max, 16, h.NumProps, base+at) {
			return false
		}
		for i := 0; i < int(max); i++ {
			u := r.UUID()
			if i < MaxActivationProperties {
				h.CLSIDs[i] = u
				nCLSID++
			}
		}
	}
	if pSizes != 0 {
		at := r.Off()
		max := r.U32()
		if !a.countFits(&r, max, 4, h.NumProps, base+at) {
			return false
		}
		for i := 0; i < int(max); i++ {
			s := r.U32()
			if i < MaxActivationProperties {
				h.Sizes[i] = s
				nSizes++
			}
		}
	}
	if pReserved != 0 {
		r.U32()
	}
	if r.Err() != nil {
		a.Anomalies.Add(dissect.AnomDCOMTruncated, base+r.Off(), uint32(len(data)), 0)
		return false
	}
	h.NumKept = min(nCLSID, nSizes, int(min(h.NumProps, MaxActivationProperties)))
	return true
}

// countFits checks a conformant array's max_count against the count field
// it must equal and against the bytes left (elem bytes each).
func (a *ActivationPropertiesOut) countFits(r *ndr.Reader, max uint32, elem int, want uint32, at int) bool {
	if r.Err() != nil {
		return false
	}
	if max != want {
		a.Anomalies.Add(dissect.AnomDCOMMaxCountMismatch, at, max, want)
	}
	if uint64(max)*uint64(elem) > uint64(r.Remaining()) {
		a.Anomalies.Add(dissect.AnomCountTooLarge, at, max, uint32(r.Remaining()/elem))
		return false
	}
	return true
}

// scmReplyInfo decodes the ScmReplyInfo property:
//
//	unused       pointer, NULL
//	remoteReply  unique pointer to customREMOTE_REPLY_SCM_INFO
//	  Oxid u64, pdsaOxidBindings unique pointer to DUALSTRINGARRAY,
//	  ipidRemUnknown GUID, authnHint u32, serverVersion COMVERSION
func (a *ActivationPropertiesOut) scmReplyInfo(prop []byte, base int) {
	data, le, ok := typeSerialized(prop, &a.Anomalies, base)
	if !ok {
		return
	}
	a.HasScmReply = true
	base += 16
	r := ndr.NewReader(data, le, nil)
	unused := r.U32()
	reply := r.U32()
	switch {
	case r.Err() != nil:
		a.Anomalies.Add(dissect.AnomDCOMTruncated, base, uint32(len(data)), 0)
		return
	case unused != 0:
		a.Anomalies.Add(dissect.AnomDCOMUnexpectedPointer, base, unused, 0)
		return
	case reply == 0:
		return
	}
	a.HasRemoteReply = true
	a.OXID = r.U64()
	pdsa := r.U32()
	a.IPIDRemUnknown = r.UUID()
	a.AuthnHint = r.U32()
	a.ServerVersion = comVersion(&r)
	if r.Err() != nil {
		a.Anomalies.Add(dissect.AnomDCOMTruncated, base+r.Off(), uint32(len(data)), 0)
		return
	}
	if pdsa == 0 {
		return
	}
	r.Align(4)
	if r.Err() != nil {
		return
	}
	a.HasBindings = true
	start := r.Off()
	if _, err := a.Bindings.Decode(data[start:], le, FormNDR); err != nil {
		a.Anomalies.Add(dissect.AnomDCOMTruncated, base+start, uint32(len(data)), 0)
	}
	a.Bindings.Base = base + start
	a.Anomalies.Merge(&a.Bindings.Anomalies, base+start)
}

// propsOutInfo decodes the PropsOutInfo property:
//
//	cIfs        u32
//	piid        unique pointer to [cIfs] IID
//	phresults   unique pointer to [cIfs] HRESULT
//	ppIntfData  unique pointer to [cIfs] unique pointers to MInterfacePointer
func (a *ActivationPropertiesOut) propsOutInfo(prop []byte, base int) {
	data, le, ok := typeSerialized(prop, &a.Anomalies, base)
	if !ok {
		return
	}
	a.HasPropsOut = true
	base += 16
	r := ndr.NewReader(data, le, nil)
	a.NumInterfaces = r.U32()
	piid, phr, pintf := r.U32(), r.U32(), r.U32()
	if r.Err() != nil {
		a.Anomalies.Add(dissect.AnomDCOMTruncated, base, uint32(len(data)), 0)
		return
	}
	if piid != 0 {
		at := r.Off()
		max := r.U32()
		if !a.countFits(&r, max, 16, a.NumInterfaces, base+at) {
			return
		}
		for i := 0; i < int(max); i++ {
			u := r.UUID()
			if i < MaxInterfaceRefs {
				a.Interfaces[i].IID = u
			}
		}
	}
	if phr != 0 {
		at := r.Off()
		max := r.U32()
		if !a.countFits(&r, max, 4, a.NumInterfaces, base+at) {
			return
		}
		for i := 0; i < int(max); i++ {
			h := r.U32()
			if i < MaxInterfaceRefs {
				a.Interfaces[i].HR = h
			}
		}
	}
	if pintf != 0 {
		interfacePointers(&r, &a.Interfaces, int64(a.NumInterfaces), &a.Anomalies, base)
	}
}
