package dcetest

import (
	"encoding/binary"
	"net/netip"

	"github.com/rpcwatch/rpcwatch/dissect"
)

// EPMFloor is one protocol tower floor for the builders: LHS starts with
// the protocol id byte; RHS is the related data as it goes on the wire.
type EPMFloor struct {
	LHS, RHS []byte
}

// Tower protocol ids used by the EPM builders (see package epm for all).
const (
	EPMProtoTCP       = 0x07
	EPMProtoUDP       = 0x08
	EPMProtoIP        = 0x09
	EPMProtoRPCCL     = 0x0a
	EPMProtoRPCCO     = 0x0b
	EPMProtoLRPC      = 0x0c
	EPMProtoUUID      = 0x0d
	EPMProtoNamedPipe = 0x0f
	EPMProtoPortName  = 0x10
	EPMProtoNetBIOS   = 0x11
	EPMProtoHTTP      = 0x1f
	EPMProtoHTTPHost  = 0x20
)

// EPMFloorSyntax is an interface or transfer syntax floor: 0x0d, the UUID in
// little-endian wire form and the major version (LE) in the LHS, the minor
// version (LE) in the RHS.
func EPMFloorSyntax(s dissect.SyntaxID) EPMFloor {
	lhs := make([]byte, 19)
	lhs[0] = EPMProtoUUID
	s.UUID.PutWire(lhs[1:], true)
	binary.LittleEndian.PutUint16(lhs[17:], s.Major)
	return EPMFloor{LHS: lhs, RHS: binary.LittleEndian.AppendUint16(nil, s.Minor)}
}

// EPMFloorRPC is the RPC protocol floor (EPMProtoRPCCO, EPMProtoRPCCL or EPMProtoLRPC)
// with its minor version (LE).
func EPMFloorRPC(id byte, minor uint16) EPMFloor {
	return EPMFloor{LHS: []byte{id}, RHS: binary.LittleEndian.AppendUint16(nil, minor)}
}

// EPMFloorPort is a TCP, UDP or HTTP floor with a big-endian port.
func EPMFloorPort(id byte, port uint16) EPMFloor {
	return EPMFloor{LHS: []byte{id}, RHS: binary.BigEndian.AppendUint16(nil, port)}
}

// EPMFloorIPv4 is an IP floor holding ip (an IPv4 address).
func EPMFloorIPv4(ip netip.Addr) EPMFloor {
	a := ip.As4()
	return EPMFloor{LHS: []byte{EPMProtoIP}, RHS: a[:]}
}

// EPMFloorString is a floor whose RHS is s followed by NUL (pipe, port or
// NetBIOS name).
func EPMFloorString(id byte, s string) EPMFloor {
	return EPMFloor{LHS: []byte{id}, RHS: append([]byte(s), 0)}
}

// EPMFloorRaw is a floor with a single-byte LHS and the given RHS bytes, for
// damaged towers.
func EPMFloorRaw(id byte, rhs []byte) EPMFloor {
	return EPMFloor{LHS: []byte{id}, RHS: rhs}
}

// EPMTower encodes floors as tower octets: the floor count (u16 LE), then per
// floor lhs_length (u16 LE), LHS, rhs_length (u16 LE), RHS.
func EPMTower(floors ...EPMFloor) []byte {
	b := binary.LittleEndian.AppendUint16(nil, uint16(len(floors)))
	for _, f := range floors {
		b = binary.LittleEndian.AppendUint16(b, uint16(len(f.LHS)))
		b = append(b, f.LHS...)
		b = binary.LittleEndian.AppendUint16(b, uint16(len(f.RHS)))
		b = append(b, f.RHS...)
	}
	return b
}

// EPMNDR20 is the NDR 2.0 transfer syntax, version 2.0.
var EPMNDR20 = dissect.SyntaxID{UUID: dissect.NDR20, Major: 2}

// EPMTowerTCP is the 5-floor ncacn_ip_tcp tower of iface at ip[port].
func EPMTowerTCP(iface dissect.SyntaxID, ip netip.Addr, port uint16) []byte {
	return EPMTower(EPMFloorSyntax(iface), EPMFloorSyntax(EPMNDR20), EPMFloorRPC(EPMProtoRPCCO, 0),
		EPMFloorPort(EPMProtoTCP, port), EPMFloorIPv4(ip))
}

