package dcetest

import (
	"encoding/binary"
	"unicode/utf16"

	"github.com/rpcwatch/rpcwatch/dissect"
)

// Fixture builders for DCOM: DUALSTRINGARRAYs, OBJREFs, the OXID resolver's
// (IObjectExporter) requests and responses, IRemoteActivation and
// ISystemActivator responses. Every builder takes the stub's byte order;
// OBJREFs are little-endian whatever it is (MS-DCOM 2.2.18), and
// type-serialized activation properties follow the byte order they are
// given.

// SB is one STRINGBINDING: a tower id and the network address text, with an
// optional "[endpoint]" suffix, e.g. {0x07, "172.18.39.6[49913]"}.
type SB struct {
	Tower uint16
	Addr  string
}

// SecB is one SECURITYBINDING.
type SecB struct {
	Authn, Authz uint16
	Princ        string
}

// Tower ids used by the fixtures.
const (
	TowerTCP = 0x07 // ncacn_ip_tcp
	TowerUDP = 0x08 // ncadg_ip_udp
	TowerNP  = 0x0f // ncacn_np
)

// The KB Q224460 seed scenario: a multihomed server (157.61.239.61 and
// 157.61.239.5) whose resolver glued its two addresses into one.
var (
	// KB224460Fused is the broken binding list as the fault produced it.
	KB224460Fused = []SB{
		{TowerUDP, "157.61.239.61157.61.239.5[1039]"},
		{TowerTCP, "157.61.239.61157.61.239.5[1038]"},
	}
	// KB224460Correct is what the server should have sent.
	KB224460Correct = []SB{
		{TowerTCP, "157.61.239.61[1038]"},
		{TowerTCP, "157.61.239.5[1038]"},
	}
	// KB224460Names are host-name entries as a resolver sends them next to
	// the addresses.
	KB224460Names = []SB{
		{TowerTCP, "SRV20[1038]"},
		{TowerUDP, "SRV20[1039]"},
	}
	// DefaultSecurity is a typical security-binding list.
	DefaultSecurity = []SecB{
		{9, 0xffff, ""},
		{10, 0xffff, ""},
		{16, 0xffff, "host/SRV20.example.local"},
	}
)

// DSA describes a DUALSTRINGARRAY. With only Strings and Security set it is
// well formed; the other fields corrupt it on purpose.
type DSA struct {
	Strings  []SB
	Security []SecB
	// NumEntries, SecurityOffset and MaxCount replace the computed values
	// when not nil.
	NumEntries     *uint16
	SecurityOffset *uint16
	MaxCount       *uint32
	// NoStringTerminator and NoSecurityTerminator leave out the 0x0000 that
	// ends each list.
	NoStringTerminator   bool
	NoSecurityTerminator bool
	// Extra units are appended after the security terminator and counted
	// in wNumEntries.
	Extra []uint16
	// Raw, when not nil, is the whole aStringArray (Strings, Security and
	// the terminator flags are ignored; wSecurityOffset defaults to 0).
	Raw []uint16
}

// Ptr returns a pointer to v (for the DSA overrides).
func Ptr[T any](v T) *T { return &v }

// UTF16 returns the UTF-16 units of s.
func UTF16(s string) []uint16 { return utf16.Encode([]rune(s)) }

// Units returns aStringArray and the computed wSecurityOffset.
func (x DSA) Units() (units []uint16, secOff uint16) {
	if x.Raw != nil {
		return x.Raw, 0
	}
	for _, s := range x.Strings {
		units = append(units, s.Tower)
		units = append(units, UTF16(s.Addr)...)
		units = append(units, 0)
	}
	if !x.NoStringTerminator {
		units = append(units, 0)
	}
	secOff = uint16(len(units))
	for _, s := range x.Security {
		units = append(units, s.Authn, s.Authz)
		units = append(units, UTF16(s.Princ)...)
		units = append(units, 0)
	}
	if !x.NoSecurityTerminator {
		units = append(units, 0)
	}
	units = append(units, x.Extra...)
	return units, secOff
}

func (x DSA) header(units []uint16, secOff uint16) (num, off uint16, maxCount uint32) {
	num, off = uint16(len(units)), secOff
	if x.NumEntries != nil {
		num = *x.NumEntries
	}
	if x.SecurityOffset != nil {
		off = *x.SecurityOffset
	}
	maxCount = uint32(len(units))
	if x.MaxCount != nil {
		maxCount = *x.MaxCount
	}
	return num, off, maxCount
}

