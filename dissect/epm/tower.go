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
// address floors describe.
//
// Octets, RawEndpoint and RawAddr alias the input and are valid while it is;
// everything else is a value (Binding in particular can be kept and used as
// a map key).
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

	// Binding is what the transport and address floors say, with Protseq
	// derived from the floor sequence (ProtseqUnknown when none matches).
	Binding dissect.Binding
	// Endpoint and Addr are the protocol ids of the endpoint (floor 4) and
	// address (floor 5) floors; RawEndpoint and RawAddr their RHS bytes, for
	// detectors that need more than the Binding text (RawAddr holds both
	// addresses of a fused IPv4 floor).
	Endpoint, Addr       ProtocolID
	HasEndpoint, HasAddr bool
	RawEndpoint, RawAddr []byte
	// Fused reports the multihomed-server fault: the IPv4 floor carried
	// 8 bytes (or another multiple of 4 above 4), two or more addresses glued
	// together. Binding.Addr then holds the dotted quads concatenated the way
	// Windows renders them ("157.61.239.61157.61.239.5"), Binding.IP stays
	// zero, and AnomTowerIPv4Length is recorded.
	Fused bool

	Anomalies dissect.Anomalies
}

// DecodeTower decodes tower octets (the tower_octet_string of a twr_t: the
// little-endian floor count, then the floors) into t, resetting it first.
// Everything decodable is decoded even when the tower is damaged; damage is
// recorded in t.Anomalies. The error is non-nil (dissect.ErrShort) only when
// the floors stop before the declared count because the octets end inside
// a floor, or when there are fewer than 2 octets.
func DecodeTower(octets []byte, t *TowerInfo) error {
	*t = TowerInfo{Octets: octets}
	var it FloorIter
	it.Reset(octets, &t.Anomalies)
	t.FloorCount = uint16(it.count)
	var ep, addr Floor
	for it.Next() {
		f := it.Floor()
		if f.Index < MaxFloors {
			t.Protocols[f.Index] = f.Protocol
		}
		t.Floors++
		switch f.Index {
		case 0, 1:
			t.syntaxFloor(f)
		case 2:
			t.rpcFloor(f)
		default:
			t.checkSingleByte(f)
			switch f.Index {
			case 3:
				ep, t.Endpoint, t.HasEndpoint = *f, f.Protocol, true
			case 4:
				addr, t.Addr, t.HasAddr = *f, f.Protocol, true
			}
		}
	}
	t.binding(&ep, &addr, it.off)
	return it.err
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
	s := dissect.SyntaxID{
		UUID:  dissect.UUIDAt(f.LHS, 0, true),
		Major: binary.LittleEndian.Uint16(f.LHS[16:]),
	}
	s.Minor = t.minor(f)
	if f.Index == 0 {
		t.Interface, t.HasInterface = s, true
	} else {
		t.Transfer, t.HasTransfer = s, true
	}
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

// binding derives the protocol sequence from floors 3..5 and fills Binding
// from the endpoint and address floors. end is the end of the last floor
// (where a missing floor would have been).
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
		t.Binding.Protseq = r.ps
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

// endpointRHS decodes the endpoint floor's RHS into Binding.
func (t *TowerInfo) endpointRHS(f *Floor) {
	switch f.Protocol {
	case ProtoTCP, ProtoUDP, ProtoHTTP, ProtoVinesSPP, ProtoVinesIPC:
		if len(f.RHS) != 2 {
			t.Anomalies.Add(dissect.AnomTowerPortLength, f.RHSOff, uint32(len(f.RHS)), 2)
			return
		}
		t.Binding.SetPort(binary.BigEndian.Uint16(f.RHS))
	case ProtoNamedPipe, ProtoPortName, ProtoNetBIOS, ProtoStreetTalk, ProtoUnixSocket:
		t.text(&t.Binding.Endpoint, f)
	default:
		// Transports not seen on the wire: a 1- or 2-byte RHS is taken as a
		// port (MS-RPCE gives the NetBIOS transports an 8-bit port and SPX a
		// 16-bit one), a printable NUL-terminated RHS as a name; anything
		// else stays raw in RawEndpoint.
		switch {
		case len(f.RHS) == 1:
			t.Binding.SetPort(uint16(f.RHS[0]))
		case len(f.RHS) == 2:
			t.Binding.SetPort(binary.BigEndian.Uint16(f.RHS))
		case len(f.RHS) > 0 && f.RHS[len(f.RHS)-1] == 0 && printable(f.RHS[:len(f.RHS)-1]):
			t.text(&t.Binding.Endpoint, f)
		}
	}
}

// addrRHS decodes the address floor's RHS into Binding.
func (t *TowerInfo) addrRHS(f *Floor) {
	switch f.Protocol {
	case ProtoIP:
		t.ipv4(f)
	case ProtoHTTPHost:
		if t.Endpoint == ProtoHTTP {
			t.ipv4(f)
		} else {
			t.text(&t.Binding.Addr, f)
		}
	case ProtoNetBIOS, ProtoStreetTalk, ProtoNamedPipe, ProtoPortName:
		t.text(&t.Binding.Addr, f)
	default:
		if len(f.RHS) > 0 && f.RHS[len(f.RHS)-1] == 0 && printable(f.RHS[:len(f.RHS)-1]) {
			t.text(&t.Binding.Addr, f)
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
// other length leaves Addr empty. tshark reads a 2-byte RHS as 127.0.0.0
// (SYNTHETIC-udp-epm-lookup-corrupt-floor.pcap); this decoder does not
// invent the missing bytes.
func (t *TowerInfo) ipv4(f *Floor) {
	n := len(f.RHS)
	if n == 4 {
		t.Binding.SetIP(netip.AddrFrom4([4]byte(f.RHS)))
		return
	}
	t.Anomalies.Add(dissect.AnomTowerIPv4Length, f.RHSOff, uint32(n), 4)
	if n < 8 || n%4 != 0 {
		return
	}
	t.Fused = true
	var buf [dissect.MaxText + 16]byte
	s := buf[:0]
	for i := 0; i+4 <= n && len(s) <= dissect.MaxText; i += 4 {
		for j := 0; j < 4; j++ {
			if j > 0 {
				s = append(s, '.')
			}
			s = dissect.AppendUint(s, uint64(f.RHS[i+j]))
		}
	}
	if !t.Binding.Addr.Set(s) {
		t.Anomalies.Add(dissect.AnomTowerTextTruncated, f.RHSOff, uint32(len(s)), dissect.MaxText)
	}
}

// text copies a NUL-terminated name RHS into dst, recording a missing or
// early NUL and truncation.
func (t *TowerInfo) text(dst *dissect.Text, f *Floor) {
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
	if !dst.Set(b) {
		t.Anomalies.Add(dissect.AnomTowerTextTruncated, f.RHSOff, uint32(len(b)), dissect.MaxText)
	}
}
