package detect

import (
	"net/netip"
	"testing"

	"github.com/rpcwatch/rpcwatch/dissect"
	"github.com/rpcwatch/rpcwatch/dissect/event"
)

// steady builds a detector that knows a server and returns the events of
// its steady state: an EPM answer seen again, a bind accepted again, PDUs
// on the known endpoint, connection events, an anomaly that is no finding,
// CL traffic with an unchanged boot time.
func steady(tb testing.TB) (*Detector, []event.Event) {
	d := New(Config{}, func(*Finding) { tb.Fatal("steady state emitted a finding") })
	srv, cli := ap("10.0.0.1:135"), ap("10.0.0.9:2000")
	ep, epc := ap("10.0.0.1:49152"), ap("10.0.0.9:2001")
	udp := ap("10.0.0.1:1029")
	var evs []event.Event
	add := func(e event.Event) { evs = append(evs, e) }
	add(event.Event{Kind: event.KindConnAttempt, Client: cli, Server: srv, Transport: event.TCP})
	add(event.Event{Kind: event.KindPDU, Client: cli, Server: srv, FromServer: true, Transport: event.TCP, PType: dissect.PTypeResponse,
		Iface: epmIf, IfaceOK: true, Opnum: 3, OpnumOK: true})
	add(event.Event{Kind: event.KindBinding, Client: cli, Server: srv, FromServer: true, Transport: event.TCP,
		Binding: bind(dissect.NcacnIPTCP, "10.0.0.1", 49152), BindingIface: samr, Source: event.SourceEPM, HasBinding: true})
	add(event.Event{Kind: event.KindBinding, Client: cli, Server: srv, FromServer: true, Transport: event.TCP,
		Binding: bind(dissect.NcacnNP, `\\SRV`, 0), BindingIface: samr, Source: event.SourceEPM, HasBinding: true})
	add(event.Event{Kind: event.KindAnomaly, Client: cli, Server: srv, FromServer: true, Where: event.InEPMStub,
		Anomaly: dissect.Anomaly{Kind: dissect.AnomalyKind(0x0300)}})
	add(event.Event{Kind: event.KindConnClosed, Client: cli, Server: srv, FromServer: true})
	add(event.Event{Kind: event.KindPDU, Client: epc, Server: ep, Transport: event.TCP, PType: dissect.PTypeBind, Iface: samr, IfaceOK: true})
	add(event.Event{Kind: event.KindBinding, Client: epc, Server: ep, FromServer: true, Transport: event.TCP,
		Binding: bind(dissect.NcacnIPTCP, "10.0.0.1", 49152), BindingIface: samr, Source: event.SourceTraffic, HasBinding: true})
	add(event.Event{Kind: event.KindPDU, Client: epc, Server: ep, FromServer: true, Transport: event.TCP, PType: dissect.PTypeBindAck, Iface: samr, IfaceOK: true})
	add(event.Event{Kind: event.KindPDU, Client: epc, Server: ep, Transport: event.TCP, PType: dissect.PTypeRequest, Iface: samr, IfaceOK: true, Opnum: 6, OpnumOK: true})
	add(event.Event{Kind: event.KindPDU, Client: epc, Server: ep, FromServer: true, Transport: event.TCP, PType: dissect.PTypeResponse, Iface: samr, IfaceOK: true})
	add(event.Event{Kind: event.KindConnReset, Client: epc, Server: ep, FromServer: false})
	add(event.Event{Kind: event.KindPDU, Client: cli, Server: udp, Transport: event.UDP, PType: dissect.PTypeRequest, Iface: samr, IfaceOK: true, ServerBoot: 7})
	add(event.Event{Kind: event.KindBinding, Client: cli, Server: udp, FromServer: true, Transport: event.UDP,
		Binding: bind(dissect.NcadgIPUDP, "10.0.0.1", 1029), BindingIface: samr, Source: event.SourceTraffic, HasBinding: true})
	add(event.Event{Kind: event.KindPDU, Client: cli, Server: udp, FromServer: true, Transport: event.UDP, PType: dissect.PTypeResponse, Iface: samr, IfaceOK: true, ServerBoot: 7})
	add(event.Event{Kind: event.KindPDU, Client: ap("10.0.0.9:2002"), Server: ap("10.9.9.9:80"), Transport: event.TCP, PType: dissect.PTypeRequest})
	add(event.Event{Kind: event.KindConnRefused, Client: ap("10.0.0.9:2003"), Server: ap("10.0.0.1:81"), Transport: event.TCP})
	for i := range evs {
		evs[i].Frame = int64(i + 1)
		evs[i].FirstFrame = evs[i].Frame
		evs[i].TimeNs = 1e18 + int64(i)*1e6
	}
	// Learn once (allocates), then the steady state.
	for i := range evs {
		d.Event(&evs[i])
	}
	d.Flush()
	return d, evs
}

