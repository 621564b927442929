package capture

import (
	"slices"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"github.com/rpcwatch/rpcwatch/capture/decode"
	"github.com/rpcwatch/rpcwatch/dissect/event"
	"github.com/rpcwatch/rpcwatch/internal/pcaptest"
)

// fragmentIPv4 splits the IPv4 packet inside an Ethernet frame into
// Ethernet frames carrying fragments of at most size payload bytes (a
// multiple of 8).
func fragmentIPv4(t *testing.T, frame []byte, size int) [][]byte {
	t.Helper()
	pkt := gopacket.NewPacket(frame, layers.LayerTypeEthernet, gopacket.Default)
	eth := pkt.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
	ip := pkt.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
	payload := ip.Payload
	var out [][]byte
	for off := 0; off < len(payload); off += size {
		end := min(off+size, len(payload))
		f := *ip
		f.Flags = 0
		if end < len(payload) {
			f.Flags = layers.IPv4MoreFragments
		}
		f.FragOffset = uint16(off / 8)
		buf := gopacket.NewSerializeBuffer()
		e := *eth
		if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
			&e, &f, gopacket.Payload(payload[off:end])); err != nil {
			t.Fatal(err)
		}
		out = append(out, append([]byte(nil), buf.Bytes()...))
	}
	return out
}

// TestFragmentedCLAnswer: a connectionless ept_lookup answer split into IP
// fragments, delivered out of order, yields the same bindings and anomalies
// as the whole datagram, attributed to the fragment that completed it.
func TestFragmentedCLAnswer(t *testing.T) {
	frames, _ := pcaptest.Frames(t, "../testdata/SYNTHETIC-udp-epm-lookup-corrupt-floor.pcap")
	if len(frames) != 2 {
		t.Fatalf("%d frames", len(frames))
	}
	summary := func(evs []event.Event) []string {
		var s []string
		for _, e := range evs {
			if e.Kind == event.KindBinding || e.Kind == event.KindAnomaly {
				s = append(s, e.Kind.String()+" "+e.Binding.String()+" "+e.Anomaly.Kind.String())
			}
		}
		slices.Sort(s)
		return s
	}
	whole, _ := runFile(t, "../testdata/SYNTHETIC-udp-epm-lookup-corrupt-floor.pcap")
	want := summary(whole.events)
	if len(want) < 3 {
		t.Fatalf("unfragmented run gave %v", want)
	}

	frags := fragmentIPv4(t, frames[1].Data, 96)
	if len(frags) < 3 {
		t.Fatalf("only %d fragments", len(frags))
	}
	order := []int{len(frags) - 1}
	for i := 0; i < len(frags)-1; i++ {
		order = append(order, i)
	}
	c := &collected{}
	p, err := New(Config{}, c.handle)
	if err != nil {
		t.Fatal(err)
	}
	ts := frames[0].Time
	p.Packet(decode.LinkTypeEthernet, frames[0].Data, 1, ts)
	for n, i := range order {
		p.Packet(decode.LinkTypeEthernet, frags[i], int64(n+2), ts.Add(time.Duration(n+1)*time.Millisecond))
	}
	st := p.Finish()
	if got := summary(c.events); !slices.Equal(got, want) {
		t.Errorf("fragmented:\n got  %v\n want %v", got, want)
	}
	last := int64(len(frags) + 1)
	for _, e := range c.events {
		if e.Kind == event.KindBinding && (e.Frame != last || e.FirstFrame != 2) {
			t.Errorf("binding at frames %d..%d, want 2..%d", e.FirstFrame, e.Frame, last)
		}
	}
	if st.Frag.Completed != 1 || st.Fragments != uint64(len(frags)) {
		t.Errorf("frag stats %+v, fragments %d", st.Frag, st.Fragments)
	}
}
