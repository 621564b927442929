package dcom

import (
	"github.com/rpcwatch/rpcwatch/dissect"
	"github.com/rpcwatch/rpcwatch/dissect/ndr"
)

// ObjectExporterOpnum is an operation of IObjectExporter, the OXID resolver
// (99fcfec4-5260-101b-bbcb-00aa0021347a v0.0, MS-DCOM 3.1.2.5.1). It is
// not an ORPC interface: its calls carry no ORPCTHIS/ORPCTHAT.
type ObjectExporterOpnum uint16

// IObjectExporter operations.
const (
	OpResolveOxid  ObjectExporterOpnum = 0
	OpSimplePing   ObjectExporterOpnum = 1
	OpComplexPing  ObjectExporterOpnum = 2
	OpServerAlive  ObjectExporterOpnum = 3
	OpResolveOxid2 ObjectExporterOpnum = 4
	OpServerAlive2 ObjectExporterOpnum = 5
)

var objectExporterNames = [...]string{
	"ResolveOxid", "SimplePing", "ComplexPing", "ServerAlive", "ResolveOxid2", "ServerAlive2",
}

// String returns the operation name, e.g. "ServerAlive2".
func (o ObjectExporterOpnum) String() string {
	if int(o) < len(objectExporterNames) {
		return objectExporterNames[o]
	}
	return "opnum-" + string(dissect.AppendUint(nil, uint64(o)))
}

// SCMActivatorOpnum is an operation of ISystemActivator
// (IRemoteSCMActivator, 000001a0-0000-0000-c000-000000000046 v0.0,
// MS-DCOM 3.1.2.5.2.3). Opnums 0..2 are not used on the wire.
type SCMActivatorOpnum uint16

// ISystemActivator operations.
const (
	OpRemoteGetClassObject SCMActivatorOpnum = 3
	OpRemoteCreateInstance SCMActivatorOpnum = 4
)

// String returns the operation name.
func (o SCMActivatorOpnum) String() string {
	switch o {
	case OpRemoteGetClassObject:
		return "RemoteGetClassObject"
	case OpRemoteCreateInstance:
		return "RemoteCreateInstance"
	}
	return "opnum-" + string(dissect.AppendUint(nil, uint64(o)))
}

// RemoteActivationOpnum is IRemoteActivation::RemoteActivation's opnum
// (4d9f4ab8-7d1c-11cf-861e-0020af6e7c57 v0.0), the interface's only
// operation.
const RemoteActivationOpnum = 0

// MaxRequestedProtseqs is how many requested protocol sequences a
// ResolveOxidRequest keeps; more are counted.
const MaxRequestedProtseqs = 16

// ResolveOxidRequest is the request of ResolveOxid (opnum 0) and
// ResolveOxid2 (opnum 4), which share their in-parameters:
//
//	*pOxid               u64 (ref pointer: the value only)
//	cRequestedProtseqs   u16
//	arRequestedProtseqs  conformant array: max_count u32, u16 tower ids
type ResolveOxidRequest struct {
	OXID uint64
	// NumProtseqs is cRequestedProtseqs; MaxCount is the array's
	// conformance, which must equal it.
	NumProtseqs uint16
	MaxCount    uint32
	// Protseqs holds the first NumKept requested tower ids.
	Protseqs  [MaxRequestedProtseqs]TowerID
	NumKept   int
	Anomalies dissect.Anomalies
}

// Decode decodes a ResolveOxid or ResolveOxid2 request stub. It returns
// dissect.ErrShort when the fixed fields do not fit and dissect.ErrLength
// when max_count asks for more units than remain.
func (q *ResolveOxidRequest) Decode(stub []byte, le bool) (int, error) {
	*q = ResolveOxidRequest{}
	r := ndr.NewReader(stub, le, nil)
	q.OXID = r.U64()
	q.NumProtseqs = r.U16()
	at := r.Off()
	q.MaxCount = r.U32()
	if r.Err() != nil {
		return 0, dissect.ErrShort
	}
	if at = (at + 3) &^ 3; q.MaxCount != uint32(q.NumProtseqs) {
		q.Anomalies.Add(dissect.AnomDCOMMaxCountMismatch, at, q.MaxCount, uint32(q.NumProtseqs))
	}
	if uint64(q.MaxCount)*2 > uint64(r.Remaining()) {
		q.Anomalies.Add(dissect.AnomCountTooLarge, at, q.MaxCount, uint32(r.Remaining()/2))
		return r.Off(), dissect.ErrLength
	}
	for i := 0; i < int(q.MaxCount); i++ {
		t := TowerID(r.U16())
		if q.NumKept < MaxRequestedProtseqs {
			q.Protseqs[q.NumKept] = t
			q.NumKept++
		}
	}
	if r.Remaining() > 0 {
		q.Anomalies.Add(dissect.AnomTrailingBytes, r.Off(), uint32(r.Remaining()), 0)
	}
	return r.Off(), nil
}

