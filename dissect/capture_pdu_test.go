package dissect_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"github.com/rpcwatch/rpcwatch/dissect"
	"github.com/rpcwatch/rpcwatch/internal/pcaptest"
)

// captureWant is what one shared capture must decode to. Counts come from
// ../shared/captures/MANIFEST.md (tshark 4.0.17) where tshark sees the same
// PDUs; where it does not, the comment says why.
type captureWant struct {
	co, cl int            // CO PDUs over TCP, CL datagrams over UDP
	notCL  int            // UDP payloads starting with 4 that must be refused (ErrNotCL)
	types  map[string]int // per-type counts ("co:fault", "cl:fack", ...)
	frags  int            // CO PDUs without both first and last flags, or CL PDUs with the frag flag
}

var captureWants = map[string]captureWant{
	// Synthetic; tshark sees 46 PDUs, the other 24 are raw PDUs on TCP 445
	// that tshark takes for NBSS continuation messages.
	"SYNTHETIC-arkime-dcerpc_synthetic.pcap":              {co: 70, types: map[string]int{"co:bind_nak": 1, "co:co_cancel": 1, "co:orphaned": 1, "co:shutdown": 1, "co:alter_context": 1}},
	"SYNTHETIC-suricata-verify-dcerpc-udp-scapy.pcap":     {cl: 10, types: map[string]int{"cl:request": 5, "cl:response": 5}},
	"SYNTHETIC-udp-epm-lookup-corrupt-floor.pcap":         {cl: 2, types: map[string]int{"cl:request": 1, "cl:response": 1}},
	"corelight-zerologon-CVE-2020-1472_test_win2019.pcap": {co: 620},
	"icsnpp-profinet_io_cm_control.pcapng":                {cl: 289, types: map[string]int{"cl:request": 145, "cl:response": 144}},
	"icsnpp-profinet_io_cm_write.pcapng":                  {cl: 308, frags: 6, types: map[string]int{"cl:fack": 4, "cl:request": 153, "cl:response": 151}},
	// tshark: 207 v5/tcp; the 2 more are NTLMSSP-authenticated PDUs on TCP
	// 1080 (frames 12070/12071) that tshark dissects as SOCKS. The 8 UDP
	// payloads from port 33000 are not DCE/RPC.
	"iti-ModbusTCP-mb2.pcap": {co: 209, notCL: 8},
	// tshark counts 4 rejects: these 2 datagrams and their copies quoted in
	// ICMP port-unreachable errors (TestCaptureICMPQuotedRejects).
	"markofu-evilfingers-nmap_UDP_SCAN.pcap":     {cl: 2, types: map[string]int{"cl:reject": 2}},
	"markofu-evilfingers-nmap_version_scan.pcap": {co: 2, types: map[string]int{"co:bind_nak": 2}},
	// tshark's fault and fragment counts include SMB pipes; over TCP: 6, 1.
	"markofu-evilfingers-xscan_capture.pcap": {co: 32, frags: 1, types: map[string]int{"co:fault": 6}},
	// tshark's 15 v4 PDUs include the 2 SQL Slammer datagrams (refused here).
	"markofu-ppa-evilprogram.pcap":                                 {co: 8, cl: 13, notCL: 2, types: map[string]int{"co:fault": 2, "cl:ping": 0}},
	"ndpi-dcerpc-pnio.pcap":                                        {cl: 16},
	"otrf-apt29-day2-SCRANTON.cap":                                 {co: 26},
	"otrf-covenant_dcom_registerxll.cap":                           {co: 38},
	"otrf-covenant_sharpsc_create_dcerpc_smb_svcctl.cap":           {co: 6},
	"otrf-covenant_sharpsc_query_dcerpc_smb_svcctl.cap":            {co: 4},
	"otrf-covenant_sharpwmi_create_dcerpc_wmi.cap":                 {co: 54, frags: 8},
	"otrf-covenant_wmi_remote_event_subscription_WORKSTATION5.cap": {co: 107, frags: 6},
	"otrf-empire_dcom_shellwindows_WORKSTATION6.cap":               {co: 129, frags: 2},
	"otrf-empire_psexec_dcerpc_tcp_svcctl_WORKSTATION6.cap":        {co: 24},
	// Not in the MANIFEST's counts; the 2 UDP datagrams are the hand-built
	// v4 lookups of PEERS.md §7.
	"samba-epm-loopback.pcap":                       {co: 276, cl: 2, frags: 4, types: map[string]int{"co:bind": 32, "co:bind_ack": 32}},
	"samba-stale-binding-restart.pcap":              {co: 133, types: map[string]int{"co:fault": 1}},
	"sbousseaden-Discovery_impacket_rpcdump.pcapng": {co: 14, frags: 11},
	"sbousseaden-LM_WMI_ProcessCallCreate.pcapng":   {co: 46, frags: 14},
	"scapy-dcerpc_msnrpc.pcapng":                    {co: 10},
	"scapy-dcerpc_privacy_krb.pcapng":               {co: 22},
	"scapy-dcerpc_privacy_ntlm.pcapng":              {co: 20, frags: 6, types: map[string]int{"co:fault": 1}},
	"suricata-verify-dcerpc-ctxids.pcap":            {co: 461},
	"zeek-dce-rpc-kerberos135_auth.pcapng":          {co: 6},
	// tshark: 352 v5/tcp; the 10 more are on TCP 1032 (frames 331-341,
	// 565, 566), which tshark 4.0 marks malformed. tshark's 17 fragments
	// include SMB pipes; 9 are on TCP.
	"zeek-dce-rpc-mapi.pcap": {co: 362, frags: 9},
}