// EPMTowerUDP is the 5-floor ncadg_ip_udp tower of iface at ip[port].
func EPMTowerUDP(iface dissect.SyntaxID, ip netip.Addr, port uint16) []byte {
	return EPMTower(EPMFloorSyntax(iface), EPMFloorSyntax(EPMNDR20), EPMFloorRPC(EPMProtoRPCCL, 0),
		EPMFloorPort(EPMProtoUDP, port), EPMFloorIPv4(ip))
}

// EPMTowerHTTP is the 5-floor ncacn_http tower of iface at ip[port].
func EPMTowerHTTP(iface dissect.SyntaxID, ip netip.Addr, port uint16) []byte {
	return EPMTower(EPMFloorSyntax(iface), EPMFloorSyntax(EPMNDR20), EPMFloorRPC(EPMProtoRPCCO, 0),
		EPMFloorPort(EPMProtoHTTP, port), EPMFloorIPv4(ip))
}

// EPMTowerNP is the 5-floor ncacn_np tower of iface on pipe at NetBIOS host
// (empty: the RHS is just the NUL, as Samba sends it).
func EPMTowerNP(iface dissect.SyntaxID, pipe, host string) []byte {
	return EPMTower(EPMFloorSyntax(iface), EPMFloorSyntax(EPMNDR20), EPMFloorRPC(EPMProtoRPCCO, 0),
		EPMFloorString(EPMProtoNamedPipe, pipe), EPMFloorString(EPMProtoNetBIOS, host))
}

// EPMTowerLRPC is the 4-floor ncalrpc tower of iface on a local port name.
func EPMTowerLRPC(iface dissect.SyntaxID, port string) []byte {
	return EPMTower(EPMFloorSyntax(iface), EPMFloorSyntax(EPMNDR20), EPMFloorRPC(EPMProtoLRPC, 0),
		EPMFloorString(EPMProtoPortName, port))
}

// EPMHandle appends an NDR context handle (attributes, UUID), aligned.
func (e *Enc) EPMHandle(attr uint32, u dissect.UUID) *Enc {
	return e.Align(4).U32(attr).UUID(u)
}

// epmCount appends a referent id or array count: a u32 aligned to 4, or in
// NDR64 a u64 aligned to 8.
func (e *Enc) epmCount(v uint32, ndr64 bool) *Enc {
	if ndr64 {
		return e.Align(8).U64(uint64(v))
	}
	return e.Align(4).U32(v)
}

// EPMTwr appends a twr_t holding octets: max_count and tower_length (both
// len(octets)), then the octets, aligned to 4 first.
func (e *Enc) EPMTwr(octets []byte) *Enc {
	return e.EPMTwrLengths(uint32(len(octets)), uint32(len(octets)), octets)
}

// EPMTwrLengths is EPMTwr with explicit max_count and tower_length, for
// damaged towers. The octets are appended as given.
func (e *Enc) EPMTwrLengths(maxCount, towerLength uint32, octets []byte) *Enc {
	return e.Align(4).U32(maxCount).U32(towerLength).Bytes(octets)
}

// EPMTwr64 is EPMTwr in NDR64: max_count is a u64 aligned to 8.
func (e *Enc) EPMTwr64(octets []byte) *Enc {
	return e.Align(8).U64(uint64(len(octets))).U32(uint32(len(octets))).Bytes(octets)
}

func (e *Enc) epmTwr(octets []byte, ndr64 bool) *Enc {
	if ndr64 {
		return e.EPMTwr64(octets)
	}
	return e.EPMTwr(octets)
}

// EPMEntry is one ept_entry_t for EPMLookupResponse. A nil Tower encodes a
// NULL tower pointer. The annotation is encoded with its NUL unless
// RawAnnotation is set, which is then used as the characters exactly.
type EPMEntry struct {
	Object        dissect.UUID
	Tower         []byte
	Annotation    string
	RawAnnotation []byte
}

// EPMLookupResponse describes an ept_lookup response stub. By default
// num_ents and the array's max_count and actual_count are len(Entries) and
// referent ids are 1, 2, 3...; the Set fields override them to build
// inconsistent stubs.
type EPMLookupResponse struct {
	Handle      dissect.UUID
	HandleAttr  uint32
	Entries     []EPMEntry
	Status      uint32
	MaxCount    uint32
	SetMaxCount bool
	NumEnts     uint32
	SetNumEnts  bool
	// Refs, when non-nil, gives each entry's referent id (0 for NULL).
	Refs []uint32
	// NDR64 encodes the stub in NDR64 (8-byte pointers and counts).
	NDR64 bool
}

