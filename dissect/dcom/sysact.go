package dcom

import (
	"github.com/rpcwatch/rpcwatch/dissect"
	"github.com/rpcwatch/rpcwatch/dissect/ndr"
)

// ActivationResponse is the response of ISystemActivator
// RemoteCreateInstance (opnum 4) and RemoteGetClassObject (opnum 3), which
// have the same out-parameters:
//
//	ORPCthat         ORPCTHAT
//	ppActProperties  unique pointer to MInterfacePointer
//	                 { ulCntData u32; abData [ulCntData] byte = OBJREF }
//	return           HRESULT
//
// The OBJREF is an OBJREF_CUSTOM whose unmarshaler is
// CLSID_ActivationPropertiesOut and whose pObjectData is the activation
// properties blob (ActivationPropertiesOut): the OXID, its bindings and
// the interfaces created.
type ActivationResponse struct {
	ORPCThat ORPCThat
	// HasProperties reports a non-NULL ppActProperties holding an
	// OBJREF_CUSTOM for CLSID_ActivationPropertiesOut, whose blob was
	// decoded into Props.
	HasProperties bool
	// ObjRef is the OBJREF_CUSTOM's header (ObjRef.ObjectData is the
	// blob).
	ObjRef ObjRef
	// Props is the decoded blob, when ObjRef named
	// CLSID_ActivationPropertiesOut.
	Props ActivationPropertiesOut
	// HR is the HRESULT return value.
	HR uint32
	// Anomalies holds every anomaly found, the OBJREF's and the
	// properties' included, with stub-relative offsets.
	Anomalies dissect.Anomalies
}

// Bindings returns the object exporter's bindings from the ScmReplyInfo
// property, or nil when the response carries none.
func (p *ActivationResponse) Bindings() *DualStringArray {
	if p.Props.HasBindings {
		return &p.Props.Bindings
	}
	return nil
}

// Decode decodes the response stub. The HRESULT is read from right after
// the MInterfacePointer, whose length is known even when its contents are
// broken. On dissect.ErrShort the fields decoded before the failure are
// kept.
func (p *ActivationResponse) Decode(stub []byte, le bool) (int, error) {
	*p = ActivationResponse{}
	r := ndr.NewReader(stub, le, nil)
	if !p.ORPCThat.decode(&r, &p.Anomalies) {
		return finish(&r, &p.Anomalies)
	}
	if ptr := r.U32(); ptr != 0 && r.Err() == nil {
		at := r.Off()
		cnt := r.U32()
		max := r.U32()
		if r.Err() != nil {
			return finish(&r, &p.Anomalies)
		}
		if max != cnt {
			p.Anomalies.Add(dissect.AnomDCOMMaxCountMismatch, at+4, max, cnt)
		}
		if uint64(max) > uint64(r.Remaining()) {
			p.Anomalies.Add(dissect.AnomTruncated, at, max, uint32(r.Remaining()))
			r.Fail(dissect.ErrShort)
			return finish(&r, &p.Anomalies)
		}
		objOff := r.Off()
		p.decodeObjRef(r.Octets(int(max)), objOff)
	}
	p.HR = r.U32()
	return finish(&r, &p.Anomalies)
}

// decodeObjRef decodes the OBJREF_CUSTOM and its blob; off is its offset
// in the stub.
func (p *ActivationResponse) decodeObjRef(b []byte, off int) {
	_, err := p.ObjRef.Decode(b)
	p.Anomalies.Merge(&p.ObjRef.Anomalies, off)
	switch {
	case err == dissect.ErrShort:
		p.Anomalies.Add(dissect.AnomTruncated, off, uint32(len(b)), 0)
		return
	case err != nil:
		return
	case p.ObjRef.Flags != ObjRefCustom:
		p.Anomalies.Add(dissect.AnomDCOMBadObjRefFlags, off+4, uint32(p.ObjRef.Flags), uint32(ObjRefCustom))
		return
	case p.ObjRef.CLSID != CLSIDActivationPropertiesOut:
		c := p.ObjRef.CLSID
		p.Anomalies.Add(dissect.AnomDCOMUnexpectedCLSID, off+24, uint32(c[0])<<24|uint32(c[1])<<16|uint32(c[2])<<8|uint32(c[3]), 0x339)
		return
	}
	p.HasProperties = true
	blobOff := off + len(b) - len(p.ObjRef.ObjectData)
	if _, err := p.Props.Decode(p.ObjRef.ObjectData); err != nil {
		p.Anomalies.Add(dissect.AnomTruncated, blobOff, uint32(len(p.ObjRef.ObjectData)), 8)
	}
	if p.Props.HasBindings {
		p.Props.Bindings.Base += blobOff
	}
	p.Anomalies.Merge(&p.Props.Anomalies, blobOff)
}
