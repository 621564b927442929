package decode

import (
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/rpcwatch/rpcwatch/dissect"
)

func TestDecodeSamples(t *testing.T) {
	d := NewDecoder()
	ss := samples(t)
	if len(ss) != 3*2*12+3*2 {
		t.Fatalf("built %d samples, want %d", len(ss), 3*2*12+3*2)
	}
	for _, s := range ss {
		t.Run(s.name, func(t *testing.T) {
			var p Packet
			if err := d.Decode(s.lt, s.frame, &p); err != nil {
				t.Fatalf("Decode: %v (anomalies %v)", err, anomalies(&p))
			}
			if d := diffPacket(&p, &s.want); d != "" {
				t.Error(d)
			}
		})
	}
}

// diffPacket lists the fields in which got and want differ ("" if none).
func diffPacket(got, want *Packet) string {
	g, w := reflect.ValueOf(got).Elem(), reflect.ValueOf(want).Elem()
	s := ""
	for i := 0; i < g.NumField(); i++ {
		name := g.Type().Field(i).Name
		if name == "Anomalies" {
			if !reflect.DeepEqual(got.Anomalies, want.Anomalies) {
				s += " Anomalies: got " + anomalies(got) + " want " + anomalies(want)
			}
			continue
		}
		if !reflect.DeepEqual(g.Field(i).Interface(), w.Field(i).Interface()) {
			s += fmt.Sprintf(" %s: got %+v want %+v;", name, g.Field(i).Interface(), w.Field(i).Interface())
		}
	}
	return s
}

func anomalies(p *Packet) string {
	s := ""
	for i := 0; i < p.Anomalies.Len(); i++ {
		a := p.Anomalies.At(i)
		s += fmt.Sprintf("[%v@%d %d/%d]", a.Kind, a.Off, a.A, a.B)
	}
	return s
}

// Decoding A and then B into the same Packet with the same Decoder must
// equal a fresh decode of B.
func TestDecodeReset(t *testing.T) {
	ss := samples(t)
	shared := NewDecoder()
	var p Packet
	for i, a := range ss {
		b := ss[(i*7+3)%len(ss)]
		_ = shared.Decode(a.lt, a.frame, &p)
		errB := shared.Decode(b.lt, b.frame, &p)
		var fresh Packet
		errF := NewDecoder().Decode(b.lt, b.frame, &fresh)
		if errB != errF || !reflect.DeepEqual(p, fresh) {
			t.Errorf("%s then %s: err %v, fresh %v; %s", a.name, b.name, errB, errF, diffPacket(&p, &fresh))
		}
	}
	// And after an error.
	_ = shared.Decode(LinkTypeEthernet, ss[0].frame[:20], &p)
	_ = shared.Decode(LinkTypeEthernet, ss[2].frame, &p)
	var fresh Packet
	_ = NewDecoder().Decode(LinkTypeEthernet, ss[2].frame, &fresh)
	if !reflect.DeepEqual(p, fresh) {
		t.Errorf("after a truncated frame: %s", diffPacket(&p, &fresh))
	}
}

// Cutting a frame anywhere inside its link header or IP datagram must be
// reported as truncated (an error when a header is cut, the Truncated flag
// when only payload is); cutting only Ethernet padding must not.
func TestDecodeTruncated(t *testing.T) {
	d := NewDecoder()
	for _, s := range samples(t) {
		for n := 0; n < len(s.frame); n++ {
			var p Packet
			err := d.Decode(s.lt, s.frame[:n], &p)
			if n >= s.ipLen {
				if err != nil || p.Truncated {
					t.Errorf("%s cut at %d (padding only): err %v truncated %v", s.name, n, err, p.Truncated)
				}
				continue
			}
			if !p.Truncated {
				t.Errorf("%s cut at %d of %d: not reported truncated (err %v)", s.name, n, s.ipLen, err)
			}
			if err != nil && err != ErrTruncated {
				t.Errorf("%s cut at %d: err %v, want ErrTruncated", s.name, n, err)
			}
			if err == nil && p.PayloadLen <= len(p.Payload) && p.Proto != ProtoICMPv4 && p.Proto != ProtoICMPv6 {
				t.Errorf("%s cut at %d: no error and PayloadLen %d <= len(Payload) %d", s.name, n, p.PayloadLen, len(p.Payload))
			}
			if err == ErrTruncated && !p.Anomalies.Has(dissect.AnomTruncated) {
				t.Errorf("%s cut at %d: ErrTruncated without a truncated anomaly", s.name, n)
			}
		}
	}
}

