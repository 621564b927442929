package detect

import (
	"testing"

	"github.com/rpcwatch/rpcwatch/dissect"
	"github.com/rpcwatch/rpcwatch/dissect/event"
)

// The KB 224460 vector: a multihomed server (157.61.239.61 and
// 157.61.239.5) answers from .5 with the UDP binding fused.
func TestFusedAddressOXID(t *testing.T) {
	r := newRec(t, Config{})
	fused := bind(dissect.NcadgIPUDP, "157.61.239.61157.61.239.5", 1039)
	fr := r.answer(event.SourceOXID, "157.61.239.9:1500", "157.61.239.5:135", remUnk,
		bind(dissect.NcacnIPTCP, "157.61.239.61", 1038), bind(dissect.NcacnIPTCP, "157.61.239.5", 1038), fused)
	// The pipeline follows the fused binding with its anomaly.
	r.ev(event.Event{Kind: event.KindAnomaly, Frame: fr, Client: ap("157.61.239.9:1500"), Server: ap("157.61.239.5:135"),
		Where: event.InStringBinding, Anomaly: dissect.Anomaly{Kind: dissect.AnomDCOMInvalidNetworkAddress},
		Binding: fused, BindingIface: remUnk, Source: event.SourceOXID, HasBinding: true})
	r.flush()
	r.want(itoa(fr) + " fused-address")
	f := r.fs[0]
	if f.Severity != SeverityHigh || f.Fused == nil || len(f.Fused.Parts) != 2 || f.Fused.Ambiguous || f.Fused.FromTower {
		t.Fatalf("%+v %+v", f, f.Fused)
	}
	p0, p1 := f.Fused.Parts[0], f.Fused.Parts[1]
	if p0.Addr.String() != "157.61.239.61" || p0.AnsweredFrom || !p0.AdvertisedElsewhere {
		t.Errorf("part 0 %+v", p0)
	}
	if p1.Addr.String() != "157.61.239.5" || !p1.AnsweredFrom {
		t.Errorf("part 1 %+v", p1)
	}
	t.Log(f.Detail)
	// Seen again: not reported again.
	r.clear()
	r.answer(event.SourceOXID, "157.61.239.9:1501", "157.61.239.5:135", remUnk, fused)
	r.flush()
	r.want()
}

func TestFusedAddressTower(t *testing.T) {
	r := newRec(t, Config{})
	for i, addr := range []string{"157.61.239.61157.61.239.5", "1.2.3.1231.2.3.4"} {
		b := bind(dissect.NcacnIPTCP, addr, 1038)
		fr := r.answer(event.SourceEPM, "10.1.1.1:1000", "157.61.239.5:135", samr, b)
		r.ev(event.Event{Kind: event.KindAnomaly, Frame: fr, Client: ap("10.1.1.1:1000"), Server: ap("157.61.239.5:135"),
			Where: event.InTower, Anomaly: dissect.Anomaly{Kind: dissect.AnomTowerIPv4Length, A: 8, B: 4},
			Binding: b, BindingIface: samr, Source: event.SourceEPM, HasBinding: true})
		r.flush()
		if len(r.fs) != i+1 {
			t.Fatalf("%s: %v", addr, r.rules())
		}
		f := r.fs[i]
		if f.Rule != RuleFusedAddress || f.Severity != SeverityMedium || !f.Fused.FromTower || f.Fused.Ambiguous != (i == 1) {
			t.Errorf("%s: %+v %+v", addr, f, f.Fused)
		}
	}
}

