package decode

import (
	"math/rand"
	"reflect"
	"strings"
	"testing"
	"unsafe"
)

// sameDecode decodes data with the fast path allowed and with the layered
// path only, and fails unless both give the same error and Packet, with
// payloads at the same place in the frame. It reports whether the fast path
// took the frame.
func sameDecode(t testing.TB, lt LinkType, data []byte) bool {
	t.Helper()
	fastDec, slowDec := NewDecoder(), NewDecoder()
	slowDec.layeredOnly = true
	var probe Packet
	took := fastDec.fast(lt, data, &probe)
	var pf, ps Packet
	ef := fastDec.Decode(lt, data, &pf)
	es := slowDec.Decode(lt, data, &ps)
	if ef != es || !reflect.DeepEqual(pf, ps) {
		t.Fatalf("link type %d, frame % x:\nfast path (took=%v) %v %s", lt, data, took, ef, diffPacket(&pf, &ps))
	}
	if unsafe.SliceData(pf.Payload) != unsafe.SliceData(ps.Payload) || cap(pf.Payload) != cap(ps.Payload) {
		t.Fatalf("link type %d, frame % x: payloads at different places", lt, data)
	}
	return took
}

// TestFastPathMatches checks the fast path against the layered one on the
// samples (every link type and transport, IPv4 and IPv6), their truncations,
// real frames from the shared captures, and random corruptions of the
// header bytes of all of them.
func TestFastPathMatches(t *testing.T) {
	type in struct {
		lt   LinkType
		data []byte
	}
	var ins []in
	for _, s := range samples(t) {
		ins = append(ins, in{s.lt, s.frame})
		for n := 0; n < len(s.frame); n += 7 {
			ins = append(ins, in{s.lt, s.frame[:n]})
		}
	}
	for _, b := range captureSeeds(t, 200) {
		ins = append(ins, in{LinkTypeEthernet, b})
	}
	rng := rand.New(rand.NewSource(1))
	took := 0
	for _, x := range ins {
		if sameDecode(t, x.lt, x.data) {
			took++
		}
		for i := 0; i < 30 && len(x.data) > 0; i++ {
			b := append([]byte(nil), x.data...)
			for j := 0; j < 1+rng.Intn(3); j++ {
				b[rng.Intn(min(len(b), 80))] ^= byte(1 << rng.Intn(8))
			}
			sameDecode(t, x.lt, b)
		}
	}
	if took == 0 {
		t.Fatal("the fast path took no frame")
	}
	t.Logf("%d frames, %d through the fast path (plus corruptions)", len(ins), took)
}

// FuzzFastPath checks that the fast path and the layered path agree.
func FuzzFastPath(f *testing.F) {
	for _, s := range samples(f) {
		f.Add(uint16(s.lt), s.frame)
	}
	for _, b := range captureSeeds(f, 20) {
		f.Add(uint16(LinkTypeEthernet), b)
	}
	f.Fuzz(func(t *testing.T, lt uint16, data []byte) {
		sameDecode(t, LinkType(lt), data)
	})
}

// TestPacketFields pins Packet's fields: the TCP fast path assigns them
// one by one (see resetLarge), so a new field must be added there too.
func TestPacketFields(t *testing.T) {
	want := "LinkType VLAN NumVLAN PktType IfIndex Net Src Dst HopLimit IPProto Frag Proto SrcPort DstPort TCP ICMP Payload PayloadLen Truncated Anomalies"
	var got []string
	typ := reflect.TypeOf(Packet{})
	for i := 0; i < typ.NumField(); i++ {
		got = append(got, typ.Field(i).Name)
	}
	if g := strings.Join(got, " "); g != want {
		t.Fatalf("Packet fields changed: %s\nupdate the TCP fast path in fast.go, which assigns each field, then this list", g)
	}
}