// DualStringArrayNDR appends the NDR form (max_count first, every unit in
// e's byte order), aligned to 4. At most max_count of the units built are
// written: a smaller MaxCount cuts the array, a larger one leaves the
// data short of what it announces.
func (e *Enc) DualStringArrayNDR(x DSA) *Enc {
	units, secOff := x.Units()
	num, off, maxCount := x.header(units, secOff)
	e.Align(4).U32(maxCount).U16(num).U16(off)
	for i, u := range units {
		if uint32(i) >= maxCount {
			break
		}
		e.U16(u)
	}
	return e
}

// DualStringArrayPacked returns the packet form used inside OBJREFs
// (little-endian, no max_count).
func DualStringArrayPacked(x DSA) []byte {
	units, secOff := x.Units()
	num, off, _ := x.header(units, secOff)
	e := New(true)
	e.U16(num).U16(off)
	for _, u := range units {
		e.U16(u)
	}
	return e.B
}

// Extent is one ORPC_EXTENT.
type Extent struct {
	ID   dissect.UUID
	Data []byte
}

// ORPCThat appends an ORPCTHAT: flags and, when extents are given, the
// ORPC_EXTENT_ARRAY with its pointers (array size rounded up to even, as
// MS-DCOM requires, with NULL pointers for the padding).
func (e *Enc) ORPCThat(flags uint32, extents []Extent) *Enc {
	e.Align(4).U32(flags)
	if len(extents) == 0 {
		return e.U32(0)
	}
	e.U32(0x00020000)
	e.U32(uint32(len(extents))).U32(0).U32(0x00020004)
	n := (len(extents) + 1) &^ 1
	e.U32(uint32(n))
	for i := 0; i < n; i++ {
		if i < len(extents) {
			e.U32(0x00020008 + uint32(4*i))
		} else {
			e.U32(0)
		}
	}
	for _, x := range extents {
		size := (len(x.Data) + 7) &^ 7
		e.Align(4).U32(uint32(size)).UUID(x.ID).U32(uint32(len(x.Data)))
		e.Bytes(x.Data).Zero(size - len(x.Data))
	}
	return e
}

// OXIDReply holds the out-parameters of the IObjectExporter responses.
type OXIDReply struct {
	// Bindings is the DUALSTRINGARRAY; nil sends a NULL pointer.
	Bindings  *DSA
	IPID      dissect.UUID
	AuthnHint uint32
	// Major and Minor are the COMVERSION (5.7 when both are zero).
	Major, Minor uint16
	Reserved     uint32
	Status       uint32
}

func (r OXIDReply) version() (uint16, uint16) {
	if r.Major == 0 && r.Minor == 0 {
		return 5, 7
	}
	return r.Major, r.Minor
}

func (e *Enc) dsaPointer(x *DSA, referent uint32) *Enc {
	e.Align(4)
	if x == nil {
		return e.U32(0)
	}
	return e.U32(referent).DualStringArrayNDR(*x)
}

// ServerAlive2Response returns the stub of an IObjectExporter::ServerAlive2
// (opnum 5) response advertising the given bindings, status 0.
func ServerAlive2Response(le bool, strings []SB, security []SecB) []byte {
	return ServerAlive2ResponseOf(le, OXIDReply{Bindings: &DSA{Strings: strings, Security: security}})
}

// ServerAlive2ResponseOf returns a ServerAlive2 response stub:
// COMVERSION, ppdsaOrBindings, pReserved, status.
func ServerAlive2ResponseOf(le bool, r OXIDReply) []byte {
	e := New(le)
	maj, min := r.version()
	e.U16(maj).U16(min)
	e.dsaPointer(r.Bindings, 0x00020000)
	e.Align(4).U32(r.Reserved).U32(r.Status)
	return e.B
}

// ResolveOxid2Response returns the stub of an IObjectExporter::ResolveOxid2
// (opnum 4) response with the given bindings, status 0.
func ResolveOxid2Response(le bool, strings []SB, security []SecB) []byte {
	return ResolveOxid2ResponseOf(le, OXIDReply{
		Bindings:  &DSA{Strings: strings, Security: security},
		IPID:      dissect.MustParseUUID("0000ec00-079c-0000-a0ec-6c1835106534"),
		AuthnHint: 4,
	})
}