// Host names, 0.0.0.0 and multihoming are legitimate.
func TestLegitimateAddresses(t *testing.T) {
	r := newRec(t, Config{})
	r.answer(event.SourceOXID, "10.0.0.9:1500", "172.18.39.6:135", oxidRes,
		bind(dissect.NcacnIPTCP, "WORKSTATION6", 0), bind(dissect.NcacnIPTCP, "172.18.39.6", 0))
	r.answer(event.SourceActivation, "10.0.0.9:1500", "172.18.39.6:135", remUnk,
		bind(dissect.NcacnIPTCP, "SRV20", 59570), bind(dissect.NcacnIPTCP, "SERVER-1", 59570), bind(dissect.NcacnIPTCP, "172.18.39.6", 59570))
	r.answer(event.SourceEPM, "127.0.0.1:5000", "127.0.0.1:135", epmIf, bind(dissect.NcacnHTTP, "0.0.0.0", 593))
	// Multihoming: one interface on two addresses, one of them the
	// responder's; later an answer with only the other address.
	r.answer(event.SourceEPM, "10.0.0.9:1501", "10.0.0.1:135", samr,
		bind(dissect.NcadgIPUDP, "10.0.0.1", 49200), bind(dissect.NcadgIPUDP, "10.0.0.2", 49200))
	r.answer(event.SourceEPM, "10.0.0.9:1502", "10.0.0.1:135", lsarpc, bind(dissect.NcacnIPTCP, "10.0.0.2", 49201))
	r.flush()
	r.want()
}

func TestForeignAddress(t *testing.T) {
	r := newRec(t, Config{})
	fr := r.answer(event.SourceEPM, "10.0.0.9:1501", "10.0.0.1:135", samr, bind(dissect.NcacnIPTCP, "192.168.7.7", 49152))
	r.flush()
	r.want(itoa(fr) + " foreign-address")
	if f := r.fs[0]; f.Severity != SeverityMedium || f.Binding.IP.String() != "192.168.7.7" {
		t.Errorf("%+v", f)
	}
}

// Several endpoints for one interface in one answer, and answers listing
// a subset of them, are not moves; an answer with a new endpoint that
// leaves old ones out is.
func TestEndpointMoved(t *testing.T) {
	r := newRec(t, Config{})
	const srv, cli = "10.0.0.1:135", "10.0.0.9:2000"
	a1 := r.answer(event.SourceEPM, cli, srv, samr, bind(dissect.NcacnIPTCP, "10.0.0.1", 49152), bind(dissect.NcacnIPTCP, "10.0.0.1", 49153))
	r.answer(event.SourceEPM, cli, srv, samr, bind(dissect.NcacnIPTCP, "10.0.0.1", 49153))
	r.answer(event.SourceEPM, cli, srv, samr, bind(dissect.NcacnIPTCP, "10.0.0.1", 49152), bind(dissect.NcacnIPTCP, "10.0.0.1", 49153))
	// Another protocol sequence for the same interface is no move either.
	r.answer(event.SourceEPM, cli, srv, samr, bind(dissect.NcadgIPUDP, "10.0.0.1", 1029))
	r.flush()
	r.want()
	a5 := r.answer(event.SourceEPM, cli, srv, samr, bind(dissect.NcacnIPTCP, "10.0.0.1", 50000))
	r.flush()
	r.want(itoa(a5)+" endpoint-moved", itoa(a5)+" endpoint-moved")
	for i, port := range []uint16{49152, 49153} {
		m := r.fs[i].Moved
		if m == nil || m.Previous.Port != port || m.PrevFirstFrame != a1 || r.fs[i].Binding.Port != 50000 {
			t.Errorf("move %d: %+v", i, m)
		}
	}
	// The new mapping listed again: nothing more.
	r.clear()
	r.answer(event.SourceEPM, cli, srv, samr, bind(dissect.NcacnIPTCP, "10.0.0.1", 50000))
	r.flush()
	r.want()
}

// OXID and activation bindings belong to per-process object exporters:
// different ports for the same interface are never a move.
func TestOXIDPortsNotMoves(t *testing.T) {
	r := newRec(t, Config{})
	for i, port := range []uint16{49913, 59570, 51226} {
		src := event.SourceOXID
		if i == 1 {
			src = event.SourceActivation
		}
		r.answer(src, "10.0.0.9:2000", "10.0.0.1:135", remUnk, bind(dissect.NcacnIPTCP, "10.0.0.1", port))
	}
	r.flush()
	r.want()
}

