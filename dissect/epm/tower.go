package epm

import (
	"encoding/binary"
	"net/netip"

	"github.com/rpcwatch/rpcwatch/dissect"
)

// MaxFloors is how many floor protocol ids a [TowerInfo] keeps; a tower may
// have more floors (they are still walked and checked).
const MaxFloors = 8

// TowerInfo is the summary of one protocol tower: the interface and transfer
// syntax it names, its RPC protocol, and the binding its transport and
// address floors describe, as compact values (Protseq, IP, Port and the
// name slices). The text form a [dissect.Binding] holds is rendered only on
// demand by [TowerInfo.Binding], so that a caller that needs the values does
// not pay for 510 bytes of text per tower.
//
// Octets, RawEndpoint, RawAddr, EndpointName and AddrName alias the input
// and are valid while it is; everything else is a value.
type TowerInfo struct {
	// Off is the offset of the tower octets within the stub they were
	// found in (0 when DecodeTower was given the octets alone). Anomaly
	// offsets are relative to the octets: add Off for stub offsets.
	Off    int
	Octets []byte
	// FloorCount is the floor count the tower declares; Floors the number
	// of floors actually decoded; Protocols the ids of the first MaxFloors.
	FloorCount uint16
	Floors     int
	Protocols  [MaxFloors]ProtocolID

	// Interface (floor 1) and Transfer (floor 2) syntaxes: UUID and major
	// version from the LHS, minor version from the RHS.
	Interface, Transfer       dissect.SyntaxID
	HasInterface, HasTransfer bool

	// RPC is floor 3's protocol (ProtoRPCCO, ProtoRPCCL or ProtoLRPC) and
	// RPCMinor its RHS minor version.
	RPC      ProtocolID
	HasRPC   bool
	RPCMinor uint16

	// Protseq is derived from the floor sequence (ProtseqUnknown when none
	// matches).
	Protseq dissect.Protseq
	// IP is the address floor's IPv4 address when it holds exactly one
	// (the zero Addr otherwise, a fused floor included).
	IP netip.Addr
	// Port is the endpoint floor's port (TCP, UDP, HTTP and the like) when
	// HasPort.
	Port    uint16
	HasPort bool
	// EndpointName and AddrName are the endpoint and address floors' names
	// (pipe, LRPC port, NetBIOS host) without their NUL, aliasing the
	// input; nil when the floor is not a name. A name longer than
	// dissect.MaxText is kept whole here (and AnomTowerTextTruncated
	// recorded); the Binding text holds its first MaxText bytes.
	EndpointName, AddrName []byte

	// Endpoint and Addr are the protocol ids of the endpoint (floor 4) and
	// address (floor 5) floors; RawEndpoint and RawAddr their RHS bytes, for
	// detectors that need more than the values above (RawAddr holds both
	// addresses of a fused IPv4 floor).
	Endpoint, Addr       ProtocolID
	HasEndpoint, HasAddr bool
	RawEndpoint, RawAddr []byte
	// Fused reports the multihomed-server fault: the IPv4 floor carried
	// 8 bytes (or another multiple of 4 above 4), two or more addresses glued
	// together. IP then stays zero, the Binding's Addr holds the dotted quads
	// concatenated the way Windows renders them ("157.61.239.61157.61.239.5"),
	// and AnomTowerIPv4Length is recorded.
	Fused bool

	Anomalies dissect.Anomalies
}