// EPMLookupResponse appends an ept_lookup response stub (see the type).
func (e *Enc) EPMLookupResponse(r EPMLookupResponse) *Enc {
	n := uint32(len(r.Entries))
	num, maxc := n, n
	if r.SetNumEnts {
		num = r.NumEnts
	}
	if r.SetMaxCount {
		maxc = r.MaxCount
	}
	w := r.NDR64
	e.EPMHandle(r.HandleAttr, r.Handle)
	e.U32(num)
	e.epmCount(maxc, w).epmCount(0, w).epmCount(n, w)
	next := uint32(1)
	for i, ent := range r.Entries {
		if w {
			e.Align(8)
		}
		e.Align(4).UUID(ent.Object)
		ref := uint32(0)
		if ent.Tower != nil {
			ref = next
			next++
		}
		if r.Refs != nil {
			ref = r.Refs[i]
		}
		e.epmCount(ref, w)
		chars := ent.RawAnnotation
		if chars == nil {
			chars = append([]byte(ent.Annotation), 0)
		}
		e.epmCount(0, w).epmCount(uint32(len(chars)), w).Bytes(chars)
	}
	if w {
		e.Align(8)
	}
	for _, ent := range r.Entries {
		if ent.Tower != nil {
			e.epmTwr(ent.Tower, w)
		}
	}
	return e.Align(4).U32(r.Status)
}

// EPMLookupRequest describes an ept_lookup request stub. Nil pointers
// encode NULL.
type EPMLookupRequest struct {
	Inquiry    uint32
	Object     *dissect.UUID
	Interface  *dissect.SyntaxID
	VersOption uint32
	Handle     dissect.UUID
	MaxEnts    uint32
	NDR64      bool
}

// EPMLookupRequest appends an ept_lookup request stub.
func (e *Enc) EPMLookupRequest(q EPMLookupRequest) *Enc {
	w := q.NDR64
	e.Align(4).U32(q.Inquiry)
	if q.Object != nil {
		e.epmCount(1, w).UUID(*q.Object)
	} else {
		e.epmCount(0, w)
	}
	if q.Interface != nil {
		e.epmCount(2, w).UUID(q.Interface.UUID).U16(q.Interface.Major).U16(q.Interface.Minor)
	} else {
		e.epmCount(0, w)
	}
	e.Align(4).U32(q.VersOption)
	e.EPMHandle(0, q.Handle)
	return e.U32(q.MaxEnts)
}

// EPMMapRequest describes an ept_map request stub. A nil Object or Tower
// encodes a NULL pointer.
type EPMMapRequest struct {
	Object    *dissect.UUID
	Tower     []byte
	Handle    dissect.UUID
	MaxTowers uint32
	NDR64     bool
}

// EPMMapRequest appends an ept_map request stub.
func (e *Enc) EPMMapRequest(q EPMMapRequest) *Enc {
	w := q.NDR64
	if q.Object != nil {
		e.epmCount(1, w).UUID(*q.Object)
	} else {
		e.epmCount(0, w)
	}
	if q.Tower != nil {
		e.epmCount(2, w).epmTwr(q.Tower, w)
	} else {
		e.epmCount(0, w)
	}
	e.EPMHandle(0, q.Handle)
	return e.U32(q.MaxTowers)
}

// EPMMapResponse describes an ept_map response stub, with the same
// defaults and overrides as EPMLookupResponse. A nil tower encodes a NULL
// pointer.
type EPMMapResponse struct {
	Handle       dissect.UUID
	Towers       [][]byte
	Status       uint32
	MaxCount     uint32
	SetMaxCount  bool
	NumTowers    uint32
	SetNumTowers bool
	Refs         []uint32
	NDR64        bool
}

// EPMMapResponse appends an ept_map response stub.
func (e *Enc) EPMMapResponse(r EPMMapResponse) *Enc {
	n := uint32(len(r.Towers))
	num, maxc := n, n
	if r.SetNumTowers {
		num = r.NumTowers
	}
	if r.SetMaxCount {
		maxc = r.MaxCount
	}
	w := r.NDR64
	e.EPMHandle(0, r.Handle)
	e.U32(num)
	e.epmCount(maxc, w).epmCount(0, w).epmCount(n, w)
	next := uint32(3) // Windows numbers the tower referents from 3
	for i, t := range r.Towers {
		ref := uint32(0)
		if t != nil {
			ref = next
			next++
		}
		if r.Refs != nil {
			ref = r.Refs[i]
		}
		e.epmCount(ref, w)
	}
	for _, t := range r.Towers {
		if t != nil {
			e.epmTwr(t, w)
		}
	}
	return e.Align(4).U32(r.Status)
}

