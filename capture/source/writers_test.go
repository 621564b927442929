package source

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/rpcwatch/rpcwatch/capture/decode"
)

// rec is one frame to write into a test capture.
type rec struct {
	ts      time.Time
	data    []byte
	origLen int
	iface   int
	lt      decode.LinkType
}

func order(be bool) binary.ByteOrder {
	if be {
		return binary.BigEndian
	}
	return binary.LittleEndian
}

// writePcap writes a classic pcap file by hand, in either byte order and
// with micro- or nanosecond timestamps.
func writePcap(be, nanos bool, lt decode.LinkType, snap uint32, recs []rec) []byte {
	o := order(be)
	var b bytes.Buffer
	h := make([]byte, 24)
	magic := uint32(0xa1b2c3d4)
	if nanos {
		magic = 0xa1b23c4d
	}
	o.PutUint32(h[0:], magic)
	o.PutUint16(h[4:], 2)
	o.PutUint16(h[6:], 4)
	o.PutUint32(h[16:], snap)
	o.PutUint32(h[20:], uint32(lt))
	b.Write(h)
	for _, r := range recs {
		rh := make([]byte, 16)
		frac := r.ts.Nanosecond()
		if !nanos {
			frac /= 1000
		}
		o.PutUint32(rh[0:], uint32(r.ts.Unix()))
		o.PutUint32(rh[4:], uint32(frac))
		o.PutUint32(rh[8:], uint32(len(r.data)))
		o.PutUint32(rh[12:], uint32(r.origLen))
		b.Write(rh)
		b.Write(r.data)
	}
	return b.Bytes()
}

// ngIfaceSpec describes an interface of a hand-written pcapng file.
type ngIfaceSpec struct {
	lt      decode.LinkType
	snap    uint32
	tsresol byte // 0: option absent (microseconds)
}

// ngWriter writes pcapng blocks by hand in either byte order.
type ngWriter struct {
	o binary.ByteOrder
	b bytes.Buffer
}

func pad4(n int) int { return (n + 3) &^ 3 }

func (w *ngWriter) block(typ uint32, body []byte) {
	n := 12 + pad4(len(body))
	h := make([]byte, 8)
	w.o.PutUint32(h, typ)
	w.o.PutUint32(h[4:], uint32(n))
	w.b.Write(h)
	w.b.Write(body)
	w.b.Write(make([]byte, pad4(len(body))-len(body)))
	t := make([]byte, 4)
	w.o.PutUint32(t, uint32(n))
	w.b.Write(t)
}

func (w *ngWriter) option(code uint16, v []byte) []byte {
	o := make([]byte, 4+pad4(len(v)))
	w.o.PutUint16(o, code)
	w.o.PutUint16(o[2:], uint16(len(v)))
	copy(o[4:], v)
	return o
}

func (w *ngWriter) shb() {
	body := make([]byte, 16)
	w.o.PutUint32(body, ngByteOrderMagic)
	w.o.PutUint16(body[4:], 1)
	w.o.PutUint16(body[6:], 0)
	binary.LittleEndian.PutUint64(body[8:], ^uint64(0))
	body = append(body, w.option(4, []byte("rpcwatch test"))...) // shb_userappl
	body = append(body, 0, 0, 0, 0)
	w.block(ngSHB, body)
}

func (w *ngWriter) idb(s ngIfaceSpec) {
	body := make([]byte, 8)
	w.o.PutUint16(body, uint16(s.lt))
	w.o.PutUint32(body[4:], s.snap)
	body = append(body, w.option(2, []byte("if"+string(rune('0'+s.lt%10))))...) // if_name
	if s.tsresol != 0 {
		body = append(body, w.option(ngOptTSResol, []byte{s.tsresol})...)
	}
	body = append(body, 0, 0, 0, 0)
	w.block(ngIDB, body)
}

func unitsPerSecond(tsresol byte) uint64 {
	if tsresol == 0 {
		return 1e6
	}
	u := uint64(1)
	for i := byte(0); i < tsresol; i++ {
		u *= 10
	}
	return u
}

func (w *ngWriter) epb(iface int, spec ngIfaceSpec, r rec) {
	body := make([]byte, 20)
	ups := unitsPerSecond(spec.tsresol)
	ts := uint64(r.ts.Unix())*ups + uint64(r.ts.Nanosecond())*ups/1e9
	w.o.PutUint32(body, uint32(iface))
	w.o.PutUint32(body[4:], uint32(ts>>32))
	w.o.PutUint32(body[8:], uint32(ts))
	w.o.PutUint32(body[12:], uint32(len(r.data)))
	w.o.PutUint32(body[16:], uint32(r.origLen))
	body = append(body, r.data...)
	w.block(ngEPB, body)
}