// decodeDSAPointer reads a unique pointer to a DUALSTRINGARRAY and, when
// it is not NULL, the array. Anomalies of the array are merged into an
// rebased to the stub. It reports whether the pointer was non-NULL.
func decodeDSAPointer(r *ndr.Reader, d *DualStringArray, an *dissect.Anomalies) bool {
	*d = DualStringArray{}
	if r.U32() == 0 || r.Err() != nil {
		return false
	}
	r.Align(4)
	if r.Err() != nil {
		return true
	}
	start := r.Off()
	n, err := d.Decode(r.Stub()[start:], r.LittleEndian(), FormNDR)
	if err != nil {
		r.Fail(dissect.ErrShort)
		return true
	}
	d.Base = start
	an.Merge(&d.Anomalies, start)
	r.Skip(n)
	return true
}

// finish checks the end of a response stub. When the reader stopped it
// returns its error: dissect.ErrShort (the stub ended early, also recorded
// as AnomDCOMTruncated where it happened) or dissect.ErrLength (a count
// larger than the stub, recorded by the caller). Bytes left after a complete
// response are an AnomTrailingBytes.
func finish(r *ndr.Reader, an *dissect.Anomalies) (int, error) {
	if err := r.Err(); err != nil {
		if err == dissect.ErrShort {
			an.Add(dissect.AnomDCOMTruncated, r.ErrOff(), uint32(r.ErrOff()), uint32(len(r.Stub())))
		}
		return r.Off(), err
	}
	if r.Remaining() > 0 {
		an.Add(dissect.AnomTrailingBytes, r.Off(), uint32(r.Remaining()), 0)
	}
	return r.Off(), nil
}

// ResolveOxidResponse is the response of ResolveOxid (opnum 0):
// ppdsaOxidBindings, pipidRemUnknown, pAuthnHint, status.
type ResolveOxidResponse struct {
	// HasBindings reports a non-NULL ppdsaOxidBindings; Bindings is the
	// object exporter's DUALSTRINGARRAY.
	HasBindings    bool
	Bindings       DualStringArray
	IPIDRemUnknown dissect.UUID
	AuthnHint      uint32
	// Status is the error_status_t return value.
	Status uint32
	// Anomalies holds the response's anomalies, the bindings' included,
	// with stub-relative offsets.
	Anomalies dissect.Anomalies
}

// Decode decodes the response stub. On error (dissect.ErrShort: the stub
// ended early; dissect.ErrLength: a count larger than the stub) the fields
// decoded before the failure are kept.
func (p *ResolveOxidResponse) Decode(stub []byte, le bool) (int, error) {
	*p = ResolveOxidResponse{}
	r := ndr.NewReader(stub, le, nil)
	p.HasBindings = decodeDSAPointer(&r, &p.Bindings, &p.Anomalies)
	p.IPIDRemUnknown = r.UUID()
	p.AuthnHint = r.U32()
	p.Status = r.U32()
	return finish(&r, &p.Anomalies)
}

// ServerAliveResponse is the response of ServerAlive (opnum 3): the status
// only.
type ServerAliveResponse struct {
	Status    uint32
	Anomalies dissect.Anomalies
}

// Decode decodes the response stub.
func (p *ServerAliveResponse) Decode(stub []byte, le bool) (int, error) {
	*p = ServerAliveResponse{}
	r := ndr.NewReader(stub, le, nil)
	p.Status = r.U32()
	return finish(&r, &p.Anomalies)
}

// ResolveOxid2Response is the response of ResolveOxid2 (opnum 4):
// ppdsaOxidBindings, pipidRemUnknown, pAuthnHint, pComVersion, status.
type ResolveOxid2Response struct {
	HasBindings    bool
	Bindings       DualStringArray
	IPIDRemUnknown dissect.UUID
	AuthnHint      uint32
	Version        COMVersion
	Status         uint32
	Anomalies      dissect.Anomalies
}

// Decode decodes the response stub. On error the fields decoded before the
// failure are kept.
func (p *ResolveOxid2Response) Decode(stub []byte, le bool) (int, error) {
	*p = ResolveOxid2Response{}
	r := ndr.NewReader(stub, le, nil)
	p.HasBindings = decodeDSAPointer(&r, &p.Bindings, &p.Anomalies)
	p.IPIDRemUnknown = r.UUID()
	p.AuthnHint = r.U32()
	p.Version = comVersion(&r)
	p.Status = r.U32()
	return finish(&r, &p.Anomalies)
}

// ServerAlive2Response is the response of ServerAlive2 (opnum 5):
// pComVersion, ppdsaOrBindings (the resolver's own bindings), pReserved,
// status.
type ServerAlive2Response struct {
	Version     COMVersion
	HasBindings bool
	Bindings    DualStringArray
	Reserved    uint32
	Status      uint32
	Anomalies   dissect.Anomalies
}

// Decode decodes the response stub. On error the fields decoded before the
// failure are kept.
func (p *ServerAlive2Response) Decode(stub []byte, le bool) (int, error) {
	*p = ServerAlive2Response{}
	r := ndr.NewReader(stub, le, nil)
	p.Version = comVersion(&r)
	p.HasBindings = decodeDSAPointer(&r, &p.Bindings, &p.Anomalies)
	p.Reserved = r.U32()
	p.Status = r.U32()
	return finish(&r, &p.Anomalies)
}
