package scenario

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/rpcwatch/rpcwatch/capture"
	"github.com/rpcwatch/rpcwatch/capture/source"
	"github.com/rpcwatch/rpcwatch/dissect"
	"github.com/rpcwatch/rpcwatch/dissect/event"
)

// evlog holds every event the pipeline sent for one capture.
type evlog struct {
	t    *testing.T
	file string
	evs  []event.Event
}

// runPipeline runs a committed capture through capture.Run.
func runPipeline(t *testing.T, name string) *evlog {
	t.Helper()
	src, err := source.Open(filepath.Join(testdataDir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	l := &evlog{t: t, file: name}
	st, err := capture.Run(context.Background(), src, capture.Config{}, func(e *event.Event) { l.evs = append(l.evs, *e) })
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if st.DecodeErrors != 0 || st.PDUErrors != 0 || st.StubErrors != 0 || st.Dropped() != 0 {
		t.Errorf("%s: decode errors %d, PDU errors %d, stub errors %d, dropped %d",
			name, st.DecodeErrors, st.PDUErrors, st.StubErrors, st.Dropped())
	}
	return l
}

// at returns the events of kind k at frame n.
func (l *evlog) at(n int, k event.Kind) []event.Event {
	var out []event.Event
	for _, e := range l.evs {
		if e.Frame == int64(n) && e.Kind == k {
			out = append(out, e)
		}
	}
	return out
}

// bindings asserts the binding events at frame n: their string forms in
// order, their source and the server that advertised them.
func (l *evlog) bindings(n int, src event.Source, server netip.AddrPort, want ...string) []event.Event {
	l.t.Helper()
	var got []string
	var evs []event.Event
	for _, e := range l.at(n, event.KindBinding) {
		if e.Source == src {
			got = append(got, e.Binding.String())
			evs = append(evs, e)
			if e.Server != server {
				l.t.Errorf("%s frame %d: binding %s advertised by %s, want %s", l.file, n, e.Binding.String(), e.Server, server)
			}
		}
	}
	if !slices.Equal(got, want) {
		l.t.Errorf("%s frame %d: %s bindings %q, want %q", l.file, n, src, got, want)
	}
	return evs
}

// pdu returns the single PDU event of type pt at frame n.
func (l *evlog) pdu(n int, pt dissect.PType) event.Event {
	l.t.Helper()
	var found []event.Event
	for _, e := range l.at(n, event.KindPDU) {
		if e.PType == pt {
			found = append(found, e)
		}
	}
	if len(found) != 1 {
		l.t.Errorf("%s frame %d: %d %s PDU events, want 1", l.file, n, len(found), pt)
		return event.Event{}
	}
	return found[0]
}

// anomalyFrames returns the frames that carry anomaly events.
func (l *evlog) anomalyFrames() []int64 {
	var out []int64
	for _, e := range l.evs {
		if e.Kind == event.KindAnomaly && !slices.Contains(out, e.Frame) {
			out = append(out, e.Frame)
		}
	}
	return out
}

func (l *evlog) expect(ok bool, n int, format string, args ...any) {
	l.t.Helper()
	if !ok {
		l.t.Errorf("%s frame %d: "+format, append([]any{l.file, n}, args...)...)
	}
}

func pipeDCOM(l *evlog, m DCOMMarks) {
	fused := netip.AddrPortFrom(FusedServer, 135)
	healthy := netip.AddrPortFrom(HealthyServer, 135)
	sa := l.bindings(m.FusedServerAlive2, event.SourceOXID, fused,
		"ncacn_ip_tcp:SRV20", "ncacn_ip_tcp:"+FusedAddr, "ncadg_ip_udp:SRV20", "ncadg_ip_udp:"+FusedAddr)
	for _, e := range sa {
		if e.Binding.Addr.Equal(FusedAddr) {
			l.expect(!e.Binding.IP.IsValid(), m.FusedServerAlive2, "fused address parsed as IP %s", e.Binding.IP)
			l.expect(e.Binding.Endpoint.Len() == 0, m.FusedServerAlive2, "ServerAlive2 binding with endpoint %q", e.Binding.Endpoint.String())
		}
	}
	l.bindings(m.FusedResolveOxid2, event.SourceOXID, fused,
		"ncacn_ip_tcp:SRV20[1038]", "ncacn_ip_tcp:"+FusedAddr+"[1038]", "ncadg_ip_udp:"+FusedAddr+"[1039]")
	r := l.pdu(m.FusedResolveOxid2, dissect.PTypeResponse)
	l.expect(r.IfaceOK && r.Iface.UUID == dissect.IObjectExporter && r.OpnumOK && r.Opnum == opResolveOxid2 && r.Status == 0,
		m.FusedResolveOxid2, "response %v opnum %d status %#x", r.Iface, r.Opnum, r.Status)
	// Each fused string binding gets an invalid-address anomaly attached to
	// it; SRV20 gets none.
	for _, n := range []int{m.FusedServerAlive2, m.FusedResolveOxid2} {
		var attached []string
		for _, a := range l.at(n, event.KindAnomaly) {
			l.expect(a.Anomaly.Kind == dissect.AnomDCOMInvalidNetworkAddress, n, "anomaly %v", a.Anomaly.Kind)
			if a.HasBinding {
				attached = append(attached, a.Binding.String())
			}
		}
		var want []string
		for _, e := range l.at(n, event.KindBinding) {
			if e.Binding.Addr.Equal(FusedAddr) {
				want = append(want, e.Binding.String())
			}
		}
		l.expect(len(want) == 2 && slices.Equal(attached, want), n, "anomalies attached to %q, want %q", attached, want)
	}
	hr := l.bindings(m.HealthyResolveOxid2, event.SourceOXID, healthy,
		"ncacn_ip_tcp:APP5[1038]", "ncacn_ip_tcp:10.1.1.5[1038]", "ncacn_ip_tcp:192.168.7.5[1038]")
	for _, e := range hr[1:] {
		l.expect(e.Binding.IP.IsValid() && e.Binding.Port == 1038, m.HealthyResolveOxid2, "binding %s: IP %v port %d",
			e.Binding.String(), e.Binding.IP, e.Binding.Port)
	}
	l.bindings(m.Activation, event.SourceActivation, healthy,
		"ncacn_ip_tcp:APP5[1051]", "ncacn_ip_tcp:10.1.1.5[1051]", "ncacn_ip_tcp:192.168.7.5[1051]")
}

func pipeCLFloor(l *evlog, m CLFloorMarks) {
	fused := netip.AddrPortFrom(FusedServer, 135)
	b := l.bindings(m.FusedMapResponse, event.SourceEPM, fused, "ncadg_ip_udp:"+FusedAddr+"[1039]")
	if len(b) == 1 {
		l.expect(b[0].BindingIface == ifMessenger && b[0].Binding.Port == 1039 && b[0].Binding.Addr.Equal(FusedAddr),
			m.FusedMapResponse, "binding %+v", b[0].BindingIface)
	}
	an := l.at(m.FusedMapResponse, event.KindAnomaly)
	l.expect(len(an) == 1 && an[0].Where == event.InTower && an[0].HasBinding && an[0].Binding.Addr.Equal(FusedAddr),
		m.FusedMapResponse, "want one tower anomaly attached to the fused binding, got %d", len(an))
	r := l.pdu(m.FusedMapResponse, dissect.PTypeResponse)
	l.expect(r.ServerBoot == bootFusedEPM && r.Transport == event.UDP, m.FusedMapResponse, "server boot %#x", r.ServerBoot)
	l.bindings(m.GoodMapResponse, event.SourceEPM, netip.AddrPortFrom(HealthyServer, 135), "ncadg_ip_udp:10.1.1.5[1039]")
}

func pipeRestart(l *evlog, m RestartMarks) {
	epm := netip.AddrPortFrom(RestartServer, 135)
	at := func(p uint16) netip.AddrPort { return netip.AddrPortFrom(RestartServer, p) }
	tower := func(n int, iface dissect.SyntaxID, want string) {
		l.t.Helper()
		for _, e := range l.bindings(n, event.SourceEPM, epm, want) {
			l.expect(e.BindingIface == iface, n, "binding for %v, want %v", e.BindingIface, iface)
		}
	}
	// Bindings before and after the move.
	tower(m.MapTCPBefore, ifSvcctl, "ncacn_ip_tcp:10.0.0.10[49670]")
	tower(m.MapSamrBefore, ifSamr, "ncacn_ip_tcp:10.0.0.10[49668]")
	tower(m.MapUDPBefore, ifMessenger, "ncadg_ip_udp:10.0.0.10[1039]")
	tower(m.MapTCPAfter, ifSvcctl, "ncacn_ip_tcp:10.0.0.10[49702]")
	tower(m.MapSamrAfter, ifSamr, "ncacn_ip_tcp:10.0.0.10[49669]")
	tower(m.MapUDPAfter, ifMessenger, "ncadg_ip_udp:10.0.0.10[1044]")
	l.bindings(m.CLResponseBefore, event.SourceTraffic, at(MessengerPortBefore), "ncadg_ip_udp:10.0.0.10[1039]")
	l.bindings(m.CLResponseAfter, event.SourceTraffic, at(MessengerPortAfter), "ncadg_ip_udp:10.0.0.10[1044]")

	e := l.pdu(m.MapUDPBefore, dissect.PTypeResponse)
	l.expect(e.ServerBoot == BootEPMBefore, m.MapUDPBefore, "EPM boot %#x", e.ServerBoot)
	e = l.pdu(m.MapUDPAfter, dissect.PTypeResponse)
	l.expect(e.ServerBoot == BootEPMAfter, m.MapUDPAfter, "EPM boot %#x", e.ServerBoot)
	e = l.pdu(m.CallOKBefore, dissect.PTypeResponse)
	l.expect(e.Iface == ifSvcctl && e.Opnum == opOpenSCManagerW && e.Status == 0, m.CallOKBefore, "%v opnum %d status %#x", e.Iface, e.Opnum, e.Status)
	e = l.pdu(m.LargeResponse, dissect.PTypeResponse)
	l.expect(e.Opnum == opEnumServicesStatusW && e.FirstFrame == int64(m.LargeResponse-3), m.LargeResponse,
		"opnum %d first frame %d, want 14 and %d", e.Opnum, e.FirstFrame, m.LargeResponse-3)
	e = l.pdu(m.CLResponseBefore, dissect.PTypeResponse)
	l.expect(e.ServerBoot == BootMessengerBefore && e.Iface == ifMessenger, m.CLResponseBefore, "boot %#x", e.ServerBoot)

	// The refusal and the unreachable.
	ref := l.at(m.RefusedRST, event.KindConnRefused)
	l.expect(len(ref) == 1 && ref[0].Server == at(SvcctlPortBefore) && ref[0].Client.Addr() == ClientSvcctl &&
		ref[0].FirstFrame == int64(m.RefusedSYN), m.RefusedRST, "conn-refused events %+v", ref)
	un := l.at(m.Unreachable, event.KindUnreachable)
	l.expect(len(un) == 1 && un[0].Server == at(MessengerPortBefore) && un[0].Client.Addr() == ClientMessenger &&
		un[0].Transport == event.UDP && un[0].ICMPType == 3 && un[0].ICMPCode == 3, m.Unreachable, "unreachable events %+v", un)

	// Rejects and faults with their statuses.
	e = l.pdu(m.ContextMismatch, dissect.PTypeFault)
	l.expect(e.Status == statusContextMismatch && e.Iface == ifSvcctl && e.Server == at(SvcctlPortAfter),
		m.ContextMismatch, "fault %#x on %v at %s", e.Status, e.Iface, e.Server)
	e = l.pdu(m.FreshHandleAfter, dissect.PTypeResponse)
	l.expect(e.Status == 0 && e.Opnum == opOpenSCManagerW, m.FreshHandleAfter, "status %#x", e.Status)
	e = l.pdu(m.NoCall, dissect.PTypeNocall)
	l.expect(e.ServerBoot == BootMessengerAfter && e.Server == at(MessengerPortAfter), m.NoCall, "nocall boot %#x", e.ServerBoot)
	e = l.pdu(m.WrongBootReject, dissect.PTypeReject)
	l.expect(e.Status == statusWrongBootTime && e.ServerBoot == BootMessengerAfter && e.Iface == ifMessenger,
		m.WrongBootReject, "reject %#x boot %#x", e.Status, e.ServerBoot)
	e = l.pdu(m.ProviderRejection, dissect.PTypeBindAck)
	l.expect(e.AckRejected && e.AckResult == dissect.AckProviderRejection && e.AckReason == dissect.ReasonAbstractSyntaxNotSupported &&
		e.Iface == ifSamr && e.Server == at(SamrPortBefore), m.ProviderRejection, "bind_ack %+v", e)
	l.expect(len(l.at(m.ProviderRejection, event.KindBinding)) == 0, m.ProviderRejection, "a rejected bind must not yield a traffic binding")
	e = l.pdu(m.AccessDenied, dissect.PTypeFault)
	l.expect(e.Status == statusAccessDenied && e.Iface == ifSamr && e.Opnum == opSamrConnect2, m.AccessDenied, "fault %#x", e.Status)
	e = l.pdu(m.CallFailed, dissect.PTypeFault)
	l.expect(e.Status == statusCallFailed && e.Iface == ifSamr, m.CallFailed, "fault %#x", e.Status)
}

// TestPipelineReadsScenarios runs every committed capture through
// capture.Run and checks the events at the marked frames: the fused
// bindings and their anomalies, the towers before and after the move, the
// refusal, the unreachable, the rejects and faults with their statuses and
// boot times; and no anomaly anywhere else.
func TestPipelineReadsScenarios(t *testing.T) {
	_, dm := KB224460DCOM()
	_, cm := KB224460CLFloor()
	_, rm := KB216558Restart()
	_, demo := Demo()
	frames := func(ns ...int) []int64 {
		var out []int64
		for _, n := range ns {
			out = append(out, int64(n))
		}
		return out
	}
	t.Run("dcom", func(t *testing.T) {
		l := runPipeline(t, FileDCOM)
		pipeDCOM(l, dm)
		if got, want := l.anomalyFrames(), frames(dm.FusedServerAlive2, dm.FusedResolveOxid2); !slices.Equal(got, want) {
			t.Errorf("anomalies at frames %v, want %v", got, want)
		}
	})
	t.Run("clfloor", func(t *testing.T) {
		l := runPipeline(t, FileCLFloor)
		pipeCLFloor(l, cm)
		if got, want := l.anomalyFrames(), frames(cm.FusedMapResponse); !slices.Equal(got, want) {
			t.Errorf("anomalies at frames %v, want %v", got, want)
		}
	})
	t.Run("restart", func(t *testing.T) {
		l := runPipeline(t, FileRestart)
		pipeRestart(l, rm)
		if got := l.anomalyFrames(); len(got) != 0 {
			t.Errorf("anomalies at frames %v, want none", got)
		}
	})
	t.Run("demo", func(t *testing.T) {
		l := runPipeline(t, FileDemo)
		pipeDCOM(l, demo.DCOM)
		pipeCLFloor(l, demo.CLFloor)
		pipeRestart(l, demo.Restart)
		want := frames(demo.DCOM.FusedServerAlive2, demo.DCOM.FusedResolveOxid2, demo.CLFloor.FusedMapResponse)
		if got := l.anomalyFrames(); !slices.Equal(got, want) {
			t.Errorf("anomalies at frames %v, want %v", got, want)
		}
	})
}

// TestPipelineStringBindingAnomalyOffsets checks that an anomaly attached
// to a DCOM string binding has a stub-relative offset inside that string
// binding, as the anomalies attached to tower bindings do (the pipeline
// adds the tower's offset to them).
func TestPipelineStringBindingAnomalyOffsets(t *testing.T) {
	frames, m := KB224460DCOM()
	l := runPipeline(t, FileDCOM)
	// The CO response's stub starts after Ethernet (14), IPv4 (20), TCP
	// without options (20) and the response header (24).
	const stubStart = 14 + 20 + 20 + 24
	fused := utf16le(FusedAddr)
	var bad []string
	for _, n := range []int{m.FusedServerAlive2, m.FusedResolveOxid2} {
		stub := frames[n-1].Data[stubStart:]
		var starts []int // stub offsets of each fused string's tower id
		for off := 0; ; {
			i := bytes.Index(stub[off:], fused)
			if i < 0 {
				break
			}
			starts = append(starts, off+i-2)
			off += i + len(fused)
		}
		var attached []event.Event
		for _, a := range l.at(n, event.KindAnomaly) {
			if a.HasBinding {
				attached = append(attached, a)
			}
		}
		if len(attached) != len(starts) {
			t.Fatalf("frame %d: %d attached anomalies, %d fused strings", n, len(attached), len(starts))
		}
		for i, a := range attached {
			lo, hi := starts[i], starts[i]+2
			for hi+1 < len(stub) && (stub[hi] != 0 || stub[hi+1] != 0) { // to the string's NUL
				hi += 2
			}
			hi += 2
			if a.Anomaly.Off < lo || a.Anomaly.Off >= hi {
				bad = append(bad, fmt.Sprintf("frame %d %s: offset %d, the string binding spans stub bytes %d-%d",
					n, a.Binding.String(), a.Anomaly.Off, lo, hi-1))
			}
		}
	}
	if len(bad) > 0 {
		t.Errorf("string-binding anomalies must carry stub offsets, as tower anomalies do: %s", strings.Join(bad, "; "))
	}
}

func utf16le(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u), byte(u>>8))
	}
	return b
}