// writePcapNG writes one section with the given interfaces; frames go to
// rec.iface. A custom block and an interface statistics block are mixed in
// to exercise skipping.
func writePcapNG(be bool, ifaces []ngIfaceSpec, recs []rec) []byte {
	w := &ngWriter{o: order(be)}
	w.shb()
	for _, s := range ifaces {
		w.idb(s)
	}
	w.block(0x00000bad, []byte("custom block, skipped")) // custom block type (PEN-less local use)
	for i, r := range recs {
		w.epb(r.iface, ifaces[r.iface], r)
		if i == 0 {
			isb := make([]byte, 12)
			w.o.PutUint32(isb, 0)
			w.block(ngISB, append(isb, 0, 0, 0, 0))
		}
	}
	isb := make([]byte, 12)
	w.block(ngISB, append(isb, 0, 0, 0, 0))
	return w.b.Bytes()
}

func gzipped(b []byte) []byte {
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	zw.Write(b)
	zw.Close()
	return out.Bytes()
}

var (
	tMAC1 = net.HardwareAddr{2, 0, 0, 0, 0, 1}
	tMAC2 = net.HardwareAddr{2, 0, 0, 0, 0, 2}
	tIP1  = netip.MustParseAddr("10.1.2.3")
	tIP2  = netip.MustParseAddr("10.9.8.7")
	tIP61 = netip.MustParseAddr("fd00::1")
	tIP62 = netip.MustParseAddr("fd00::2")
)

func ser(t testing.TB, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		t.Fatal(err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

// udp4 is an IPv4/UDP packet 10.1.2.3:port -> 10.9.8.7:135.
func udp4(t testing.TB, port uint16, payload string) []byte {
	ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: tIP1.AsSlice(), DstIP: tIP2.AsSlice()}
	u := &layers.UDP{SrcPort: layers.UDPPort(port), DstPort: 135}
	u.SetNetworkLayerForChecksum(ip)
	return ser(t, ip, u, gopacket.Payload(payload))
}

// tcp6 is an IPv6/TCP segment fd00::1:port -> fd00::2:135.
func tcp6(t testing.TB, port uint16, payload string) []byte {
	ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolTCP, SrcIP: tIP61.AsSlice(), DstIP: tIP62.AsSlice()}
	tc := &layers.TCP{SrcPort: layers.TCPPort(port), DstPort: 135, Seq: 1000, ACK: true, PSH: true, Window: 512}
	tc.SetNetworkLayerForChecksum(ip)
	return ser(t, ip, tc, gopacket.Payload(payload))
}

func ether(t testing.TB, v6 bool, ip []byte) []byte {
	et := layers.EthernetTypeIPv4
	if v6 {
		et = layers.EthernetTypeIPv6
	}
	return ser(t, &layers.Ethernet{SrcMAC: tMAC1, DstMAC: tMAC2, EthernetType: et}, gopacket.Payload(ip))
}

func sll2(t testing.TB, v6 bool, ip []byte) []byte {
	et := layers.EthernetTypeIPv4
	if v6 {
		et = layers.EthernetTypeIPv6
	}
	s := &decode.SLL2{Protocol: et, InterfaceIndex: 2, ARPHRDType: 1, PacketType: 4, AddrLen: 6}
	copy(s.Addr[:], tMAC1)
	return ser(t, s, gopacket.Payload(ip))
}

// testRecs returns n frames of link type lt with distinct timestamps
// (whole microseconds unless nanos) and payloads.
func testRecs(t testing.TB, n int, lt decode.LinkType, nanos bool) []rec {
	base := time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC)
	var out []rec
	for i := 0; i < n; i++ {
		ts := base.Add(time.Duration(i)*1500*time.Millisecond + time.Duration(i*1001)*time.Microsecond)
		if nanos {
			ts = ts.Add(time.Duration(i*7+1) * time.Nanosecond)
		}
		var ip []byte
		v6 := i%2 == 1
		if v6 {
			ip = tcp6(t, uint16(50000+i), "frame "+string(rune('a'+i%26)))
		} else {
			ip = udp4(t, uint16(50000+i), "frame "+string(rune('a'+i%26)))
		}
		var data []byte
		switch lt {
		case decode.LinkTypeEthernet:
			data = ether(t, v6, ip)
		case decode.LinkTypeLinuxSLL2:
			data = sll2(t, v6, ip)
		case decode.LinkTypeRaw:
			data = ip
		default:
			data = append([]byte{1, 2, 3, 4}, ip...)
		}
		orig := len(data)
		if i%3 == 2 {
			orig += 100 // as if the snap length had cut it
		}
		out = append(out, rec{ts: ts, data: data, origLen: orig, lt: lt})
	}
	return out
}