// Binding fills b (overwriting every field) with the tower's binding:
// Protseq, IP and Port as decoded, Addr and Endpoint rendered as text (a
// dotted quad, the fused quads, a name; a port in decimal), such as
// ncacn_ip_tcp:127.0.0.1[49152]. It reads RawAddr and the name slices, so
// call it while the input is valid; b itself holds no pointer into the
// packet and can be kept. It does not allocate.
func (t *TowerInfo) Binding(b *dissect.Binding) {
	b.Protseq = t.Protseq
	switch {
	case t.IP.IsValid():
		b.SetIP(t.IP)
	case t.Fused:
		var buf [dissect.MaxText + 16]byte
		b.IP = netip.Addr{}
		b.Addr.Set(appendFused(buf[:0], t.RawAddr))
	default:
		b.IP = netip.Addr{}
		b.Addr.Set(t.AddrName)
	}
	if t.HasPort {
		b.SetPort(t.Port)
	} else {
		b.Port, b.HasPort = 0, false
		b.Endpoint.Set(t.EndpointName)
	}
}

// DecodeTower decodes tower octets (the tower_octet_string of a twr_t: the
// little-endian floor count, then the floors) into t, resetting it first.
// Everything decodable is decoded even when the tower is damaged; damage is
// recorded in t.Anomalies. The error is non-nil (dissect.ErrShort) only when
// the floors stop before the declared count because the octets end inside
// a floor, or when there are fewer than 2 octets.
func DecodeTower(octets []byte, t *TowerInfo) error {
	if len(octets) == ipTowerLen && t.ipTower(octets) {
		return nil
	}
	*t = TowerInfo{Octets: octets}
	return t.decodeFloors(octets)
}

// decodeFloors is DecodeTower's general walk, into a freshly reset t.
func (t *TowerInfo) decodeFloors(octets []byte) error {
	// This walk is FloorIter's, written out with the floor in a local
	// variable: it makes DecodeTower twice as fast, and FuzzTower checks
	// that both find the same floors.
	b := octets
	a := &t.Anomalies
	if len(b) < 2 {
		a.Add(dissect.AnomTruncated, 0, uint32(len(b)), 2)
		t.binding(&Floor{}, &Floor{}, 0)
		return dissect.ErrShort
	}
	count := int(binary.LittleEndian.Uint16(b))
	t.FloorCount = uint16(count)
	flagged := false
	if max := (len(b) - 2) / 4; count > max {
		a.Add(dissect.AnomTowerFloorCount, 0, uint32(count), uint32(max))
		flagged = true
	}
	// Floors 4 and 5 are decoded in place into ep and addr, the others
	// into f: assembling a Floor field by field and then copying it whole
	// stalls on store forwarding.
	var f, ep, addr Floor
	var err error
	off := 2
	for i := 0; i < count; i++ {
		k, at, x, y := dissect.AnomNone, 0, uint32(0), uint32(0)
		var ll, roff, rl int
		switch {
		case len(b)-off < 2:
			k, at, x, y = dissect.AnomTowerLHSPastEnd, off, 2, uint32(len(b)-off)
		default:
			ll = int(binary.LittleEndian.Uint16(b[off:]))
			roff = off + 2 + ll
			switch {
			case ll > len(b)-off-2:
				k, at, x, y = dissect.AnomTowerLHSPastEnd, off, uint32(ll), uint32(len(b)-off-2)
			case len(b)-roff < 2:
				k, at, x, y = dissect.AnomTowerRHSPastEnd, roff, 2, uint32(len(b)-roff)
			default:
				rl = int(binary.LittleEndian.Uint16(b[roff:]))
				if rl > len(b)-roff-2 {
					k, at, x, y = dissect.AnomTowerRHSPastEnd, roff, uint32(rl), uint32(len(b)-roff-2)
				}
			}
		}
		if k != dissect.AnomNone {
			a.Add(k, at, x, y)
			if !flagged {
				a.Add(dissect.AnomTowerFloorCount, 0, uint32(count), uint32(i))
			}
			err = dissect.ErrShort
			break
		}
		fp := &f
		switch i {
		case 3:
			fp = &ep
		case 4:
			fp = &addr
		}
		fp.Index, fp.Off, fp.RHSOff = i, off, roff+2
		fp.RHS = b[roff+2 : roff+2+rl : roff+2+rl]
		if ll == 0 {
			fp.Protocol, fp.Empty, fp.LHS = 0, true, nil
			a.Add(dissect.AnomTowerLHSLength, off, 0, 1)
		} else {
			fp.Protocol, fp.Empty, fp.LHS = ProtocolID(b[off+2]), false, b[off+3:off+2+ll:off+2+ll]
		}
		off = roff + 2 + rl
		if i < MaxFloors {
			t.Protocols[i] = fp.Protocol
		}
		t.Floors++
		switch i {
		case 0, 1:
			t.syntaxFloor(fp)
		case 2:
			t.rpcFloor(fp)
		default:
			t.checkSingleByte(fp)
			switch i {
			case 3:
				t.Endpoint, t.HasEndpoint = fp.Protocol, true
			case 4:
				t.Addr, t.HasAddr = fp.Protocol, true
			}
		}
	}
	if err == nil && off < len(b) {
		a.Add(dissect.AnomTowerTrailingBytes, off, uint32(len(b)-off), 0)
	}
	t.binding(&ep, &addr, off)
	return err
}