// ResolveOxid2ResponseOf returns a ResolveOxid2 response stub:
// ppdsaOxidBindings, pipidRemUnknown, pAuthnHint, pComVersion, status.
func ResolveOxid2ResponseOf(le bool, r OXIDReply) []byte {
	e := New(le)
	e.dsaPointer(r.Bindings, 0x00020000)
	e.Align(4).UUID(r.IPID).U32(r.AuthnHint)
	maj, min := r.version()
	e.U16(maj).U16(min).U32(r.Status)
	return e.B
}

// ResolveOxidResponseOf returns a ResolveOxid (opnum 0) response stub:
// ppdsaOxidBindings, pipidRemUnknown, pAuthnHint, status.
func ResolveOxidResponseOf(le bool, r OXIDReply) []byte {
	e := New(le)
	e.dsaPointer(r.Bindings, 0x00020000)
	e.Align(4).UUID(r.IPID).U32(r.AuthnHint).U32(r.Status)
	return e.B
}

// ServerAliveResponse returns a ServerAlive (opnum 3) response stub.
func ServerAliveResponse(le bool, status uint32) []byte {
	return New(le).U32(status).B
}

// ResolveOxidRequest returns a ResolveOxid or ResolveOxid2 request stub
// (the two have the same in-parameters): *pOxid, cRequestedProtseqs and the
// conformant arRequestedProtseqs. maxCount < 0 uses len(protseqs).
func ResolveOxidRequest(le bool, oxid uint64, protseqs []uint16, maxCount int) []byte {
	e := New(le)
	e.U64(oxid).U16(uint16(len(protseqs)))
	if maxCount < 0 {
		maxCount = len(protseqs)
	}
	e.Align(4).U32(uint32(maxCount))
	for _, p := range protseqs {
		e.U16(p)
	}
	return e.B
}

// StdObjRef is the STDOBJREF of an OBJREF_STANDARD.
type StdObjRef struct {
	Flags, PublicRefs uint32
	OXID, OID         uint64
	IPID              dissect.UUID
}

// OBJREF signature and flags (MS-DCOM 2.2.18).
const (
	ObjRefSignature    = 0x574f454d // "MEOW"
	ObjRefFlagStandard = 1
	ObjRefFlagHandler  = 2
	ObjRefFlagCustom   = 4
	ObjRefFlagExtended = 8
)

// ObjRefStandard returns an OBJREF_STANDARD (little-endian) for iid with
// the resolver address sa.
func ObjRefStandard(iid dissect.UUID, std StdObjRef, sa DSA) []byte {
	e := New(true)
	e.U32(ObjRefSignature).U32(ObjRefFlagStandard).UUID(iid)
	e.U32(std.Flags).U32(std.PublicRefs).U64(std.OXID).U64(std.OID).UUID(std.IPID)
	e.Bytes(DualStringArrayPacked(sa))
	return e.B
}

// MInterfacePointer appends a unique pointer (referent when objref is not
// nil) and the MInterfacePointer (ulCntData, conformant byte array).
func (e *Enc) MInterfacePointer(referent uint32, objref []byte) *Enc {
	e.Align(4)
	if objref == nil {
		return e.U32(0)
	}
	e.U32(referent).U32(uint32(len(objref))).U32(uint32(len(objref))).Bytes(objref)
	return e
}

// RemoteActivationReply holds the out-parameters of
// IRemoteActivation::RemoteActivation (opnum 0).
type RemoteActivationReply struct {
	ORPCFlags uint32
	Extents   []Extent
	OXID      uint64
	Bindings  *DSA
	IPID      dissect.UUID
	AuthnHint uint32
	// Major and Minor are the server's COMVERSION (5.7 when both zero).
	Major, Minor uint16
	HR           uint32
	// Interfaces are the OBJREFs of ppInterfaceData (nil = NULL pointer).
	Interfaces [][]byte
	Results    []uint32
	Status     uint32
}

// RemoteActivationResponse returns the response stub: ORPCTHAT, *pOxid,
// ppdsaOxidBindings, pipidRemUnknown, pAuthnHint, pServerVersion, phr,
// ppInterfaceData, pResults, status.
func RemoteActivationResponse(le bool, r RemoteActivationReply) []byte {
	e := New(le)
	e.ORPCThat(r.ORPCFlags, r.Extents)
	e.Align(8).U64(r.OXID)
	e.dsaPointer(r.Bindings, 0x00020000)
	maj, min := r.Major, r.Minor
	if maj == 0 && min == 0 {
		maj, min = 5, 7
	}
	e.Align(4).UUID(r.IPID).U32(r.AuthnHint).U16(maj).U16(min).U32(r.HR)
	e.U32(uint32(len(r.Interfaces)))
	for i, o := range r.Interfaces {
		if o == nil {
			e.U32(0)
		} else {
			e.U32(0x00020100 + uint32(4*i))
		}
	}
	for _, o := range r.Interfaces {
		if o != nil {
			e.Align(4).U32(uint32(len(o))).U32(uint32(len(o))).Bytes(o)
		}
	}
	e.Align(4).U32(uint32(len(r.Results)))
	for _, h := range r.Results {
		e.U32(h)
	}
	return e.U32(r.Status).B
}