// EPMLookupHandleFreeResponse appends an ept_lookup_handle_free response
// stub: the handle, then the status.
func (e *Enc) EPMLookupHandleFreeResponse(h dissect.UUID, status uint32) *Enc {
	return e.EPMHandle(0, h).U32(status)
}

// sambaEntry is one row of EPMSambaLookup38.
type sambaEntry struct {
	uuid     string
	major    uint16
	kind     byte // 'n' ncacn_np, 't' ncacn_ip_tcp, 'l' ncalrpc, 'h' ncacn_http
	endpoint string
	port     uint16
	ann      string
}

// samba38 is what Samba 4.17.12's rpcd_epmapper answered rpcdump's
// ept_lookup (rpc_c_ep_all_elts, max_ents 500) with on 127.0.0.1, in order:
// samba-epm-loopback.pcap frames 10-11 (PEERS.md section 5).
var samba38 = []sambaEntry{
	{"82273fdc-e32a-18c3-3f78-827929dc23ea", 0, 'n', `\pipe\eventlog`, 0, "eventlog"},
	{"8d9f4e40-a03d-11ce-8f69-08003e30051b", 1, 'n', `\pipe\ntsvcs`, 0, "ntsvcs"},
	{"8d9f4e40-a03d-11ce-8f69-08003e30051b", 1, 'n', `\pipe\plugplay`, 0, "ntsvcs"},
	{"a8e0653c-2744-4389-a61d-7373df8b2292", 1, 'n', `\pipe\FssagentRpc`, 0, "FileServerVssAgent"},
	{"885d85fb-c754-4062-a0e7-6872ce0064f4", 2, 'n', `\pipe\mdssvc`, 0, "mdssvc"},
	{"885d85fb-c754-4062-a0e7-6872ce0064f4", 2, 'l', "rpcd_mdssvc", 0, "mdssvc"},
	{"338cd001-2244-31f1-aaaa-900038001003", 1, 'n', `\pipe\winreg`, 0, "winreg"},
	{"338cd001-2244-31f1-aaaa-900038001003", 1, 't', "", 49152, "winreg"},
	{"338cd001-2244-31f1-aaaa-900038001003", 1, 'l', "rpcd_winreg", 0, "winreg"},
	{"4b324fc8-1670-01d3-1278-5a47bf6ee188", 3, 'n', `\pipe\srvsvc`, 0, "srvsvc"},
	{"4b324fc8-1670-01d3-1278-5a47bf6ee188", 3, 't', "", 49154, "srvsvc"},
	{"4b324fc8-1670-01d3-1278-5a47bf6ee188", 3, 'l', "rpcd_classic", 0, "srvsvc"},
	{"12345778-1234-abcd-ef00-0123456789ab", 0, 'n', `\pipe\lsarpc`, 0, "lsarpc"},
	{"12345778-1234-abcd-ef00-0123456789ab", 0, 'n', `\pipe\lsass`, 0, "lsarpc"},
	{"12345778-1234-abcd-ef00-0123456789ab", 0, 't', "", 49153, "lsarpc"},
	{"12345778-1234-abcd-ef00-0123456789ab", 0, 'l', "rpcd_lsad", 0, "lsarpc"},
	{"12345678-1234-abcd-ef00-0123456789ab", 1, 'n', `\pipe\spoolss`, 0, "spoolss"},
	{"12345678-1234-abcd-ef00-0123456789ab", 1, 'l', "rpcd_spoolss", 0, "spoolss"},
	{"e1af8308-5d1f-11c9-91a4-08002b14a0fa", 3, 'n', `\pipe\epmapper`, 0, "epmapper"},
	{"e1af8308-5d1f-11c9-91a4-08002b14a0fa", 3, 't', "", 135, "epmapper"},
	{"e1af8308-5d1f-11c9-91a4-08002b14a0fa", 3, 'h', "", 593, "epmapper"},
	{"e1af8308-5d1f-11c9-91a4-08002b14a0fa", 3, 'l', "EPMAPPER", 0, "epmapper"},
	{"6bffd098-a112-3610-9833-46c3f87e345a", 1, 't', "", 49154, "wkssvc"},
	{"6bffd098-a112-3610-9833-46c3f87e345a", 1, 'l', "rpcd_classic", 0, "wkssvc"},
	{"6bffd098-a112-3610-9833-46c3f87e345a", 1, 'n', `\pipe\wkssvc`, 0, "wkssvc"},
	{"367abb81-9844-35f1-ad32-98f038001003", 2, 'l', "rpcd_classic", 0, "svcctl"},
	{"367abb81-9844-35f1-ad32-98f038001003", 2, 'n', `\pipe\svcctl`, 0, "svcctl"},
	{"12345778-1234-abcd-ef00-0123456789ac", 1, 't', "", 49153, "samr"},
	{"12345778-1234-abcd-ef00-0123456789ac", 1, 'l', "rpcd_lsad", 0, "samr"},
	{"12345778-1234-abcd-ef00-0123456789ac", 1, 'n', `\pipe\samr`, 0, "samr"},
	{"894de0c0-0d55-11d3-a322-00c04fa321a1", 1, 'n', `\pipe\InitShutdown`, 0, "initshutdown"},
	{"3919286a-b10c-11d0-9ba8-00c04fd92ef5", 0, 'n', `\pipe\lsarpc`, 0, "dssetup"},
	{"3919286a-b10c-11d0-9ba8-00c04fd92ef5", 0, 'n', `\pipe\lsass`, 0, "dssetup"},
	{"3919286a-b10c-11d0-9ba8-00c04fd92ef5", 0, 't', "", 49153, "dssetup"},
	{"3919286a-b10c-11d0-9ba8-00c04fd92ef5", 0, 'l', "rpcd_lsad", 0, "dssetup"},
	{"4fc742e0-4a10-11cf-8273-00aa004ae673", 3, 't', "", 49154, "netdfs"},
	{"4fc742e0-4a10-11cf-8273-00aa004ae673", 3, 'l', "rpcd_classic", 0, "netdfs"},
	{"4fc742e0-4a10-11cf-8273-00aa004ae673", 3, 'n', `\pipe\netdfs`, 0, "netdfs"},
}