// A lookup iterated one entry per response on one connection is one answer.
func TestLookupIterationIsOneAnswer(t *testing.T) {
	r := newRec(t, Config{})
	const srv, cli = "10.0.0.1:135", "10.0.0.9:2000"
	r.answer(event.SourceEPM, cli, srv, samr, bind(dissect.NcacnIPTCP, "10.0.0.1", 49152), bind(dissect.NcacnIPTCP, "10.0.0.1", 49153))
	r.flush()
	// After a restart the server lists both at new ports, one per response.
	for _, port := range []uint16{50001, 50002} {
		r.pdu(cli, srv, true, event.TCP, dissect.PTypeResponse, epmIf, func(e *event.Event) { e.Opnum, e.OpnumOK = 2, true })
		r.ev(event.Event{Kind: event.KindBinding, Frame: r.fr, Client: ap(cli), Server: ap(srv), FromServer: true,
			Transport: event.TCP, Binding: bind(dissect.NcacnIPTCP, "10.0.0.1", port), BindingIface: samr, Source: event.SourceEPM, HasBinding: true})
	}
	r.ev(event.Event{Kind: event.KindConnClosed, Client: ap(cli), Server: ap(srv), FromServer: true})
	// Two moves (49152 and 50001's group), not a third "50001 moved to 50002".
	if got := r.rules(); len(got) != 2 {
		t.Fatalf("%q", got)
	}
	for _, f := range r.fs {
		if f.Moved.Previous.Port != 49152 && f.Moved.Previous.Port != 49153 {
			t.Errorf("move from %d", f.Moved.Previous.Port)
		}
	}
}

func TestStaleRefusedAndUnreachable(t *testing.T) {
	r := newRec(t, Config{})
	learn := r.answer(event.SourceEPM, "10.0.0.9:2000", "10.0.0.1:135", samr,
		bind(dissect.NcacnIPTCP, "10.0.0.1", 49152), bind(dissect.NcadgIPUDP, "10.0.0.1", 1029))
	refused := r.fr + 1
	r.ev(event.Event{Kind: event.KindConnRefused, Client: ap("10.0.0.9:2001"), Server: ap("10.0.0.1:49152"), Transport: event.TCP})
	r.ev(event.Event{Kind: event.KindConnRefused, Client: ap("10.0.0.9:2001"), Server: ap("10.0.0.1:49152"), Transport: event.TCP})
	unreach := r.fr + 1
	r.ev(event.Event{Kind: event.KindUnreachable, Client: ap("10.0.0.9:2002"), Server: ap("10.0.0.1:1029"), Transport: event.UDP})
	// Not learned: nothing.
	r.ev(event.Event{Kind: event.KindConnRefused, Client: ap("10.0.0.9:2003"), Server: ap("10.0.0.1:80"), Transport: event.TCP})
	r.flush()
	r.want(itoa(refused)+" stale-binding", itoa(unreach)+" stale-binding")
	s := r.fs[0].Stale
	if s.Cause != CauseRefused || s.LearnedFrame != learn || s.Moved || r.fs[0].Binding.Port != 49152 {
		t.Errorf("%+v", s)
	}
	if r.fs[1].Stale.Cause != CauseUnreachable || r.fs[1].Binding.Protseq != dissect.NcadgIPUDP {
		t.Errorf("%+v", r.fs[1].Stale)
	}
	if st := r.d.Stats(); st.StaleRepeats != 1 {
		t.Errorf("repeats %d", st.StaleRepeats)
	}
}