func TestTruncatedOffsets(t *testing.T) {
	ip, _ := ipPacket(t, false, "tcp")
	var want Packet
	f, _ := frame(t, "vlan", false, ip, &want)
	// Ethernet 14 + tag 4 + IPv4 20 = 38: cut the TCP header after 10 bytes.
	var p Packet
	err := NewDecoder().Decode(LinkTypeEthernet, f[:48], &p)
	if err != ErrTruncated {
		t.Fatalf("err %v, want ErrTruncated", err)
	}
	if p.Net != NetIPv4 || p.Src != src4 || p.Proto != ProtoNone || !p.Truncated {
		t.Errorf("partial packet %+v", p)
	}
	// The IP total length runs past the frame, then the TCP header is cut.
	if p.Anomalies.Len() != 2 {
		t.Fatalf("anomalies %s", anomalies(&p))
	}
	if a := p.Anomalies.At(0); a.Kind != dissect.AnomTruncated || a.Off != 18 || a.A != uint32(len(ip)) || a.B != 30 {
		t.Errorf("ip anomaly %+v", a)
	}
	if a := p.Anomalies.At(1); a.Kind != dissect.AnomTruncated || a.Off != 38 || a.A != 20 || a.B != 10 {
		t.Errorf("tcp anomaly %+v", a)
	}
}

func TestUnsupportedLinkType(t *testing.T) {
	var p Packet
	if err := NewDecoder().Decode(147, []byte{1, 2, 3}, &p); err != ErrLinkType {
		t.Fatalf("Decode(147): %v", err)
	}
	err := CheckLinkType(147)
	if err == nil || err.Error() != "unsupported link type 147 (USER0)" || !errors.Is(err, ErrLinkType) {
		t.Errorf("CheckLinkType(147) = %v", err)
	}
	if err := CheckLinkType(LinkTypeLinuxSLL2); err != nil {
		t.Errorf("CheckLinkType(276) = %v", err)
	}
	if s := LinkType(9).String(); s != "PPP" {
		t.Errorf("LinkType(9) = %q", s)
	}
	if s := LinkType(4000).String(); s != "LINKTYPE_4000" {
		t.Errorf("LinkType(4000) = %q", s)
	}
}

func TestNonIP(t *testing.T) {
	arp := serialize(t, &layers.Ethernet{SrcMAC: macA, DstMAC: macB, EthernetType: layers.EthernetTypeARP},
		&layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
			Operation: 1, SourceHwAddress: macA, SourceProtAddress: src4.AsSlice(), DstHwAddress: macB, DstProtAddress: dst4.AsSlice()})
	var p Packet
	if err := NewDecoder().Decode(LinkTypeEthernet, arp, &p); err != nil || p.Net != NetNone || p.Proto != ProtoNone {
		t.Errorf("ARP: err %v, packet %+v", err, p)
	}
	// A loopback family that is not IP.
	if err := NewDecoder().Decode(LinkTypeNull, []byte{7, 0, 0, 0, 0x45}, &p); err != nil || p.Net != NetNone {
		t.Errorf("NULL family 7: err %v, packet %+v", err, p)
	}
	// Raw link with a version nibble that is neither 4 nor 6.
	if err := NewDecoder().Decode(LinkTypeRaw, []byte{0x55, 0, 0, 0}, &p); err != ErrMalformed || !p.Anomalies.Has(dissect.AnomBadValue) {
		t.Errorf("raw version 5: err %v, anomalies %s", err, anomalies(&p))
	}
}

func TestVLANLimit(t *testing.T) {
	ip, _ := ipPacket(t, false, "udp")
	ls := []gopacket.SerializableLayer{&layers.Ethernet{SrcMAC: macA, DstMAC: macB, EthernetType: layers.EthernetTypeDot1Q}}
	for i := 0; i < MaxVLANTags+1; i++ {
		next := layers.EthernetTypeDot1Q
		if i == MaxVLANTags {
			next = layers.EthernetTypeIPv4
		}
		ls = append(ls, &layers.Dot1Q{VLANIdentifier: uint16(i + 1), Type: next})
	}
	f := serialize(t, append(ls, gopacket.Payload(ip))...)
	var p Packet
	err := NewDecoder().Decode(LinkTypeEthernet, f, &p)
	if err != ErrMalformed || p.NumVLAN != MaxVLANTags || !p.Anomalies.Has(dissect.AnomLimit) {
		t.Errorf("err %v, NumVLAN %d, anomalies %s", err, p.NumVLAN, anomalies(&p))
	}
}