// EPMSambaLookup38 rebuilds Samba's 38-entry ept_lookup answer (rpcdump
// against Samba 4.17.12 on 127.0.0.1, PEERS.md section 5): ncacn_np towers
// with an empty NetBIOS name, ncacn_ip_tcp towers on 127.0.0.1, ncalrpc
// towers (floor 0x0c then a 0x10 port name), one ncacn_http tower on port
// 593 with IP 0.0.0.0, max_count 500, a zero handle, and status
// ept_s_not_registered (0x16c9a0d6) after the towers.
func EPMSambaLookup38() EPMLookupResponse {
	lo := netip.MustParseAddr("127.0.0.1")
	r := EPMLookupResponse{Status: 0x16c9a0d6, MaxCount: 500, SetMaxCount: true}
	for _, s := range samba38 {
		iface := dissect.SyntaxID{UUID: dissect.MustParseUUID(s.uuid), Major: s.major}
		var t []byte
		switch s.kind {
		case 'n':
			t = EPMTowerNP(iface, s.endpoint, "")
		case 't':
			t = EPMTowerTCP(iface, lo, s.port)
		case 'l':
			t = EPMTowerLRPC(iface, s.endpoint)
		case 'h':
			t = EPMTowerHTTP(iface, netip.IPv4Unspecified(), s.port)
		}
		r.Entries = append(r.Entries, EPMEntry{Tower: t, Annotation: s.ann})
	}
	return r
}

// EPMSambaLookup38Bindings are the string bindings of EPMSambaLookup38's towers,
// in order, as epm decodes them.
func EPMSambaLookup38Bindings() []string {
	out := make([]string, 0, len(samba38))
	for _, s := range samba38 {
		switch s.kind {
		case 'n':
			out = append(out, "ncacn_np:["+s.endpoint+"]")
		case 't':
			out = append(out, "ncacn_ip_tcp:127.0.0.1["+string(dissect.AppendUint(nil, uint64(s.port)))+"]")
		case 'l':
			out = append(out, "ncalrpc:["+s.endpoint+"]")
		case 'h':
			out = append(out, "ncacn_http:0.0.0.0["+string(dissect.AppendUint(nil, uint64(s.port)))+"]")
		}
	}
	return out
}