// ipTowerLen is the size of the tower almost every ept_map and ept_lookup
// answer carries: five floors, the interface and transfer syntaxes
// (2+19+2+2 octets each), the RPC protocol and the port (2+1+2+2 each), and
// one IPv4 address (2+1+2+4).
const ipTowerLen = 75

// ipTower decodes tower octets of that exact shape, ncacn_ip_tcp,
// ncadg_ip_udp or ncacn_http over IPv4, into t without the general floor
// walk, and reports whether they had it. Such a tower has nothing for the
// general walk to flag, and this sets exactly the fields it would
// (TestIPTowerMatchesWalk and FuzzTower compare the two); any other octets
// are left to decodeFloors, with t untouched.
//
// It writes every field of t itself instead of clearing the 448-byte
// struct first, which took a third of DecodeTower's time on this path;
// TestDecodeTowerResetsEveryField fills every field before decoding so
// that a field added later and not written here is caught.
func (t *TowerInfo) ipTower(octets []byte) bool {
	b := octets[:ipTowerLen:ipTowerLen]
	// Framing: floor count 5 and the LHS/RHS lengths of every floor, and
	// the UUID protocol id of the two syntax floors.
	if binary.LittleEndian.Uint64(b[0:])&0xff_ffff_ffff != 5|19<<16|uint64(ProtoUUID)<<32 ||
		binary.LittleEndian.Uint16(b[23:]) != 2 || binary.LittleEndian.Uint16(b[27:]) != 19 || b[29] != byte(ProtoUUID) ||
		binary.LittleEndian.Uint16(b[48:]) != 2 || binary.LittleEndian.Uint16(b[52:]) != 1 || binary.LittleEndian.Uint16(b[55:]) != 2 ||
		binary.LittleEndian.Uint16(b[59:]) != 1 || binary.LittleEndian.Uint16(b[62:]) != 2 ||
		binary.LittleEndian.Uint16(b[66:]) != 1 || binary.LittleEndian.Uint16(b[69:]) != 4 {
		return false
	}
	rpc, ep, addr := ProtocolID(b[54]), ProtocolID(b[61]), ProtocolID(b[68])
	var ps dissect.Protseq
	switch {
	case rpc == ProtoRPCCO && ep == ProtoTCP && addr == ProtoIP:
		ps = dissect.NcacnIPTCP
	case rpc == ProtoRPCCL && ep == ProtoUDP && addr == ProtoIP:
		ps = dissect.NcadgIPUDP
	case rpc == ProtoRPCCO && ep == ProtoHTTP && (addr == ProtoIP || addr == ProtoHTTPHost):
		ps = dissect.NcacnHTTP
	default:
		return false
	}
	t.Off, t.Octets = 0, octets
	t.FloorCount, t.Floors = 5, 5
	// Element by element: an array literal is assembled on the stack and
	// copied, which stalls on store forwarding.
	t.Protocols[0], t.Protocols[1], t.Protocols[2], t.Protocols[3] = ProtoUUID, ProtoUUID, rpc, ep
	t.Protocols[4], t.Protocols[5], t.Protocols[6], t.Protocols[7] = addr, 0, 0, 0
	t.Interface.UUID.SetWire(b[5:], true)
	t.Interface.Major = binary.LittleEndian.Uint16(b[21:])
	t.Interface.Minor = binary.LittleEndian.Uint16(b[25:])
	t.Transfer.UUID.SetWire(b[30:], true)
	t.Transfer.Major = binary.LittleEndian.Uint16(b[46:])
	t.Transfer.Minor = binary.LittleEndian.Uint16(b[50:])
	t.HasInterface, t.HasTransfer = true, true
	t.RPC, t.HasRPC, t.RPCMinor = rpc, true, binary.LittleEndian.Uint16(b[57:])
	t.Protseq = ps
	t.Port, t.HasPort = binary.BigEndian.Uint16(b[64:]), true
	t.IP = netip.AddrFrom4([4]byte(b[71:]))
	t.Endpoint, t.Addr, t.HasEndpoint, t.HasAddr = ep, addr, true, true
	t.RawEndpoint, t.RawAddr = b[64:66:66], b[71:75:75]
	t.EndpointName, t.AddrName, t.Fused = nil, nil, false
	// Add and Reset are the only writers of an Anomalies, so an empty
	// list holds no stale entries and need not be cleared.
	if t.Anomalies.Len() != 0 || t.Anomalies.Dropped != 0 {
		t.Anomalies.Reset()
	}
	return true
}