// ipv6WithExt builds IPv6 | hop-by-hop | destination options | [fragment] | UDP.
func ipv6WithExt(t testing.TB, frag bool, fragOff int, more bool) []byte {
	udp := &layers.UDP{SrcPort: srcPort, DstPort: dstPort}
	ip := &layers.IPv6{Version: 6, HopLimit: hopLimit, NextHeader: layers.IPProtocolIPv6HopByHop, SrcIP: src6.AsSlice(), DstIP: dst6.AsSlice()}
	udp.SetNetworkLayerForChecksum(ip)
	l4 := serialize(t, udp, gopacket.Payload(appData))
	// hop-by-hop: next=dest(60), len 0, PadN(4 bytes of padding)
	hbh := []byte{60, 0, 1, 4, 0, 0, 0, 0}
	// destination options: next=frag(44) or udp(17), len 1 (16 bytes), PadN 12
	next := byte(17)
	if frag {
		next = 44
	}
	dst := []byte{next, 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	ext := append(hbh, dst...)
	if frag {
		fh := make([]byte, 8)
		fh[0] = 17
		v := uint16(fragOff/8) << 3
		if more {
			v |= 1
		}
		binary.BigEndian.PutUint16(fh[2:], v)
		binary.BigEndian.PutUint32(fh[4:], 0xdeadbeef)
		ext = append(ext, fh...)
	}
	ip.Length = uint16(len(ext) + len(l4))
	hdr := serialize(t, ip)
	binary.BigEndian.PutUint16(hdr[4:], uint16(len(ext)+len(l4)))
	hdr[6] = 0
	return append(append(hdr, ext...), l4...)
}

func TestIPv6ExtensionHeaders(t *testing.T) {
	d := NewDecoder()
	var p Packet
	// Hop-by-hop and destination options, then UDP.
	b := ipv6WithExt(t, false, 0, false)
	if err := d.Decode(LinkTypeIPv6, b, &p); err != nil {
		t.Fatalf("ext: %v %s", err, anomalies(&p))
	}
	if p.Proto != ProtoUDP || p.IPProto != 17 || p.SrcPort != srcPort || string(p.Payload) != string(appData) {
		t.Errorf("ext: %+v", p)
	}
	// Atomic fragment: decoded through.
	b = ipv6WithExt(t, true, 0, false)
	if err := d.Decode(LinkTypeIPv6, b, &p); err != nil || p.Proto != ProtoUDP || p.DstPort != dstPort {
		t.Errorf("atomic fragment: err %v %+v", err, p)
	}
	// Real fragments: first and a later one.
	b = ipv6WithExt(t, true, 0, true)
	if err := d.Decode(LinkTypeIPv6, b, &p); err != nil {
		t.Fatal(err)
	}
	if p.Proto != ProtoFragment || p.IPProto != 17 || p.Frag != (Frag{ID: 0xdeadbeef, Offset: 0, More: true}) ||
		len(p.Payload) != 8+len(appData) || p.PayloadLen != len(p.Payload) {
		t.Errorf("first fragment: %+v", p)
	}
	b = ipv6WithExt(t, true, 1232, false)
	if err := d.Decode(LinkTypeIPv6, b, &p); err != nil || p.Proto != ProtoFragment || p.Frag.Offset != 1232 || p.Frag.More {
		t.Errorf("last fragment: err %v %+v", err, p)
	}
	// Nine destination-options headers exceed the limit.
	var chain []byte
	for i := 0; i < 9; i++ {
		chain = append(chain, 60, 0, 1, 4, 0, 0, 0, 0)
	}
	chain[len(chain)-8] = 17
	hdr := serialize(t, &layers.IPv6{Version: 6, HopLimit: 1, NextHeader: 60, SrcIP: src6.AsSlice(), DstIP: dst6.AsSlice()})
	binary.BigEndian.PutUint16(hdr[4:], uint16(len(chain)))
	if err := d.Decode(LinkTypeIPv6, append(hdr, chain...), &p); err != ErrMalformed || !p.Anomalies.Has(dissect.AnomLimit) {
		t.Errorf("ext limit: err %v %s", err, anomalies(&p))
	}
}

func TestIPv4Fragments(t *testing.T) {
	udp := &layers.UDP{SrcPort: srcPort, DstPort: dstPort}
	ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Id: 0xbeef, Flags: layers.IPv4MoreFragments, Protocol: layers.IPProtocolUDP,
		SrcIP: src4.AsSlice(), DstIP: dst4.AsSlice()}
	udp.SetNetworkLayerForChecksum(ip)
	b := serialize(t, ip, udp, gopacket.Payload(make([]byte, 64)))
	var p Packet
	d := NewDecoder()
	if err := d.Decode(LinkTypeIPv4, b, &p); err != nil {
		t.Fatal(err)
	}
	if p.Proto != ProtoFragment || p.IPProto != 17 || p.Frag != (Frag{ID: 0xbeef, More: true}) || len(p.Payload) != 72 || p.SrcPort != 0 {
		t.Errorf("first fragment %+v", p)
	}
	ip.Flags, ip.FragOffset = 0, 9 // offset 72 bytes, last
	b = serialize(t, ip, gopacket.Payload(make([]byte, 40)))
	if err := d.Decode(LinkTypeIPv4, b, &p); err != nil || p.Frag != (Frag{ID: 0xbeef, Offset: 72}) || len(p.Payload) != 40 {
		t.Errorf("last fragment err %v %+v", err, p)
	}
}