// TestCapturePDUs decodes every DCE/RPC PDU of every shared capture: each
// must decode without error (and, outside the synthetic files, without
// anomalies), PeekCO must frame every CO PDU, and the counts must match.
func TestCapturePDUs(t *testing.T) {
	files := pcaptest.Glob(t, "*.*p*")
	seen := 0
	for _, f := range files {
		base := filepath.Base(f)
		want, ok := captureWants[base]
		if !ok {
			t.Errorf("%s: no expectations for this capture", base)
			continue
		}
		seen++
		synthetic := strings.HasPrefix(base, "SYNTHETIC-")
		var got captureWant
		got.types = map[string]int{}
		var co dissect.COPDU
		var cl dissect.CLPDU
		for _, q := range pcaptest.PDUs(t, f) {
			var a *dissect.Anomalies
			if q.UDP {
				if _, err := dissect.PeekCL(q.Data); errors.Is(err, dissect.ErrNotCL) {
					got.notCL++
					continue
				}
				if n, err := cl.Decode(q.Data); err != nil || n != len(q.Data) {
					t.Errorf("%s frame %d: CL decode: %d, %v", base, q.Frame, n, err)
					continue
				}
				got.cl++
				got.types["cl:"+cl.Header.Type.String()]++
				if cl.Header.Flags1.Has(dissect.CLFrag) {
					got.frags++
				}
				a = &cl.Anomalies
			} else {
				if fl, err := dissect.PeekCO(q.Data); err != nil || fl != len(q.Data) {
					t.Errorf("%s frame %d: PeekCO: %d, %v", base, q.Frame, fl, err)
				}
				if n, err := co.Decode(q.Data); err != nil || n != len(q.Data) {
					t.Errorf("%s frame %d: CO decode: %d, %v", base, q.Frame, n, err)
					continue
				}
				got.co++
				got.types["co:"+co.Header.Type.String()]++
				if !co.Header.Flags.Has(dissect.PFCFirstFrag | dissect.PFCLastFrag) {
					got.frags++
				}
				a = &co.Anomalies
			}
			if !synthetic && a.Len() > 0 {
				x := a.At(0)
				t.Errorf("%s frame %d: anomaly %s at %d (%d, %d)", base, q.Frame, x.Kind, x.Off, x.A, x.B)
			}
		}
		if got.co != want.co || got.cl != want.cl || got.notCL != want.notCL || got.frags != want.frags {
			t.Errorf("%s: co %d cl %d notCL %d frags %d; want %d %d %d %d", base, got.co, got.cl, got.notCL, got.frags, want.co, want.cl, want.notCL, want.frags)
		}
		for k, v := range want.types {
			if got.types[k] != v {
				t.Errorf("%s: %s = %d, want %d", base, k, got.types[k], v)
			}
		}
	}
	if seen != len(captureWants) {
		t.Errorf("found %d of the %d expected captures", seen, len(captureWants))
	}
}

// pduAt returns the PDU completed by frame n of a capture.
func pduAt(t *testing.T, pdus []pcaptest.PDU, n int) pcaptest.PDU {
	t.Helper()
	for _, q := range pdus {
		if q.Frame == n {
			return q
		}
	}
	t.Fatalf("no PDU at frame %d", n)
	return pcaptest.PDU{}
}

