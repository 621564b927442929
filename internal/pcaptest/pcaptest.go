// Package pcaptest is test support: it finds the shared real captures and
// extracts DCE/RPC PDUs from them with a deliberately simple reader, so that
// decoder tests in dissect/... can run on real bytes without the capture
// pipeline. It allocates freely and is never used outside tests.
//
// Its TCP handling is naive on purpose (in-order concatenation per
// direction, retransmissions dropped, no reorder buffer): the production
// stream reassembly lives in capture/tcpstream and is tested there.
package pcaptest

import (
	"bufio"
	"encoding/binary"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// Dir returns the shared captures folder (../shared/captures from the
// repository root), or skips the test with a clear message when it is absent.
func Dir(t testing.TB) string {
	t.Helper()
	if d, ok := FindDir(); ok {
		return d
	}
	t.Skip("shared captures not found (expected ../shared/captures beside the repository); skipping real-capture test")
	return ""
}

// FindDir walks up from the working directory looking for shared/captures.
func FindDir() (string, bool) {
	wd, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for d := wd; ; d = filepath.Dir(d) {
		c := filepath.Join(d, "shared", "captures")
		if st, err := os.Stat(c); err == nil && st.IsDir() {
			return c, true
		}
		if filepath.Dir(d) == d {
			return "", false
		}
	}
}

// Glob returns the captures in Dir matching pattern; it fails the test when
// nothing matches (a glob that silently matches nothing would make the test
// pass vacuously).
func Glob(t testing.TB, pattern string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(Dir(t), pattern))
	if err != nil {
		t.Fatal(err)
	}
	if len(m) == 0 {
		t.Fatalf("no capture matches %q", pattern)
	}
	sort.Strings(m)
	return m
}

// Frame is one captured record.
type Frame struct {
	Number int // 1-based, as tshark counts
	Time   time.Time
	Data   []byte
	Link   layers.LinkType
}

// Frames reads every record of a pcap or pcapng file. A truncated final
// record ends the list without failing (the truncation is reported in
// truncated).
func Frames(t testing.TB, path string) (frames []Frame, truncated bool) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	br := bufio.NewReader(f)
	magic, err := br.Peek(4)
	if err != nil {
		t.Fatal(err)
	}
	type reader interface {
		ReadPacketData() ([]byte, gopacket.CaptureInfo, error)
	}
	var r reader
	linkOf := func(ci gopacket.CaptureInfo) layers.LinkType { return layers.LinkTypeEthernet }
	if binary.LittleEndian.Uint32(magic) == 0x0a0d0d0a {
		ng, err := pcapgo.NewNgReader(br, pcapgo.DefaultNgReaderOptions)
		if err != nil {
			t.Fatal(err)
		}
		r = ng
		linkOf = func(ci gopacket.CaptureInfo) layers.LinkType {
			if ifc, err := ng.Interface(ci.InterfaceIndex); err == nil {
				return ifc.LinkType
			}
			return ng.LinkType()
		}
	} else {
		pr, err := pcapgo.NewReader(br)
		if err != nil {
			t.Fatal(err)
		}
		r = pr
		lt := pr.LinkType()
		linkOf = func(gopacket.CaptureInfo) layers.LinkType { return lt }
	}
	for n := 1; ; n++ {
		data, ci, err := r.ReadPacketData()
		if err == io.EOF {
			return frames, false
		}
		if err != nil {
			return frames, true
		}
		frames = append(frames, Frame{Number: n, Time: ci.Timestamp, Data: data, Link: linkOf(ci)})
	}
}

// PDU is one DCE/RPC PDU found in a capture: a whole CO PDU cut from a TCP
// stream (Frame is the frame that completed it) or a whole UDP datagram whose
// first byte is 4 (a CL candidate: callers decide whether it really is one).
type PDU struct {
	Frame    int
	Src, Dst netip.AddrPort
	UDP      bool
	Data     []byte
}

type dirKey struct{ src, dst netip.AddrPort }

type dirState struct {
	next    uint32
	started bool
	buf     []byte
	dead    bool // the stream is not DCE/RPC (or lost sync): ignore it
}

// PDUs returns the DCE/RPC PDUs of a capture, in the order they completed.
func PDUs(t testing.TB, path string) []PDU {
	t.Helper()
	frames, _ := Frames(t, path)
	var out []PDU
	dirs := map[dirKey]*dirState{}
	for _, fr := range frames {
		pkt := gopacket.NewPacket(fr.Data, fr.Link, gopacket.DecodeOptions{Lazy: true, NoCopy: true})
		var src, dst netip.Addr
		if ip4, ok := pkt.Layer(layers.LayerTypeIPv4).(*layers.IPv4); ok {
			if ip4.Flags&layers.IPv4MoreFragments != 0 || ip4.FragOffset != 0 {
				continue
			}
			src, _ = netip.AddrFromSlice(ip4.SrcIP.To4())
			dst, _ = netip.AddrFromSlice(ip4.DstIP.To4())
		} else if ip6, ok := pkt.Layer(layers.LayerTypeIPv6).(*layers.IPv6); ok {
			src, _ = netip.AddrFromSlice(ip6.SrcIP)
			dst, _ = netip.AddrFromSlice(ip6.DstIP)
		} else {
			continue
		}
		if udp, ok := pkt.Layer(layers.LayerTypeUDP).(*layers.UDP); ok {
			if len(udp.Payload) >= 80 && udp.Payload[0] == 4 {
				out = append(out, PDU{Frame: fr.Number, UDP: true,
					Src: netip.AddrPortFrom(src, uint16(udp.SrcPort)), Dst: netip.AddrPortFrom(dst, uint16(udp.DstPort)),
					Data: append([]byte(nil), udp.Payload...)})
			}
			continue
		}
		tcp, ok := pkt.Layer(layers.LayerTypeTCP).(*layers.TCP)
		if !ok {
			continue
		}
		k := dirKey{netip.AddrPortFrom(src, uint16(tcp.SrcPort)), netip.AddrPortFrom(dst, uint16(tcp.DstPort))}
		st := dirs[k]
		if st == nil {
			st = &dirState{}
			dirs[k] = st
		}
		if tcp.SYN {
			*st = dirState{next: tcp.Seq + 1, started: true}
			continue
		}
		if len(tcp.Payload) == 0 || st.dead {
			continue
		}
		seq, payload := tcp.Seq, tcp.Payload
		if !st.started {
			st.started, st.next = true, seq
		}
		d := int32(seq - st.next)
		if d < 0 { // retransmission or overlap: keep only new bytes
			if int(-d) >= len(payload) {
				continue
			}
			payload = payload[-d:]
			seq = st.next
		} else if d > 0 { // gap: this naive reader gives up on the stream
			st.dead = true
			continue
		}
		st.next = seq + uint32(len(payload))
		st.buf = append(st.buf, payload...)
		for len(st.buf) >= 16 {
			b := st.buf
			if b[0] != 5 || b[1] > 1 {
				st.dead = true
				st.buf = nil
				break
			}
			var fl int
			if b[4]&0x10 != 0 {
				fl = int(binary.LittleEndian.Uint16(b[8:]))
			} else {
				fl = int(binary.BigEndian.Uint16(b[8:]))
			}
			if fl < 16 {
				st.dead = true
				st.buf = nil
				break
			}
			if len(b) < fl {
				break
			}
			out = append(out, PDU{Frame: fr.Number, Src: k.src, Dst: k.dst, Data: append([]byte(nil), b[:fl]...)})
			st.buf = append(st.buf[:0], b[fl:]...)
		}
	}
	return out
}