func TestUDPLength(t *testing.T) {
	ip, _ := ipPacket(t, false, "udp")
	d := NewDecoder()
	var p Packet
	// UDP length larger than the IP payload.
	b := append([]byte(nil), ip...)
	binary.BigEndian.PutUint16(b[24:], uint16(8+len(appData)+10))
	if err := d.Decode(LinkTypeIPv4, b, &p); err != nil || !p.Anomalies.Has(dissect.AnomLengthMismatch) || string(p.Payload) != string(appData) {
		t.Errorf("long UDP length: err %v %+v %s", err, p, anomalies(&p))
	}
	// Shorter: trailing bytes.
	binary.BigEndian.PutUint16(b[24:], 8+4)
	if err := d.Decode(LinkTypeIPv4, b, &p); err != nil || !p.Anomalies.Has(dissect.AnomTrailingBytes) || len(p.Payload) != 4 {
		t.Errorf("short UDP length: err %v %+v", err, p)
	}
	// 1..7 is malformed.
	binary.BigEndian.PutUint16(b[24:], 5)
	if err := d.Decode(LinkTypeIPv4, b, &p); err != ErrMalformed {
		t.Errorf("UDP length 5: err %v", err)
	}
}

func TestICMPQuoted(t *testing.T) {
	d := NewDecoder()
	var p Packet
	for _, v6 := range []bool{false, true} {
		ip, want := ipPacket(t, v6, "icmp")
		if err := d.Decode(map[bool]LinkType{false: LinkTypeIPv4, true: LinkTypeIPv6}[v6], ip, &p); err != nil {
			t.Fatal(err)
		}
		if !p.PortUnreachable() || !p.Unreachable() || p.ICMP != want.ICMP {
			t.Errorf("v6=%v: %+v", v6, p.ICMP)
		}
		// Quote cut inside the ports.
		cut := len(ip) - 12 - 6
		if err := d.Decode(map[bool]LinkType{false: LinkTypeIPv4, true: LinkTypeIPv6}[v6], ip[:cut], &p); err != nil {
			t.Fatal(err)
		}
		q := p.ICMP.Quoted
		if !q.Valid || q.HasPorts || !q.Truncated || !p.Truncated {
			t.Errorf("v6=%v cut quote: %+v truncated %v", v6, q, p.Truncated)
		}
	}
	// A quoted TCP non-first fragment has no ports.
	inner := serialize(t, &layers.IPv4{Version: 4, IHL: 5, TTL: 1, Protocol: layers.IPProtocolTCP, FragOffset: 100,
		SrcIP: qsrc4.AsSlice(), DstIP: qdst4.AsSlice()}, gopacket.Payload(make([]byte, 8)))
	outer := serialize(t, &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolICMPv4, SrcIP: src4.AsSlice(), DstIP: dst4.AsSlice()},
		&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(11, 1)}, gopacket.Payload(inner))
	if err := d.Decode(LinkTypeIPv4, outer, &p); err != nil {
		t.Fatal(err)
	}
	if q := p.ICMP.Quoted; !q.Valid || !q.Fragment || q.HasPorts || q.IPProto != 6 || p.Unreachable() {
		t.Errorf("time exceeded quoting fragment: %+v", q)
	}
}