// replay feeds evs again with frame numbers and times moved on by round.
func replay(d *Detector, evs []event.Event, round int64) {
	for i := range evs {
		e := &evs[i]
		e.Frame += int64(len(evs))
		e.FirstFrame = e.Frame
		e.TimeNs += 1e6 * int64(len(evs))
		d.Event(e)
	}
	_ = round
}

func TestNoAllocs(t *testing.T) {
	d, evs := steady(t)
	known := evs[2]
	pdu := evs[9]
	closed := evs[5]
	var cl netip.AddrPort
	tests := []struct {
		name string
		fn   func()
	}{
		{"known binding seen again", func() { known.Frame++; d.Event(&known) }},
		{"PDU on known endpoint", func() { pdu.Frame++; d.Event(&pdu) }},
		{"connection event", func() { d.Event(&closed) }},
		{"whole steady sequence", func() { replay(d, evs, 0); d.Flush() }},
		{"stats", func() { st := d.Stats(); cl = netip.AddrPortFrom(netip.Addr{}, uint16(st.Events)) }},
	}
	for _, tt := range tests {
		if n := testing.AllocsPerRun(100, tt.fn); n != 0 {
			t.Errorf("%s: %v allocs", tt.name, n)
		}
	}
	_ = cl
}

func BenchmarkEvent(b *testing.B) {
	b.Run("pdu-known-endpoint", func(b *testing.B) {
		d, evs := steady(b)
		e := evs[9]
		b.ReportAllocs()
		for b.Loop() {
			e.Frame++
			d.Event(&e)
		}
	})
	b.Run("binding-seen-again", func(b *testing.B) {
		d, evs := steady(b)
		e := evs[2]
		b.ReportAllocs()
		for b.Loop() {
			e.Frame++
			d.Event(&e)
		}
	})
	b.Run("steady-sequence", func(b *testing.B) {
		d, evs := steady(b)
		b.ReportAllocs()
		for b.Loop() {
			replay(d, evs, 0)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(evs)), "ns/event")
	})
}