// Traffic after a move is stale; a bind accepted at the old endpoint
// afterwards says it serves the interface again.
func TestStaleAfterMove(t *testing.T) {
	r := newRec(t, Config{})
	const srv = "10.0.0.1:135"
	r.answer(event.SourceEPM, "10.0.0.9:2000", srv, samr, bind(dissect.NcacnIPTCP, "10.0.0.1", 49152))
	mv := r.answer(event.SourceEPM, "10.0.0.9:2001", srv, samr, bind(dissect.NcacnIPTCP, "10.0.0.1", 49153))
	req := r.pdu("10.0.0.9:2002", "10.0.0.1:49152", false, event.TCP, dissect.PTypeRequest, samr, nil)
	// The rejection on the same connection is the same story.
	r.pdu("10.0.0.9:2002", "10.0.0.1:49152", true, event.TCP, dissect.PTypeBindAck, samr, func(e *event.Event) {
		e.AckRejected, e.AckResult, e.AckReason = true, dissect.AckProviderRejection, dissect.ReasonAbstractSyntaxNotSupported
	})
	// Another interface at the old port, never moved: fine.
	r.pdu("10.0.0.9:2003", "10.0.0.1:49152", false, event.TCP, dissect.PTypeRequest, lsarpc, nil)
	r.flush()
	r.want(itoa(mv)+" endpoint-moved", itoa(req)+" stale-binding")
	s := r.fs[1].Stale
	if s.Cause != CauseTrafficAfterMove || !s.Moved || s.MovedFrame != mv || s.MovedTo.Port != 49153 {
		t.Errorf("%+v", s)
	}
	r.clear()
	r.ev(event.Event{Kind: event.KindBinding, Client: ap("10.0.0.9:2004"), Server: ap("10.0.0.1:49152"), FromServer: true,
		Transport: event.TCP, Binding: bind(dissect.NcacnIPTCP, "10.0.0.1", 49152), BindingIface: samr, Source: event.SourceTraffic, HasBinding: true})
	r.pdu("10.0.0.9:2004", "10.0.0.1:49152", false, event.TCP, dissect.PTypeRequest, samr, nil)
	r.want()
}

// Bind rejections: only "abstract syntax not supported" for a learned
// interface; NDR64 transfer-syntax rejections are negotiation.
func TestBindRejections(t *testing.T) {
	r := newRec(t, Config{})
	r.answer(event.SourceEPM, "10.0.0.9:2000", "10.0.0.1:135", samr, bind(dissect.NcacnIPTCP, "10.0.0.1", 49152))
	r.flush()
	rej := func(cli string, reason dissect.ProviderReason, id dissect.SyntaxID) int64 {
		return r.pdu(cli, "10.0.0.1:49152", true, event.TCP, dissect.PTypeBindAck, id, func(e *event.Event) {
			e.AckRejected, e.AckResult, e.AckReason = true, dissect.AckProviderRejection, reason
		})
	}
	rej("10.0.0.9:3000", dissect.ReasonProposedTransferNotSupported, samr)
	rej("10.0.0.9:3001", dissect.ReasonAbstractSyntaxNotSupported, lsarpc) // not learned there
	f := rej("10.0.0.9:3002", dissect.ReasonAbstractSyntaxNotSupported, samr)
	nak := r.pdu("10.0.0.9:3003", "10.0.0.1:49152", true, event.TCP, dissect.PTypeBindNak, dissect.SyntaxID{}, func(e *event.Event) {
		e.Status = uint32(dissect.RejectLocalLimitExceeded)
	})
	r.pdu("10.0.0.9:3004", "10.0.0.1:49152", true, event.TCP, dissect.PTypeBindNak, dissect.SyntaxID{}, func(e *event.Event) {
		e.Status = uint32(dissect.RejectProtocolVersionNotSupp)
	})
	r.want(itoa(f)+" stale-binding", itoa(nak)+" fault", itoa(nak)+" stale-binding", itoa(nak+1)+" fault")
	if r.fs[0].Stale.Cause != CauseBindRejected || r.fs[2].Stale.Cause != CauseBindNak {
		t.Errorf("%+v %+v", r.fs[0].Stale, r.fs[2].Stale)
	}
	if r.fs[1].Fault.StatusName != "local-limit-exceeded" {
		t.Errorf("%+v", r.fs[1].Fault)
	}
}