// TypeSerialize1 returns a type-serialization version 1 buffer (MS-RPCE
// 2.2.6): the common header (always little-endian), the private header and
// the NDR body that body appends (in byte order le, aligned from the body's
// start), padded to a multiple of 8.
func TypeSerialize1(le bool, body func(e *Enc)) []byte {
	b := New(le)
	body(b)
	for len(b.B)%8 != 0 {
		b.B = append(b.B, 0)
	}
	h := New(true)
	h.U8(1)
	if le {
		h.U8(0x10)
	} else {
		h.U8(0x00)
	}
	h.LE16(8).U32(0xcccccccc)
	p := New(le).U32(uint32(len(b.B))).U32(0)
	return append(append(h.B, p.B...), b.B...)
}

// Activation property CLSIDs and interface ids (MS-DCOM 1.9).
var (
	CLSIDActivationPropertiesOut = dissect.MustParseUUID("00000339-0000-0000-c000-000000000046")
	CLSIDPropsOutInfo            = dissect.MustParseUUID("00000339-0000-0000-c000-000000000046")
	CLSIDScmReplyInfo            = dissect.MustParseUUID("000001b6-0000-0000-c000-000000000046")
	IIDIActivationPropertiesOut  = dissect.MustParseUUID("000001a3-0000-0000-c000-000000000046")
)

// ActIface is one interface returned in PropsOutInfo.
type ActIface struct {
	IID    dissect.UUID
	HR     uint32
	ObjRef []byte // nil = NULL pointer
}

// ActivationReply holds what an ISystemActivator RemoteCreateInstance or
// RemoteGetClassObject response carries in its activation properties.
type ActivationReply struct {
	ORPCFlags uint32
	Extents   []Extent
	// NullProperties sends ppActProperties as NULL (an activation error).
	NullProperties bool
	// PropsBE serializes the properties big-endian (the OBJREF stays
	// little-endian).
	PropsBE bool
	// ScmReplyInfo
	NoReply   bool // remoteReply NULL
	OXID      uint64
	Bindings  *DSA
	IPID      dissect.UUID
	AuthnHint uint32
	// PropsOutInfo
	Interfaces []ActIface
	// Corruptions: Signature replaces 'MEOW' when not zero; CLSID replaces
	// CLSID_ActivationPropertiesOut when not nil; PropSizes replaces the
	// property sizes in the CustomHeader when not nil.
	Signature uint32
	CLSID     *dissect.UUID
	PropSizes []uint32
	HR        uint32
}

// ActivationPropertiesOut returns the OBJREF_CUSTOM carrying the
// activation properties blob (PropsOutInfo then ScmReplyInfo).
func ActivationPropertiesOut(r ActivationReply) []byte {
	ple := !r.PropsBE
	props := [][]byte{
		TypeSerialize1(ple, func(e *Enc) { propsOutInfo(e, r.Interfaces) }),
		TypeSerialize1(ple, func(e *Enc) { scmReplyInfo(e, r) }),
	}
	clsids := []dissect.UUID{CLSIDPropsOutInfo, CLSIDScmReplyInfo}
	sizes := []uint32{uint32(len(props[0])), uint32(len(props[1]))}
	if r.PropSizes != nil {
		sizes = r.PropSizes
	}
	var hdr []byte
	// headerSize depends on the header's own length, which does not
	// depend on the values: build it twice.
	for pass := 0; pass < 2; pass++ {
		total := uint32(len(hdr))
		for _, p := range props {
			total += uint32(len(p))
		}
		hl := uint32(len(hdr))
		hdr = TypeSerialize1(ple, func(e *Enc) {
			e.U32(total).U32(hl).U32(0).U32(2).U32(uint32(len(clsids)))
			e.UUID(dissect.NilUUID)
			e.U32(0x00020000).U32(0x00020004).U32(0)
			e.U32(uint32(len(clsids)))
			for _, c := range clsids {
				e.UUID(c)
			}
			e.U32(uint32(len(sizes)))
			for _, s := range sizes {
				e.U32(s)
			}
		})
	}
	blob := New(true)
	size := len(hdr)
	for _, p := range props {
		size += len(p)
	}
	blob.U32(uint32(size)).U32(0).Bytes(hdr)
	for _, p := range props {
		blob.Bytes(p)
	}
	sig := uint32(ObjRefSignature)
	if r.Signature != 0 {
		sig = r.Signature
	}
	clsid := CLSIDActivationPropertiesOut
	if r.CLSID != nil {
		clsid = *r.CLSID
	}
	o := New(true)
	o.U32(sig).U32(ObjRefFlagCustom).UUID(IIDIActivationPropertiesOut)
	o.UUID(clsid).U32(0).U32(uint32(len(blob.B) + 8)).Bytes(blob.B)
	return o.B
}