// TestFindingAllocs: a finding costs two allocations, the finding with its
// rule's detail and its Detail sentence (fused-address and foreign-address
// are reported once per binding and are covered by FuzzDetector instead).
func TestFindingAllocs(t *testing.T) {
	var n int
	d := New(Config{}, func(*Finding) { n++ })
	srv, ep := ap("10.0.0.1:135"), ap("10.0.0.1:49152")
	frame := int64(0)
	feed := func(e event.Event) {
		frame++
		e.Frame, e.FirstFrame, e.TimeNs = frame, frame, 1e18+frame*1e6
		d.Event(&e)
	}
	answer := func(port uint16) {
		feed(event.Event{Kind: event.KindBinding, Client: ap("10.0.0.9:2000"), Server: srv, FromServer: true, Transport: event.TCP,
			Binding: bind(dissect.NcacnIPTCP, "10.0.0.1", port), BindingIface: samr, Source: event.SourceEPM, HasBinding: true})
		d.Flush()
	}
	answer(49152)
	answer(49153)
	answer(49152) // both ports known now
	client := uint16(3000)
	tests := []struct {
		name string
		fn   func()
	}{
		{"endpoint-moved", func() { answer(49153); answer(49152) }},
		{"stale-binding", func() {
			client++
			feed(event.Event{Kind: event.KindConnRefused, Client: netip.AddrPortFrom(netip.MustParseAddr("10.0.0.9"), client), Server: ep,
				Transport: event.TCP})
		}},
		{"fault", func() {
			feed(event.Event{Kind: event.KindPDU, Client: ap("10.0.0.9:2001"), Server: ap("10.0.0.3:1025"), FromServer: true,
				Transport: event.TCP, PType: dissect.PTypeFault, Iface: samr, IfaceOK: true, Opnum: 6, OpnumOK: true, Status: 0x1c010002})
		}},
		{"server-reboot", func() {
			feed(event.Event{Kind: event.KindPDU, Client: ap("10.0.0.9:2002"), Server: ap("10.0.0.1:1029"), FromServer: true,
				Transport: event.UDP, PType: dissect.PTypeResponse, ServerBoot: uint32(frame)})
		}},
		{"malformed-tower", func() {
			feed(event.Event{Kind: event.KindAnomaly, Client: ap("10.0.0.9:2000"), Server: srv, FromServer: true, Where: event.InTower,
				Anomaly: dissect.Anomaly{Kind: dissect.AnomTowerLength}, Binding: bind(dissect.NcacnIPTCP, "10.0.0.1", 49152),
				BindingIface: samr, HasBinding: true})
		}},
	}
	// A CL endpoint for the reboot case.
	feed(event.Event{Kind: event.KindBinding, Client: ap("10.0.0.9:2002"), Server: ap("10.0.0.1:1029"), FromServer: true,
		Transport: event.UDP, Binding: bind(dissect.NcadgIPUDP, "10.0.0.1", 1029), BindingIface: samr, Source: event.SourceTraffic,
		HasBinding: true})
	for _, tt := range tests {
		tt.fn() // warm up: counters, grown buffers
		n = 0
		allocs := testing.AllocsPerRun(50, tt.fn)
		perRun := float64(n) / 51 // AllocsPerRun runs fn once more to warm up
		if perRun < 1 {
			t.Fatalf("%s: %.2f findings per run", tt.name, perRun)
		}
		t.Logf("%s: %.1f allocs, %.2f findings per run", tt.name, allocs, perRun)
		if allocs > 2*perRun {
			t.Errorf("%s: %.1f allocs for %.1f findings", tt.name, allocs, perRun)
		}
	}
}

// TestFusedAnomalyNoAllocs: the string-binding anomaly that follows a fused
// binding (not a finding) reuses the binding's cached split.
func TestFusedAnomalyNoAllocs(t *testing.T) {
	d, a := fusedThenAnomaly()
	d.Flush()
	if n := testing.AllocsPerRun(100, func() { d.Event(&a) }); n != 0 {
		t.Errorf("%v allocs", n)
	}
	if r := d.bindingOf(&a); r == nil || !r.splitDone || r.splitN != 2 {
		t.Fatalf("split not cached: %+v", r)
	}
	if st := d.Stats(); st.Findings != 1 { // the fused-address finding at Flush
		t.Fatalf("%d findings", st.Findings)
	}
}

// fusedThenAnomaly returns a detector that has seen the fused OXID binding
// of KB 224460, and the string-binding anomaly event that follows it.
func fusedThenAnomaly() (*Detector, event.Event) {
	d := New(Config{}, nil)
	fused := bind(dissect.NcadgIPUDP, "157.61.239.61157.61.239.5", 1039)
	e := event.Event{Kind: event.KindBinding, Frame: 1, Client: ap("157.61.239.9:1500"), Server: ap("157.61.239.5:135"),
		FromServer: true, Transport: event.TCP, Binding: fused, BindingIface: remUnk, Source: event.SourceOXID, HasBinding: true}
	d.Event(&e)
	e.Kind, e.Where, e.Anomaly = event.KindAnomaly, event.InStringBinding, dissect.Anomaly{Kind: dissect.AnomDCOMInvalidNetworkAddress}
	return d, e
}

func BenchmarkFusedAnomaly(b *testing.B) {
	d, e := fusedThenAnomaly()
	b.ReportAllocs()
	for b.Loop() {
		d.Event(&e)
	}
}