// TestCaptureSambaFacts checks the wire facts of PEERS.md §5 and §6.
func TestCaptureSambaFacts(t *testing.T) {
	loop := pcaptest.PDUs(t, pcaptest.Glob(t, "samba-epm-loopback.pcap")[0])
	var p dissect.COPDU
	// The IObjectExporter bind on 135 is refused in a bind_ack (frame 538).
	if _, err := p.Decode(pduAt(t, loop, 538).Data); err != nil {
		t.Fatal(err)
	}
	if p.Header.Type != dissect.PTypeBindAck || p.NResults != 1 ||
		p.Results[0].Result != dissect.AckProviderRejection || p.Results[0].Reason != dissect.ReasonAbstractSyntaxNotSupported {
		t.Errorf("frame 538: %s results %+v", p.Header.Type, p.Results[:p.NResults])
	}
	if string(p.SecAddr) != "135" || p.SecAddrLen != 4 {
		t.Errorf("frame 538: secondary address %q (%d)", p.SecAddr, p.SecAddrLen)
	}
	// The bind before it names IObjectExporter.
	if _, err := p.Decode(pduAt(t, loop, 536).Data); err != nil || p.NContexts == 0 || p.Contexts[0].Abstract.UUID != dissect.IObjectExporter {
		t.Errorf("frame 536: %v %+v", err, p.Contexts[0])
	}

	stale := pcaptest.PDUs(t, pcaptest.Glob(t, "samba-stale-binding-restart.pcap")[0])
	if _, err := p.Decode(pduAt(t, stale, 249).Data); err != nil {
		t.Fatal(err)
	}
	if p.Header.Type != dissect.PTypeFault || p.Status != 0x1c00001a || dissect.StatusName(p.Status) != "nca_s_fault_context_mismatch" || p.Header.FragLen != 32 {
		t.Errorf("frame 249: %s status %#x length %d", p.Header.Type, p.Status, p.Header.FragLen)
	}
	// Bind acks from dynamic ports carry an empty secondary address.
	var dynamic, on135 int
	for _, q := range stale {
		if _, err := p.Decode(q.Data); err != nil || p.Header.Type != dissect.PTypeBindAck {
			continue
		}
		switch {
		case q.Src.Port() == 135 && string(p.SecAddr) == "135" && p.SecAddrLen == 4:
			on135++
		case q.Src.Port() >= 49152 && len(p.SecAddr) == 0 && p.SecAddrLen == 0:
			dynamic++
		default:
			t.Errorf("frame %d: bind_ack from port %d with secondary address %q (%d)", q.Frame, q.Src.Port(), p.SecAddr, p.SecAddrLen)
		}
	}
	if dynamic == 0 || on135 == 0 {
		t.Errorf("bind_acks: %d on 135, %d on dynamic ports", on135, dynamic)
	}
}

// TestCaptureNmapFacts checks the bind_nak and CL reject of the nmap scans.
func TestCaptureNmapFacts(t *testing.T) {
	var p dissect.COPDU
	for _, q := range pcaptest.PDUs(t, pcaptest.Glob(t, "markofu-evilfingers-nmap_version_scan.pcap")[0]) {
		if _, err := p.Decode(q.Data); err != nil {
			t.Fatal(err)
		}
		if p.RejectReason != dissect.RejectProtocolVersionNotSupp || p.NVersions != 1 || p.Versions[0] != (dissect.ProtoVersion{Major: 5}) {
			t.Errorf("frame %d: bind_nak %s %+v", q.Frame, p.RejectReason, p.Versions[:p.NVersions])
		}
	}
}

// TestCaptureICMPQuotedRejects finds the CL rejects of the nmap UDP scan
// both as datagrams and quoted in the ICMP errors that follow them: tshark
// counts 4, all nca_rpc_version_mismatch (0x1c000008).
func TestCaptureICMPQuotedRejects(t *testing.T) {
	frames, _ := pcaptest.Frames(t, pcaptest.Glob(t, "markofu-evilfingers-nmap_UDP_SCAN.pcap")[0])
	var p dissect.CLPDU
	var direct, quoted int
	for _, fr := range frames {
		pkt := gopacket.NewPacket(fr.Data, fr.Link, gopacket.Default)
		payload, inICMP := []byte(nil), false
		if icmp, ok := pkt.Layer(layers.LayerTypeICMPv4).(*layers.ICMPv4); ok && icmp.TypeCode.Type() == layers.ICMPv4TypeDestinationUnreachable {
			inner := gopacket.NewPacket(icmp.Payload, layers.LayerTypeIPv4, gopacket.Default)
			if udp, ok := inner.Layer(layers.LayerTypeUDP).(*layers.UDP); ok {
				payload, inICMP = udp.Payload, true
			}
		} else if udp, ok := pkt.Layer(layers.LayerTypeUDP).(*layers.UDP); ok {
			payload = udp.Payload
		}
		if len(payload) < 80 || payload[0] != 4 {
			continue
		}
		if _, err := p.Decode(payload); err != nil {
			t.Errorf("frame %d: %v", fr.Number, err)
			continue
		}
		if p.Header.Type != dissect.PTypeReject || p.Status != 0x1c000008 || dissect.StatusName(p.Status) != "nca_rpc_version_mismatch" || p.Anomalies.Len() != 0 {
			t.Errorf("frame %d: %s status %#x", fr.Number, p.Header.Type, p.Status)
		}
		if p.Header.ServerBoot == 0 {
			t.Errorf("frame %d: no server boot time", fr.Number)
		}
		if inICMP {
			quoted++
		} else {
			direct++
		}
	}
	if direct != 2 || quoted != 2 {
		t.Errorf("rejects: %d direct, %d quoted in ICMP; want 2 and 2", direct, quoted)
	}
}

