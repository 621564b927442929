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
		f.Index, f.Off, f.RHSOff = i, off, roff+2
		f.RHS = b[roff+2 : roff+2+rl : roff+2+rl]
		if ll == 0 {
			f.Protocol, f.Empty, f.LHS = 0, true, nil
			a.Add(dissect.AnomTowerLHSLength, off, 0, 1)
		} else {
			f.Protocol, f.Empty, f.LHS = ProtocolID(b[off+2]), false, b[off+3:off+2+ll:off+2+ll]
		}
		off = roff + 2 + rl
		if i < MaxFloors {
			t.Protocols[i] = f.Protocol
		}
		t.Floors++
		switch i {
		case 0, 1:
			t.syntaxFloor(&f)
		case 2:
			t.rpcFloor(&f)
		default:
			t.checkSingleByte(&f)
			switch i {
			case 3:
				ep = f
				t.Endpoint, t.HasEndpoint = f.Protocol, true
			case 4:
				addr = f
				t.Addr, t.HasAddr = f.Protocol, true
			}
		}
	}
	if err == nil && off < len(b) {
		a.Add(dissect.AnomTowerTrailingBytes, off, uint32(len(b)-off), 0)
	}
	t.binding(&ep, &addr, off)
	return err
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
	s.UUID = uuidLE(f.LHS)
	s.Major = binary.LittleEndian.Uint16(f.LHS[16:])
	s.Minor = t.minor(f)
	*has = true
}

// uuidLE reads a UUID in little-endian wire form (tower octets always use
// it) from b[:16]; it is dissect.UUIDAt(b, 0, true) with word loads, which
// matters on the tower hot path.
func uuidLE(b []byte) dissect.UUID {
	var u dissect.UUID
	_ = b[15]
	binary.BigEndian.PutUint32(u[0:], binary.LittleEndian.Uint32(b[0:]))
	binary.BigEndian.PutUint16(u[4:], binary.LittleEndian.Uint16(b[4:]))
	binary.BigEndian.PutUint16(u[6:], binary.LittleEndian.Uint16(b[6:]))
	binary.BigEndian.PutUint64(u[8:], binary.BigEndian.Uint64(b[8:]))
	return u
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
		t.setPort(binary.BigEndian.Uint16(f.RHS))
	case ProtoNamedPipe, ProtoPortName, ProtoNetBIOS, ProtoStreetTalk, ProtoUnixSocket:
		t.text(&t.Binding.Endpoint, f)
	default:
		// Transports not seen on the wire: a 1- or 2-byte RHS is taken as a
		// port (MS-RPCE gives the NetBIOS transports an 8-bit port and SPX a
		// 16-bit one), a printable NUL-terminated RHS as a name; anything
		// else stays raw in RawEndpoint.
		switch {
		case len(f.RHS) == 1:
			t.setPort(uint16(f.RHS[0]))
		case len(f.RHS) == 2:
			t.setPort(binary.BigEndian.Uint16(f.RHS))
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
		a := [4]byte(f.RHS)
		t.Binding.IP = netip.AddrFrom4(a)
		textQuad(&t.Binding.Addr, a)
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
		s = appendQuad(s, [4]byte(f.RHS[i:]))
	}
	if !appendText(&t.Binding.Addr, s) {
		t.Anomalies.Add(dissect.AnomTowerTextTruncated, f.RHSOff, uint32(len(s)), dissect.MaxText)
	}
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

// setPort is Binding.SetPort for the empty Binding of a freshly reset
// TowerInfo, writing the digits straight into Endpoint.
func (t *TowerInfo) setPort(p uint16) {
	t.Binding.Port, t.Binding.HasPort = p, true
	var d [5]byte
	i := len(d)
	for {
		i--
		d[i] = '0' + byte(p%10)
		p /= 10
		if p == 0 {
			break
		}
	}
	for ; i < len(d); i++ {
		t.Binding.Endpoint.AppendByte(d[i])
	}
}

// textQuad writes a as a dotted quad into an empty Text byte by byte: on
// this path a few AppendByte calls cost less than the memmove behind
// Text.Set and dissect.AppendUint.
func textQuad(dst *dissect.Text, a [4]byte) {
	for i, c := range a {
		if i > 0 {
			dst.AppendByte('.')
		}
		if c >= 100 {
			dst.AppendByte('0' + c/100)
		}
		if c >= 10 {
			dst.AppendByte('0' + c/10%10)
		}
		dst.AppendByte('0' + c%10)
	}
}

// appendText appends b to an empty Text; it reports false when b did not
// fit (the text then holds the first MaxText bytes).
func appendText(t *dissect.Text, b []byte) bool {
	for _, c := range b {
		if !t.AppendByte(c) {
			return false
		}
	}
	return true
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
	if !appendText(dst, b) {
		t.Anomalies.Add(dissect.AnomTowerTextTruncated, f.RHSOff, uint32(len(b)), dissect.MaxText)
	}
}
