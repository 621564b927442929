package ipfrag

import (
	"bytes"
	"encoding/binary"
	"math/rand"
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/rpcwatch/rpcwatch/capture/decode"
	"github.com/rpcwatch/rpcwatch/capture/source"
)

var (
	src4 = netip.MustParseAddr("192.0.2.1")
	dst4 = netip.MustParseAddr("192.0.2.135")
	src6 = netip.MustParseAddr("2001:db8::1")
	dst6 = netip.MustParseAddr("2001:db8::135")
	t0   = time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
)

func ser(t testing.TB, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		t.Fatal(err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

// udpDatagram returns the UDP header and payload of a datagram from port
// 135 carrying n bytes (a large connectionless EPM answer).
func udpDatagram(t testing.TB, v6 bool, n int) []byte {
	payload := make([]byte, n)
	for i := range payload {
		payload[i] = byte(i*7 + i>>8)
	}
	u := &layers.UDP{SrcPort: 135, DstPort: 49200}
	if v6 {
		u.SetNetworkLayerForChecksum(&layers.IPv6{SrcIP: src6.AsSlice(), DstIP: dst6.AsSlice(), NextHeader: layers.IPProtocolUDP})
	} else {
		u.SetNetworkLayerForChecksum(&layers.IPv4{SrcIP: src4.AsSlice(), DstIP: dst4.AsSlice(), Protocol: layers.IPProtocolUDP})
	}
	return ser(t, u, gopacket.Payload(payload))
}

// fragments cuts an IP payload into raw-IP frames of at most chunk payload
// bytes each (chunk a multiple of 8).
func fragments(t testing.TB, v6 bool, id uint32, l4 []byte, chunk int) [][]byte {
	var out [][]byte
	for off := 0; off < len(l4); off += chunk {
		end := min(off+chunk, len(l4))
		more := end < len(l4)
		if v6 {
			fh := make([]byte, 8)
			fh[0] = 17
			v := uint16(off/8) << 3
			if more {
				v |= 1
			}
			binary.BigEndian.PutUint16(fh[2:], v)
			binary.BigEndian.PutUint32(fh[4:], id)
			out = append(out, ser(t, &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolIPv6Fragment,
				SrcIP: src6.AsSlice(), DstIP: dst6.AsSlice()}, gopacket.Payload(append(fh, l4[off:end]...))))
		} else {
			ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Id: uint16(id), Protocol: layers.IPProtocolUDP,
				FragOffset: uint16(off / 8), SrcIP: src4.AsSlice(), DstIP: dst4.AsSlice()}
			if more {
				ip.Flags = layers.IPv4MoreFragments
			}
			out = append(out, ser(t, ip, gopacket.Payload(l4[off:end])))
		}
	}
	return out
}

func decodeFrag(t testing.TB, d *decode.Decoder, frame []byte) *decode.Packet {
	t.Helper()
	p := new(decode.Packet)
	if err := d.Decode(decode.LinkTypeRaw, frame, p); err != nil || p.Proto != decode.ProtoFragment {
		t.Fatalf("decode fragment: %v, proto %v", err, p.Proto)
	}
	return p
}

// feed adds frames in the given order (frame numbers are index+1) and
// returns the completed datagrams.
func feed(t testing.TB, r *Reassembler, frames [][]byte, order []int) []Datagram {
	d := decode.NewDecoder()
	var done []Datagram
	for _, i := range order {
		p := decodeFrag(t, d, frames[i])
		if dg, ok := r.Add(p, i+1, t0.Add(time.Duration(i)*time.Millisecond)); ok {
			c := *dg
			c.Data = append([]byte(nil), dg.Data...)
			done = append(done, c)
		}
	}
	return done
}

func seq(n int) []int {
	o := make([]int, n)
	for i := range o {
		o[i] = i
	}
	return o
}