// syntaxFloor decodes floor 1 or 2: 0x0d, a UUID (little-endian fields, as
// tower octets always are) and the major version in the LHS, the minor
// version in the RHS.
func (t *TowerInfo) syntaxFloor(f *Floor) {
	if f.Empty || f.Protocol != ProtoUUID {
		if !f.Empty {
			t.Anomalies.Add(dissect.AnomTowerUnexpectedFloor, f.Off, uint32(f.Protocol), uint32(f.Index))
		}
		return
	}
	if len(f.LHS) != 18 {
		t.Anomalies.Add(dissect.AnomTowerUUIDLength, f.Off, uint32(len(f.LHS)+1), 19)
		if len(f.LHS) < 18 {
			return
		}
	}
	s, has := &t.Interface, &t.HasInterface
	if f.Index != 0 {
		s, has = &t.Transfer, &t.HasTransfer
	}
	s.UUID.SetWire(f.LHS, true)
	s.Major = binary.LittleEndian.Uint16(f.LHS[16:])
	s.Minor = t.minor(f)
	*has = true
}

// minor reads a 2-byte little-endian minor version RHS.
func (t *TowerInfo) minor(f *Floor) uint16 {
	if len(f.RHS) != 2 {
		t.Anomalies.Add(dissect.AnomTowerRHSLength, f.RHSOff, uint32(len(f.RHS)), 2)
		if len(f.RHS) < 2 {
			return 0
		}
	}
	return binary.LittleEndian.Uint16(f.RHS)
}

// rpcFloor decodes floor 3, the RPC protocol.
func (t *TowerInfo) rpcFloor(f *Floor) {
	t.checkSingleByte(f)
	if f.Empty {
		return
	}
	switch f.Protocol {
	case ProtoRPCCO, ProtoRPCCL, ProtoLRPC:
		t.RPC, t.HasRPC = f.Protocol, true
		t.RPCMinor = t.minor(f)
	default:
		if f.Protocol.Known() {
			t.Anomalies.Add(dissect.AnomTowerUnexpectedFloor, f.Off, uint32(f.Protocol), uint32(f.Index))
		}
	}
}

