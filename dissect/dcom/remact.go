package dcom

import (
	"github.com/rpcwatch/rpcwatch/dissect"
	"github.com/rpcwatch/rpcwatch/dissect/ndr"
)

// RemoteActivationResponse is the response of
// IRemoteActivation::RemoteActivation (opnum 0, MS-DCOM 3.1.2.5.2.3.1):
//
//	ORPCthat           ORPCTHAT
//	*pOxid             u64
//	ppdsaOxidBindings  unique pointer to DUALSTRINGARRAY
//	pipidRemUnknown    GUID
//	pAuthnHint         u32
//	pServerVersion     COMVERSION
//	phr                HRESULT
//	ppInterfaceData    [Interfaces] unique pointers to MInterfacePointer
//	pResults           [Interfaces] HRESULT
//	return             HRESULT
//
// Everything up to phr is decoded (the bindings are what matters); the
// interface pointers and results after it are walked when they are
// consistent, and a problem there stops the walk with an anomaly without
// losing what came before (Complete is then false).
type RemoteActivationResponse struct {
	ORPCThat       ORPCThat
	OXID           uint64
	HasBindings    bool
	Bindings       DualStringArray
	IPIDRemUnknown dissect.UUID
	AuthnHint      uint32
	ServerVersion  COMVersion
	HR             uint32
	// NumInterfaces is the conformance of ppInterfaceData; Interfaces
	// holds the first MaxInterfaceRefs (IID is not on the wire here and
	// stays zero; HR comes from pResults).
	NumInterfaces uint32
	Interfaces    [MaxInterfaceRefs]InterfaceRef
	// Status is the return value; Complete reports that the stub was
	// decoded to its end.
	Status    uint32
	Complete  bool
	Anomalies dissect.Anomalies
}

// Decode decodes the response stub. dissect.ErrShort means the stub ended
// before phr; an inconsistency after phr is an anomaly and returns no
// error, with Complete false.
func (p *RemoteActivationResponse) Decode(stub []byte, le bool) (int, error) {
	*p = RemoteActivationResponse{}
	r := ndr.NewReader(stub, le, nil)
	if !p.ORPCThat.decode(&r, &p.Anomalies) {
		return finish(&r, &p.Anomalies)
	}
	p.OXID = r.U64()
	if r.Err() != nil {
		return finish(&r, &p.Anomalies)
	}
	p.HasBindings = decodeDSAPointer(&r, &p.Bindings, &p.Anomalies)
	p.IPIDRemUnknown = r.UUID()
	p.AuthnHint = r.U32()
	p.ServerVersion = comVersion(&r)
	p.HR = r.U32()
	if r.Err() != nil {
		return finish(&r, &p.Anomalies)
	}
	head := r.Off()

	count, ok := interfacePointers(&r, &p.Interfaces, -1, &p.Anomalies, 0)
	p.NumInterfaces = count
	if !ok {
		return head, nil
	}
	at := r.Off()
	results := r.U32()
	if r.Err() != nil {
		p.Anomalies.Add(dissect.AnomDCOMTruncated, at, uint32(at), uint32(len(stub)))
		return head, nil
	}
	if results != count {
		p.Anomalies.Add(dissect.AnomDCOMMaxCountMismatch, (at+3)&^3, results, count)
	}
	if uint64(results)*4 > uint64(r.Remaining()) {
		p.Anomalies.Add(dissect.AnomCountTooLarge, (at+3)&^3, results, uint32(r.Remaining()/4))
		return head, nil
	}
	for i := 0; i < int(results); i++ {
		h := r.U32()
		if i < MaxInterfaceRefs {
			p.Interfaces[i].HR = h
		}
	}
	p.Status = r.U32()
	if r.Err() != nil {
		p.Anomalies.Add(dissect.AnomDCOMTruncated, r.Off(), uint32(r.Off()), uint32(len(stub)))
		return head, nil
	}
	p.Complete = true
	return finish(&r, &p.Anomalies)
}