func TestReassembleOrders(t *testing.T) {
	for _, v6 := range []bool{false, true} {
		l4 := udpDatagram(t, v6, 5000)
		frames := fragments(t, v6, 0xabcd, l4, 1480)
		n := len(frames)
		rev := make([]int, n)
		for i := range rev {
			rev[i] = n - 1 - i
		}
		shuffled := seq(n)
		rand.New(rand.NewSource(1)).Shuffle(n, func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		withDup := append([]int{1, 1}, append(seq(n)[0:1], seq(n)[2:]...)...)
		for name, order := range map[string][]int{"in order": seq(n), "reversed": rev, "shuffled": shuffled, "duplicates": withDup} {
			r := New(Config{})
			done := feed(t, r, frames, order)
			if len(done) != 1 {
				t.Fatalf("v6=%v %s: %d datagrams", v6, name, len(done))
			}
			dg := done[0]
			if !bytes.Equal(dg.Data, l4) || dg.IPProto != 17 || dg.ID != 0xabcd || dg.Overlap {
				t.Errorf("v6=%v %s: %d bytes, proto %d id %x overlap %v", v6, name, len(dg.Data), dg.IPProto, dg.ID, dg.Overlap)
			}
			if dg.FirstFrame != order[0]+1 || dg.LastFrame != order[len(order)-1]+1 {
				t.Errorf("v6=%v %s: frames %d..%d, want %d..%d", v6, name, dg.FirstFrame, dg.LastFrame, order[0]+1, order[len(order)-1]+1)
			}
			if !dg.First.Equal(t0.Add(time.Duration(order[0])*time.Millisecond)) || !dg.Last.Equal(t0.Add(time.Duration(order[len(order)-1])*time.Millisecond)) {
				t.Errorf("v6=%v %s: times %v..%v", v6, name, dg.First, dg.Last)
			}
			var p decode.Packet
			if err := dg.Decode(decode.NewDecoder(), &p); err != nil || p.Proto != decode.ProtoUDP || p.SrcPort != 135 ||
				p.DstPort != 49200 || len(p.Payload) != 5000 || p.Src != dg.Src || p.Dst != dg.Dst {
				t.Errorf("v6=%v %s: decode %v %+v", v6, name, err, p)
			}
			st := r.Stats()
			wantDup := uint64(0)
			if name == "duplicates" {
				wantDup = 1
			}
			if st.Completed != 1 || st.Fragments != uint64(len(order)) || st.Duplicates != wantDup || st.InProgress != 0 {
				t.Errorf("v6=%v %s: stats %+v", v6, name, st)
			}
		}
	}
}

func TestOverlapFirstWins(t *testing.T) {
	l4 := udpDatagram(t, false, 3000)
	frames := fragments(t, false, 7, l4, 1480) // [0,1480) [1480,2960) [2960,3008)
	// A forged fragment covering [1472, 2000) with different bytes, sent
	// after the first fragment and before the second.
	bad := append([]byte(nil), l4[1472:2000]...)
	for i := range bad {
		bad[i] ^= 0xff
	}
	forged := ser(t, &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Id: 7, Protocol: layers.IPProtocolUDP, Flags: layers.IPv4MoreFragments,
		FragOffset: 1472 / 8, SrcIP: src4.AsSlice(), DstIP: dst4.AsSlice()}, gopacket.Payload(bad))
	frames = append(frames, forged)
	r := New(Config{})
	done := feed(t, r, frames, []int{0, 3, 1, 2})
	if len(done) != 1 {
		t.Fatalf("%d datagrams", len(done))
	}
	want := append([]byte(nil), l4...)
	copy(want[1480:2000], bad[8:]) // the forged bytes filled the gap first; [1472,1480) stayed from fragment 1
	if !bytes.Equal(done[0].Data, want) || !done[0].Overlap {
		t.Errorf("first-wins content wrong or overlap not flagged (overlap %v)", done[0].Overlap)
	}
	if st := r.Stats(); st.Overlaps != 2 {
		// the forged fragment differs from fragment 1 on [1472,1480), and
		// fragment 2 differs from the forged bytes on [1480,2000)
		t.Errorf("overlaps %d, want 2", st.Overlaps)
	}
}

func TestInterleavedAndTimeout(t *testing.T) {
	a := fragments(t, false, 1, udpDatagram(t, false, 3000), 1480)
	b := fragments(t, true, 1, udpDatagram(t, true, 3000), 1480)
	frames := append(append([][]byte(nil), a...), b...)
	r := New(Config{})
	done := feed(t, r, frames, []int{0, 3, 1, 4, 2, 5})
	if len(done) != 2 || done[0].Net != decode.NetIPv4 || done[1].Net != decode.NetIPv6 {
		t.Fatalf("interleaved: %d datagrams", len(done))
	}
	// Timeout: a datagram whose remaining fragments come 31 s later.
	r = New(Config{Timeout: 30 * time.Second})
	d := decode.NewDecoder()
	r.Add(decodeFrag(t, d, a[0]), 1, t0)
	r.Add(decodeFrag(t, d, a[1]), 2, t0.Add(time.Second))
	_, ok := r.Add(decodeFrag(t, d, a[2]), 3, t0.Add(31*time.Second))
	if st := r.Stats(); ok || st.TimedOut != 1 || st.InProgress != 1 {
		t.Errorf("timeout: completed %v, stats %+v", ok, st)
	}
	if n := r.Expire(t0.Add(2 * time.Minute)); n != 1 || r.Stats().InProgress != 0 {
		t.Errorf("Expire dropped %d", n)
	}
}