// checkSingleByte flags unknown protocol ids and LHS data after a
// single-octet protocol id.
func (t *TowerInfo) checkSingleByte(f *Floor) {
	if f.Empty {
		return
	}
	if !f.Protocol.Known() {
		t.Anomalies.Add(dissect.AnomTowerUnknownProtocol, f.Off, uint32(f.Protocol), uint32(f.Index))
		return
	}
	if len(f.LHS) != 0 && f.Protocol != ProtoUUID && f.Protocol != ProtoOSIOID {
		t.Anomalies.Add(dissect.AnomTowerLHSLength, f.Off, uint32(len(f.LHS)+1), 1)
	}
}

// binding derives the protocol sequence from floors 3..5 and decodes the
// endpoint and address floors. end is the end of the last floor (where a
// missing floor would have been).
func (t *TowerInfo) binding(ep, addr *Floor, end int) {
	if !t.HasRPC {
		if t.Floors < 3 {
			t.Anomalies.Add(dissect.AnomTowerMissingFloor, end, 0xff, 0)
		}
		return
	}
	if !t.HasEndpoint {
		t.Anomalies.Add(dissect.AnomTowerMissingFloor, end, 0xff, 0)
		return
	}
	r, ok := lookupRule(t.RPC, t.Endpoint, t.Addr, t.HasAddr)
	want := 4 // floors the protocol sequence has
	if ok {
		t.Protseq = r.ps
		if r.hasAddr {
			want = 5
			if !t.HasAddr {
				t.Anomalies.Add(dissect.AnomTowerMissingFloor, end, uint32(r.addr), 0)
			} else if r.addr != t.Addr {
				t.Anomalies.Add(dissect.AnomTowerUnexpectedFloor, addr.Off, uint32(t.Addr), 4)
			}
		}
		if t.Floors > want {
			t.Anomalies.Add(dissect.AnomTowerUnexpectedFloor, end, uint32(t.Protocols[min(want, MaxFloors-1)]), uint32(want))
		}
	} else if t.Endpoint.Known() {
		// Known ids in a sequence no protocol sequence uses (CO over UDP,
		// for example).
		t.Anomalies.Add(dissect.AnomTowerUnexpectedFloor, ep.Off, uint32(t.Endpoint), 3)
	}
	t.RawEndpoint = ep.RHS
	t.endpointRHS(ep)
	if t.HasAddr && (!ok || r.hasAddr) {
		t.RawAddr = addr.RHS
		t.addrRHS(addr)
	}
}

// endpointRHS decodes the endpoint floor's RHS into Port or EndpointName.
func (t *TowerInfo) endpointRHS(f *Floor) {
	switch f.Protocol {
	case ProtoTCP, ProtoUDP, ProtoHTTP, ProtoVinesSPP, ProtoVinesIPC:
		if len(f.RHS) != 2 {
			t.Anomalies.Add(dissect.AnomTowerPortLength, f.RHSOff, uint32(len(f.RHS)), 2)
			return
		}
		t.Port, t.HasPort = binary.BigEndian.Uint16(f.RHS), true
	case ProtoNamedPipe, ProtoPortName, ProtoNetBIOS, ProtoStreetTalk, ProtoUnixSocket:
		t.EndpointName = t.name(f)
	default:
		// Transports not seen on the wire: a 1- or 2-byte RHS is taken as a
		// port (MS-RPCE gives the NetBIOS transports an 8-bit port and SPX a
		// 16-bit one), a printable NUL-terminated RHS as a name; anything
		// else stays raw in RawEndpoint.
		switch {
		case len(f.RHS) == 1:
			t.Port, t.HasPort = uint16(f.RHS[0]), true
		case len(f.RHS) == 2:
			t.Port, t.HasPort = binary.BigEndian.Uint16(f.RHS), true
		case len(f.RHS) > 0 && f.RHS[len(f.RHS)-1] == 0 && printable(f.RHS[:len(f.RHS)-1]):
			t.EndpointName = t.name(f)
		}
	}
}