// Faults: every one is reported, named and counted per server and
// interface; the stale-binding statuses also make stale-binding findings
// where the binding was advertised (weak ones) or learned at all
// (wrong boot time, you crashed).
func TestFaults(t *testing.T) {
	r := newRec(t, Config{})
	r.answer(event.SourceEPM, "10.0.0.9:2000", "10.0.0.1:135", samr, bind(dissect.NcacnIPTCP, "10.0.0.1", 49152))
	r.ev(event.Event{Kind: event.KindBinding, Client: ap("10.0.0.9:2000"), Server: ap("10.0.0.1:49999"), FromServer: true,
		Transport: event.TCP, Binding: bind(dissect.NcacnIPTCP, "10.0.0.1", 49999), BindingIface: lsarpc, Source: event.SourceTraffic, HasBinding: true})
	r.flush()
	fault := func(cli, srv string, id dissect.SyntaxID, st uint32) int64 {
		return r.pdu(cli, srv, true, event.TCP, dissect.PTypeFault, id, func(e *event.Event) { e.Status = st })
	}
	f1 := fault("10.0.0.9:3000", "10.0.0.1:49152", samr, 0x1c010002)   // nca_s_op_rng_error: fault only
	f2 := fault("10.0.0.9:3001", "10.0.0.1:49152", samr, 0x1c00001a)   // context mismatch: stale too
	f3 := fault("10.0.0.9:3002", "10.0.0.1:49999", lsarpc, 0x1c010003) // unk_if on traffic-only binding: fault only
	f4 := fault("10.0.0.9:3003", "10.0.0.1:49999", lsarpc, 0x1c010009) // you_crashed: stale
	r.want(itoa(f1)+" fault", itoa(f2)+" fault", itoa(f2)+" stale-binding", itoa(f3)+" fault", itoa(f4)+" fault", itoa(f4)+" stale-binding")
	if c := r.fs[1].Fault; c.Count != 2 || c.StatusName != "nca_s_fault_context_mismatch" || c.PType != dissect.PTypeFault {
		t.Errorf("%+v", c)
	}
	if c := r.fs[0].Fault; c.Count != 1 || c.StatusName != "nca_s_op_rng_error" {
		t.Errorf("%+v", c)
	}
	inv := r.d.Inventory()
	for _, in := range inv[0].Interfaces {
		if in.ID == samr && in.Faults != 2 {
			t.Errorf("inventory samr faults %d", in.Faults)
		}
	}
}

// Connectionless: a boot-time change is server-reboot; a later request
// carrying the old boot time, a reject with nca_s_wrong_boot_time and a
// nocall are stale.
func TestServerReboot(t *testing.T) {
	r := newRec(t, Config{})
	const srv = "10.0.0.1:1029"
	r.ev(event.Event{Kind: event.KindBinding, Client: ap("10.0.0.9:2000"), Server: ap(srv), FromServer: true,
		Transport: event.UDP, Binding: bind(dissect.NcadgIPUDP, "10.0.0.1", 1029), BindingIface: samr, Source: event.SourceTraffic, HasBinding: true})
	resp := func(boot uint32) int64 {
		return r.pdu("10.0.0.9:2000", srv, true, event.UDP, dissect.PTypeResponse, samr, func(e *event.Event) { e.ServerBoot = boot })
	}
	first := resp(100)
	resp(100)
	reboot := resp(200)
	old := r.pdu("10.0.0.9:2001", srv, false, event.UDP, dissect.PTypeRequest, samr, func(e *event.Event) { e.ServerBoot = 100 })
	cur := r.pdu("10.0.0.9:2002", srv, false, event.UDP, dissect.PTypeRequest, samr, func(e *event.Event) { e.ServerBoot = 200 })
	_ = cur
	rej := r.pdu("10.0.0.9:2003", srv, true, event.UDP, dissect.PTypeReject, samr, func(e *event.Event) {
		e.ServerBoot, e.Status = 200, StatusWrongBootTime
	})
	nocall := r.pdu("10.0.0.9:2004", srv, true, event.UDP, dissect.PTypeNocall, samr, func(e *event.Event) { e.ServerBoot = 200 })
	r.want(itoa(reboot)+" server-reboot", itoa(old)+" stale-binding", itoa(rej)+" fault", itoa(rej)+" stale-binding", itoa(nocall)+" stale-binding")
	if rb := r.fs[0].Reboot; rb.OldBoot != 100 || rb.NewBoot != 200 || rb.OldBootFrame != first+1 {
		t.Errorf("%+v", rb)
	}
	if s := r.fs[1].Stale; s.Cause != CauseOldBoot || s.Status != 100 {
		t.Errorf("%+v", s)
	}
	if s := r.fs[3].Stale; s.Cause != CauseReject || s.Status != StatusWrongBootTime {
		t.Errorf("%+v", s)
	}
	if r.fs[4].Stale.Cause != CauseNocall {
		t.Errorf("%+v", r.fs[4].Stale)
	}
}