func TestBounds(t *testing.T) {
	d := decode.NewDecoder()
	mk := func(id uint32) [][]byte { return fragments(t, false, id, udpDatagram(t, false, 6000), 1480) }
	// MaxDatagrams: the third datagram evicts the oldest.
	r := New(Config{MaxDatagrams: 2})
	for id := uint32(1); id <= 3; id++ {
		r.Add(decodeFrag(t, d, mk(id)[0]), int(id), t0.Add(time.Duration(id)*time.Second))
	}
	if st := r.Stats(); st.Evicted != 1 || st.InProgress != 2 {
		t.Errorf("MaxDatagrams: %+v", st)
	}
	// MaxTotalBytes: two 6 KB datagrams do not fit in 10 KB.
	r = New(Config{MaxTotalBytes: 10 << 10})
	f1, f2 := mk(1), mk(2)
	r.Add(decodeFrag(t, d, f1[4]), 1, t0) // the last fragment first: buffer of 6 KB
	r.Add(decodeFrag(t, d, f2[4]), 2, t0.Add(time.Second))
	if st := r.Stats(); st.Evicted != 1 || st.InProgress != 1 || st.BytesHeld > 10<<10 {
		t.Errorf("MaxTotalBytes: %+v", st)
	}
	// MaxDatagramBytes.
	r = New(Config{MaxDatagramBytes: 4000})
	done := feed(t, r, mk(9), seq(5))
	if st := r.Stats(); len(done) != 0 || st.TooBig != 3 || st.InProgress != 0 {
		t.Errorf("MaxDatagramBytes: %d done, %+v", len(done), st)
	}
}

func TestMalformed(t *testing.T) {
	d := decode.NewDecoder()
	l4 := udpDatagram(t, false, 3000)
	frames := fragments(t, false, 5, l4, 1480)
	r := New(Config{})
	// A non-final fragment whose length is not a multiple of 8.
	odd := ser(t, &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Id: 5, Protocol: layers.IPProtocolUDP, Flags: layers.IPv4MoreFragments,
		SrcIP: src4.AsSlice(), DstIP: dst4.AsSlice()}, gopacket.Payload(l4[:100]))
	r.Add(decodeFrag(t, d, odd), 1, t0)
	// Two final fragments with different ends.
	r.Add(decodeFrag(t, d, frames[2]), 2, t0)
	short := ser(t, &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Id: 5, Protocol: layers.IPProtocolUDP, FragOffset: 2960 / 8,
		SrcIP: src4.AsSlice(), DstIP: dst4.AsSlice()}, gopacket.Payload(l4[2960:2970]))
	r.Add(decodeFrag(t, d, short), 3, t0)
	if st := r.Stats(); st.Malformed != 2 || st.InProgress != 0 {
		t.Errorf("malformed: %+v", st)
	}
	// A fragment cut by the snap length.
	p := decodeFrag(t, d, frames[0])
	cut := *p
	cut.Payload = cut.Payload[:100]
	cut.Truncated = true
	r.Add(&cut, 4, t0)
	if st := r.Stats(); st.Truncated != 1 || st.InProgress != 0 {
		t.Errorf("truncated: %+v", st)
	}
	// Non-fragments are ignored.
	var whole decode.Packet
	ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 1, Protocol: 17, SrcIP: src4.AsSlice(), DstIP: dst4.AsSlice()}
	u := &layers.UDP{SrcPort: 1, DstPort: 2}
	u.SetNetworkLayerForChecksum(ip)
	d.Decode(decode.LinkTypeRaw, ser(t, ip, u), &whole)
	if _, ok := r.Add(&whole, 5, t0); ok || r.Stats().Fragments != 4 {
		t.Errorf("non-fragment counted: %+v", r.Stats())
	}
}