// addrRHS decodes the address floor's RHS into IP or AddrName.
func (t *TowerInfo) addrRHS(f *Floor) {
	switch f.Protocol {
	case ProtoIP:
		t.ipv4(f)
	case ProtoHTTPHost:
		if t.Endpoint == ProtoHTTP {
			t.ipv4(f)
		} else {
			t.AddrName = t.name(f)
		}
	case ProtoNetBIOS, ProtoStreetTalk, ProtoNamedPipe, ProtoPortName:
		t.AddrName = t.name(f)
	default:
		if len(f.RHS) > 0 && f.RHS[len(f.RHS)-1] == 0 && printable(f.RHS[:len(f.RHS)-1]) {
			t.AddrName = t.name(f)
		}
	}
}

func printable(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

// ipv4 decodes an IPv4 address RHS. Exactly 4 bytes is an address; a larger
// multiple of 4 is the fused-multihomed fault (see TowerInfo.Fused); any
// other length leaves IP zero. tshark reads a 2-byte RHS as 127.0.0.0
// (SYNTHETIC-udp-epm-lookup-corrupt-floor.pcap); this decoder does not
// invent the missing bytes.
func (t *TowerInfo) ipv4(f *Floor) {
	n := len(f.RHS)
	if n == 4 {
		t.IP = netip.AddrFrom4([4]byte(f.RHS))
		return
	}
	t.Anomalies.Add(dissect.AnomTowerIPv4Length, f.RHSOff, uint32(n), 4)
	if n < 8 || n%4 != 0 {
		return
	}
	t.Fused = true
	var buf [dissect.MaxText + 16]byte
	if s := appendFused(buf[:0], f.RHS); len(s) > dissect.MaxText {
		t.Anomalies.Add(dissect.AnomTowerTextTruncated, f.RHSOff, uint32(len(s)), dissect.MaxText)
	}
}

// appendFused appends the dotted quads of a fused IPv4 RHS glued together,
// stopping once more than dissect.MaxText bytes were appended (so dst needs
// room for MaxText+16).
func appendFused(dst, rhs []byte) []byte {
	start := len(dst)
	for i := 0; i+4 <= len(rhs) && len(dst)-start <= dissect.MaxText; i += 4 {
		dst = appendQuad(dst, [4]byte(rhs[i:]))
	}
	return dst
}

// appendQuad appends a as a dotted quad ("157.61.239.5").
func appendQuad(dst []byte, a [4]byte) []byte {
	for i, c := range a {
		if i > 0 {
			dst = append(dst, '.')
		}
		switch {
		case c >= 100:
			dst = append(dst, '0'+c/100, '0'+c/10%10, '0'+c%10)
		case c >= 10:
			dst = append(dst, '0'+c/10, '0'+c%10)
		default:
			dst = append(dst, '0'+c)
		}
	}
	return dst
}

// name returns a NUL-terminated name RHS without its NUL, recording a
// missing or early NUL (the name then ends at the RHS's end or at the first
// NUL) and a name too long for a dissect.Text.
func (t *TowerInfo) name(f *Floor) []byte {
	b := f.RHS
	n := len(b)
	nul := -1
	for i, c := range b {
		if c == 0 {
			nul = i
			break
		}
	}
	switch {
	case nul < 0:
		t.Anomalies.Add(dissect.AnomTowerMissingNUL, f.RHSOff, uint32(n), 0)
	case nul < n-1:
		t.Anomalies.Add(dissect.AnomTowerEmbeddedNUL, f.RHSOff+nul, uint32(nul), uint32(n))
		b = b[:nul]
	default:
		b = b[:nul]
	}
	if len(b) > dissect.MaxText {
		t.Anomalies.Add(dissect.AnomTowerTextTruncated, f.RHSOff, uint32(len(b)), dissect.MaxText)
	}
	return b
}