// reasmResult is one multi-fragment call completed in a capture.
type reasmResult struct {
	frame, size, frags int
}

// reassembleCapture feeds every PDU of a capture to one reassembler per
// direction (CO) or one for all datagrams (CL) and returns the
// multi-fragment calls completed, checking that nothing was dropped.
func reassembleCapture(t *testing.T, name string) []reasmResult {
	t.Helper()
	type dir struct{ src, dst string }
	cos := map[dir]*dissect.COReassembler{}
	clr := dissect.NewCLReassembler(dissect.CLLimits{})
	var co dissect.COPDU
	var cl dissect.CLPDU
	var out []reasmResult
	firstHint := map[dir]uint32{}
	for _, q := range pcaptest.PDUs(t, pcaptest.Glob(t, name)[0]) {
		if q.UDP {
			if _, err := cl.Decode(q.Data); err != nil {
				continue
			}
			if b, n, done := clr.Add(&cl); done && n > 1 {
				out = append(out, reasmResult{q.Frame, len(b), n})
			}
			continue
		}
		if _, err := co.Decode(q.Data); err != nil {
			t.Fatalf("frame %d: %v", q.Frame, err)
		}
		k := dir{q.Src.String(), q.Dst.String()}
		r := cos[k]
		if r == nil {
			r = dissect.NewCOReassembler(dissect.COLimits{})
			cos[k] = r
		}
		if co.Header.Flags.Has(dissect.PFCFirstFrag) {
			firstHint[k] = co.AllocHint
		}
		if s, n, done := r.Add(&co); done && n > 1 {
			out = append(out, reasmResult{q.Frame, len(s), n})
			if uint32(len(s)) != firstHint[k] {
				t.Errorf("%s frame %d: %d bytes, first fragment's alloc_hint %d", name, q.Frame, len(s), firstHint[k])
			}
		}
	}
	for k, r := range cos {
		s := r.Stats
		if s.Orphans+s.Restarted+s.Truncated+s.OverCallBytes+s.EvictedCalls+s.EvictedBytes+s.OverTotal != 0 || r.InProgress() != 0 {
			t.Errorf("%s %v: drops %+v, %d in progress", name, k, s, r.InProgress())
		}
	}
	if s := clr.Stats; s.Duplicates+s.Inconsistent+s.Truncated+s.OverFrags+s.OverCallBytes+s.EvictedCalls+s.EvictedBytes+s.OverTotal != 0 || clr.InProgress() != 0 {
		t.Errorf("%s: CL drops %+v, %d in progress", name, s, clr.InProgress())
	}
	return out
}

func TestCaptureReassembly(t *testing.T) {
	for _, tc := range []struct {
		name string
		want []reasmResult
	}{
		// impacket rpcdump: one ept_lookup answer in 11 fragments (346 entries).
		{"sbousseaden-Discovery_impacket_rpcdump.pcapng", []reasmResult{{11, 45276, 11}}},
		// Samba: 4828 stub bytes in 4256 + 572 (PEERS.md §5), twice.
		{"samba-epm-loopback.pcap", []reasmResult{{11, 4828, 2}, {438, 4828, 2}}},
		// the 33592-byte NTLMSSP-sealed stub of the MANIFEST.
		{"scapy-dcerpc_privacy_ntlm.pcapng", []reasmResult{{34, 33592, 6}}},
		{"sbousseaden-LM_WMI_ProcessCallCreate.pcapng", []reasmResult{{120, 79068, 14}}},
		// PROFINET: 6 CL fragments, 3 calls reassembled.
		{"icsnpp-profinet_io_cm_write.pcapng", []reasmResult{{6, 1504, 2}, {11, 1432, 2}, {15, 1432, 2}}},
	} {
		got := reassembleCapture(t, tc.name)
		if len(got) != len(tc.want) {
			t.Errorf("%s: %d calls reassembled (%+v), want %d", tc.name, len(got), got, len(tc.want))
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%s: call %d = %+v, want %+v", tc.name, i, got[i], tc.want[i])
			}
		}
	}
}