func TestMalformed(t *testing.T) {
	r := newRec(t, Config{})
	b := bind(dissect.NcadgIPUDP, "", 49200)
	tw := r.answer(event.SourceEPM, "10.0.0.9:2000", "10.0.0.1:135", samr, b)
	r.ev(event.Event{Kind: event.KindAnomaly, Frame: tw, Client: ap("10.0.0.9:2000"), Server: ap("10.0.0.1:135"), Where: event.InTower,
		Anomaly: dissect.Anomaly{Kind: dissect.AnomTowerIPv4Length, A: 2, B: 4}, Binding: b, BindingIface: samr, HasBinding: true, Source: event.SourceEPM})
	sb := r.fr + 1
	r.ev(event.Event{Kind: event.KindAnomaly, Client: ap("10.0.0.9:2000"), Server: ap("10.0.0.1:135"), Where: event.InStringBinding,
		Anomaly: dissect.Anomaly{Kind: dissect.AnomDCOMInvalidNetworkAddress}, Binding: bind(dissect.NcacnIPTCP, "bad name!", 5), HasBinding: true})
	stub := r.fr + 1
	r.ev(event.Event{Kind: event.KindAnomaly, Client: ap("10.0.0.9:2000"), Server: ap("10.0.0.1:135"), Where: event.InDCOMStub,
		Anomaly: dissect.Anomaly{Kind: dissect.AnomDCOMSecurityOffsetMismatch}})
	// Not malformed bindings: Samba's status with entries, a CO PDU anomaly.
	r.ev(event.Event{Kind: event.KindAnomaly, Client: ap("10.0.0.9:2000"), Server: ap("10.0.0.1:135"), Where: event.InEPMStub,
		Anomaly: dissect.Anomaly{Kind: dissect.AnomalyKind(0x0300)}})
	r.ev(event.Event{Kind: event.KindAnomaly, Client: ap("10.0.0.9:2000"), Server: ap("10.0.0.1:135"), Where: event.InCOPDU,
		Anomaly: dissect.Anomaly{Kind: dissect.AnomTrailingBytes}})
	r.flush()
	r.want(itoa(tw)+" malformed-tower", itoa(sb)+" malformed-string-binding", itoa(stub)+" malformed-string-binding")
	if r.fs[0].Anomaly.Kind != dissect.AnomTowerIPv4Length || !r.fs[0].HasBinding {
		t.Errorf("%+v", r.fs[0])
	}
}

func TestEvidence(t *testing.T) {
	var f Finding
	for _, n := range []int64{5, 3, 5, 0, -1, 9, 1, 3} {
		f.AddEvidence(n)
	}
	if got := f.Evidence(); len(got) != 4 || got[0] != 1 || got[1] != 3 || got[2] != 5 || got[3] != 9 {
		t.Fatalf("%v", got)
	}
	for n := int64(100); n > 10; n-- {
		f.AddEvidence(n)
	}
	got := f.Evidence()
	if len(got) != MaxEvidence || got[0] != 1 || got[MaxEvidence-1] != 14 {
		t.Fatalf("%v", got)
	}
	for i := 1; i < len(got); i++ {
		if got[i] <= got[i-1] {
			t.Fatalf("not increasing: %v", got)
		}
	}
}

func TestStrings(t *testing.T) {
	for r := RuleNone; r <= ruleCount; r++ {
		if r.String() == "" {
			t.Errorf("rule %d", r)
		}
	}
	want := []string{"none", "fused-address", "malformed-tower", "malformed-string-binding", "foreign-address",
		"endpoint-moved", "stale-binding", "server-reboot", "fault"}
	for i, w := range want {
		if Rule(i).String() != w {
			t.Errorf("Rule(%d) = %q, want %q", i, Rule(i), w)
		}
	}
	if SeverityHigh.String() != "high" || Severity(9).String() != "unknown" || CauseRefused.String() != "conn-refused" {
		t.Error("names")
	}
	var s SourceSet
	s.add(event.SourceEPM)
	s.add(event.SourceTraffic)
	if s.String() != "epm,traffic" {
		t.Errorf("%q", s.String())
	}
}