func TestDecodeTransport(t *testing.T) {
	d := NewDecoder()
	var p Packet
	for _, v6 := range []bool{false, true} {
		for _, l4 := range []string{"tcp", "udp", "icmp"} {
			ip, want := ipPacket(t, v6, l4)
			hdr := 20
			if v6 {
				hdr = 40
			}
			if err := d.DecodeTransport(want.Net, want.Src, want.Dst, want.IPProto, ip[hdr:], &p); err != nil {
				t.Fatalf("%v %s: %v", v6, l4, err)
			}
			want.HopLimit = 0
			if d := diffPacket(&p, &want); d != "" {
				t.Errorf("v6=%v %s: %s", v6, l4, d)
			}
		}
	}
	if err := d.DecodeTransport(NetIPv4, src4, dst4, 47, []byte{1, 2, 3}, &p); err != nil || p.Proto != ProtoOther || len(p.Payload) != 3 {
		t.Errorf("GRE: err %v %+v", err, p)
	}
	if err := d.DecodeTransport(NetIPv4, src4, dst4, 17, []byte{1, 2, 3}, &p); err != ErrTruncated {
		t.Errorf("short UDP: err %v", err)
	}
}

func TestTCPFlagsString(t *testing.T) {
	if s := (FlagSYN | FlagACK).String(); s != "SYN|ACK" {
		t.Errorf("got %q", s)
	}
	if s := TCPFlags(0).String(); s != "0" {
		t.Errorf("got %q", s)
	}
	if ProtoFragment.String() != "fragment" || NetIPv6.String() != "ipv6" {
		t.Error("String")
	}
}

func TestNoAllocs(t *testing.T) {
	d := NewDecoder()
	var p Packet
	var sink error
	type tc struct {
		name string
		f    func()
	}
	var cases []tc
	for _, s := range samples(t) {
		s := s
		cases = append(cases, tc{s.name, func() { sink = d.Decode(s.lt, s.frame, &p) }})
		cut := s.frame[:s.ipLen-len(s.want.Payload)-3]
		cases = append(cases, tc{s.name + "/truncated", func() { sink = d.Decode(s.lt, cut, &p) }})
	}
	bad := []byte{0x55, 1, 2, 3}
	cases = append(cases,
		tc{"malformed", func() { sink = d.Decode(LinkTypeRaw, bad, &p) }},
		tc{"unsupported", func() { sink = d.Decode(147, bad, &p) }},
		tc{"ipv6-ext-frag", func() { sink = d.Decode(LinkTypeIPv6, ipv6WithExt(t, true, 8, true), &p) }},
	)
	ip, want := ipPacket(t, false, "udp")
	cases = append(cases, tc{"transport", func() { sink = d.DecodeTransport(NetIPv4, want.Src, want.Dst, 17, ip[20:], &p) }})
	ext := ipv6WithExt(t, true, 8, true)
	cases[len(cases)-2].f = func() { sink = d.Decode(LinkTypeIPv6, ext, &p) }
	for _, c := range cases {
		if n := testing.AllocsPerRun(50, c.f); n != 0 {
			t.Errorf("%s: %v allocs per decode", c.name, n)
		}
	}
	_ = sink
}

func BenchmarkDecode(b *testing.B) {
	for _, s := range samples(b) {
		if s.want.Proto != ProtoTCP {
			continue
		}
		b.Run(s.name, func(b *testing.B) {
			d := NewDecoder()
			var p Packet
			b.ReportAllocs()
			b.SetBytes(int64(len(s.frame)))
			for i := 0; i < b.N; i++ {
				if err := d.Decode(s.lt, s.frame, &p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