func propsOutInfo(e *Enc, ifs []ActIface) {
	n := uint32(len(ifs))
	e.U32(n).U32(0x00020000).U32(0x00020004).U32(0x00020008)
	e.U32(n)
	for _, f := range ifs {
		e.UUID(f.IID)
	}
	e.U32(n)
	for _, f := range ifs {
		e.U32(f.HR)
	}
	e.U32(n)
	for i, f := range ifs {
		if f.ObjRef == nil {
			e.U32(0)
		} else {
			e.U32(0x0002000c + uint32(4*i))
		}
	}
	for _, f := range ifs {
		if f.ObjRef != nil {
			e.Align(4).U32(uint32(len(f.ObjRef))).U32(uint32(len(f.ObjRef))).Bytes(f.ObjRef)
		}
	}
}

func scmReplyInfo(e *Enc, r ActivationReply) {
	e.U32(0)
	if r.NoReply {
		e.U32(0)
		return
	}
	e.U32(0x00020000)
	e.Align(8).U64(r.OXID)
	if r.Bindings == nil {
		e.U32(0)
	} else {
		e.U32(0x00020004)
	}
	e.UUID(r.IPID).U32(r.AuthnHint).U16(5).U16(7)
	if r.Bindings != nil {
		e.DualStringArrayNDR(*r.Bindings)
	}
}

// RemoteCreateInstanceResponse returns the stub of an ISystemActivator
// RemoteCreateInstance (opnum 4) response: ORPCTHAT, ppActProperties
// (MInterfacePointer holding the OBJREF_CUSTOM), HRESULT.
// RemoteGetClassObject (opnum 3) responses have the same layout.
func RemoteCreateInstanceResponse(le bool, r ActivationReply) []byte {
	e := New(le)
	e.ORPCThat(r.ORPCFlags, r.Extents)
	if r.NullProperties {
		e.U32(0)
	} else {
		e.MInterfacePointer(0x00020000, ActivationPropertiesOut(r))
	}
	return e.Align(4).U32(r.HR).B
}

// SeedActivationReply is an activation answer whose bindings are the
// KB 224460 fused list, with one IDispatch-like interface whose OBJREF
// carries a resolver address list.
func SeedActivationReply() ActivationReply {
	ipid := dissect.MustParseUUID("00006c19-079c-0000-6cd2-8202759eb415")
	iid := dissect.MustParseUUID("f309ad18-d86a-11d0-a075-00c04fb68820")
	return ActivationReply{
		ORPCFlags: 1,
		OXID:      0x1189f948559b4a41,
		Bindings:  &DSA{Strings: append(append([]SB{}, KB224460Names...), KB224460Fused...), Security: DefaultSecurity},
		IPID:      dissect.MustParseUUID("0000ec00-079c-0000-a0ec-6c1835106534"),
		AuthnHint: 4,
		Interfaces: []ActIface{{
			IID: iid,
			ObjRef: ObjRefStandard(iid, StdObjRef{PublicRefs: 5, OXID: 0x1189f948559b4a41, OID: 0x277fc1c2cc061724, IPID: ipid},
				DSA{Strings: []SB{{TowerTCP, "SRV20"}, {TowerTCP, "157.61.239.61157.61.239.5"}}, Security: DefaultSecurity}),
		}},
	}
}

// PatchU32LE overwrites a little-endian 32-bit value at off (for corrupting
// OBJREF fields in built fixtures).
func PatchU32LE(b []byte, off int, v uint32) { binary.LittleEndian.PutUint32(b[off:], v) }