// Reusing a Reassembler gives the same result as a fresh one.
func TestReuse(t *testing.T) {
	r := New(Config{})
	for round := 0; round < 3; round++ {
		for _, v6 := range []bool{false, true} {
			l4 := udpDatagram(t, v6, 2000+round*1000)
			done := feed(t, r, fragments(t, v6, uint32(round), l4, 1232), seq(2+round))
			if len(done) != 1 || !bytes.Equal(done[0].Data, l4) {
				t.Fatalf("round %d v6=%v: %d datagrams", round, v6, len(done))
			}
		}
	}
}

func TestNoAllocs(t *testing.T) {
	d := decode.NewDecoder()
	for _, v6 := range []bool{false, true} {
		frames := fragments(t, v6, 77, udpDatagram(t, v6, 4000), 1480)
		pkts := make([]decode.Packet, len(frames))
		for i, f := range frames {
			pkts[i] = *decodeFrag(t, d, f)
		}
		r := New(Config{})
		id := uint32(0)
		round := func() {
			id++
			for i := range pkts {
				pkts[i].Frag.ID = id
				if _, ok := r.Add(&pkts[i], i+1, t0); ok != (i == len(pkts)-1) {
					t.Fatalf("completion at fragment %d: %v", i, ok)
				}
			}
		}
		round() // warm up: the slot's buffer grows once
		if n := testing.AllocsPerRun(200, round); n != 0 {
			t.Errorf("v6=%v: %v allocations per datagram", v6, n)
		}
	}
}

func BenchmarkReassemble(b *testing.B) {
	d := decode.NewDecoder()
	for _, size := range []int{3000, 20000} {
		frames := fragments(b, false, 1, udpDatagram(b, false, size), 1480)
		pkts := make([]decode.Packet, len(frames))
		for i, f := range frames {
			pkts[i] = *decodeFrag(b, d, f)
		}
		b.Run("udp-"+itoa(size), func(b *testing.B) {
			r := New(Config{})
			b.ReportAllocs()
			b.SetBytes(int64(size))
			for i := 0; i < b.N; i++ {
				for j := range pkts {
					pkts[j].Frag.ID = uint32(i)
					r.Add(&pkts[j], j+1, t0)
				}
			}
		})
	}
}

func itoa(v int) string {
	if v == 0 {
		return "0"
	}
	s := ""
	for v > 0 {
		s = string(rune('0'+v%10)) + s
		v /= 10
	}
	return s
}

// TestKernelFragments reassembles the real IPv4 and IPv6 fragments in
// testdata/kernel-fragments-lo.pcap (see its README) and checks the result
// against what tshark reassembles there.
func TestKernelFragments(t *testing.T) {
	src, err := source.Open("testdata/kernel-fragments-lo.pcap")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	type want struct {
		first, last, size int
		net               decode.Net
	}
	wants := []want{{1, 3, 3000, decode.NetIPv4}, {4, 11, 9000, decode.NetIPv4}, {12, 14, 3000, decode.NetIPv6}, {16, 23, 9000, decode.NetIPv6}}
	r := New(Config{})
	dec := decode.NewDecoder()
	var p, u decode.Packet
	var got []want
	unreach := 0
	for {
		data, ci, err := src.Next()
		if err != nil {
			break
		}
		if err := dec.Decode(ci.LinkType, data, &p); err != nil {
			t.Fatalf("frame %d: %v", ci.Frame, err)
		}
		if p.PortUnreachable() {
			if q := p.ICMP.Quoted; q.HasPorts && q.DstPort == 49135 && q.IPProto == 17 {
				unreach++
			}
			continue
		}
		dg, ok := r.Add(&p, ci.Frame, ci.Timestamp)
		if !ok {
			continue
		}
		if err := dg.Decode(dec, &u); err != nil || u.Proto != decode.ProtoUDP || u.DstPort != 49135 {
			t.Fatalf("frame %d: reassembled datagram decodes as %v %+v", ci.Frame, err, u)
		}
		for i, c := range u.Payload {
			if c != byte(i*7) {
				t.Fatalf("frame %d: payload byte %d is %#x", ci.Frame, i, c)
			}
		}
		got = append(got, want{dg.FirstFrame, dg.LastFrame, len(u.Payload), dg.Net})
	}
	if !reflect.DeepEqual(got, wants) {
		t.Errorf("reassembled %+v\nwant        %+v", got, wants)
	}
	if unreach != 2 {
		t.Errorf("%d ICMPv6 port unreachables quoting a first fragment, want 2", unreach)
	}
	if st := r.Stats(); st.Fragments != 22 || st.Completed != 4 || st.InProgress != 0 || st.Duplicates+st.Overlaps+st.Malformed != 0 {
		t.Errorf("stats %+v", st)
	}
}
