package detect_test

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/rpcwatch/rpcwatch/dissect/detect"
	"github.com/rpcwatch/rpcwatch/internal/pcaptest"
)

// TestSambaRestart runs testdata/samba-stale-binding-restart.pcap (PEERS.md
// §6, "shuffle"): Samba's dynamic ports are dealt out anew at the restart.
// Before it, ept_map answers (frames 10, 22, 34, 46) gave samr and lsarpc
// 49153, winreg 49154, srvsvc 49152. After it, rpcclient's ept_lookup
// iteration (frames 73-147, one entry per response on one connection) lists
// srvsvc at 49153 (frame 93), lsarpc at 49152 (frame 101), samr at 49152
// (frame 127), winreg still at 49154. So:
//   - endpoint-moved at 93 (srvsvc), 101 (lsarpc), 127 (samr); none for
//     winreg.
//   - stale-binding at 151: the request on the old samr connection to
//     49153 (the server RSTs it at 152, same connection, not reported
//     twice); at 156 and 166: binds for samr and lsarpc to the old port
//     49153 (rejected "abstract syntax not supported" at 158/168); at 186:
//     the bind for srvsvc to its old port 49152 (rejected at 188); at 249:
//     nca_s_fault_context_mismatch from samr at its new, EPM-advertised
//     port 49152, reached with the policy handle from before the restart.
//   - fault at 249 (the only fault PDU).
func TestSambaRestart(t *testing.T) {
	fs, d := runCapture(t, repoTestdata(t, "samba-stale-binding-restart.pcap"))
	logFindings(t, fs)
	want := []frameRule{
		{93, "endpoint-moved"}, {101, "endpoint-moved"}, {127, "endpoint-moved"},
		{151, "stale-binding"}, {156, "stale-binding"}, {166, "stale-binding"}, {186, "stale-binding"},
		{249, "fault"}, {249, "stale-binding"},
	}
	if got := summary(fs); !slices.Equal(got, want) {
		t.Fatalf("findings\n got %v\nwant %v", got, want)
	}
	// The chain of the samr finding at 151: learned in frame 10 (ept_map),
	// moved in frame 127, failure at 151.
	s := fs[3].Stale
	if s == nil || s.Cause != detect.CauseTrafficAfterMove || s.LearnedFrame != 10 || !s.Moved || s.MovedFrame != 127 ||
		s.FailureFrame != 151 || s.MovedTo.Port != 49152 || fs[3].Binding.Port != 49153 {
		t.Errorf("samr chain: %+v", s)
	}
	if ev := fs[3].Evidence(); !slices.Equal(ev, []int64{10, 127, 151}) {
		t.Errorf("evidence %v", ev)
	}
	if m := fs[2].Moved; m == nil || m.Previous.Port != 49153 || m.PrevFirstFrame != 10 || fs[2].Binding.Port != 49152 {
		t.Errorf("samr move: %+v", m)
	}
	if f := fs[8]; f.Stale.Cause != detect.CauseFault || f.Stale.Status != 0x1c00001a || f.Stale.Moved {
		t.Errorf("249: %+v", f.Stale)
	}
	if f := fs[7]; f.Fault.StatusName != "nca_s_fault_context_mismatch" || f.Fault.Count != 1 {
		t.Errorf("fault: %+v", f.Fault)
	}
	// The inventory keeps the moved binding with its history.
	inv := d.Inventory()
	if len(inv) != 1 {
		t.Fatalf("inventory: %d servers", len(inv))
	}
	found := false
	for _, in := range inv[0].Interfaces {
		if in.Name != "samr" {
			continue
		}
		for _, b := range in.Bindings {
			if b.Binding.Port == 49153 && b.Moved && b.MovedFrame == 127 && b.FirstFrame == 10 {
				found = true
			}
		}
	}
	if !found {
		t.Errorf("samr 49153 not in the inventory as moved: %+v", inv[0])
	}
}

// TestCorruptFloor: the SYNTHETIC corrupt-floor capture is not clean: its
// third tower's IPv4 floor has a 2-byte RHS, a malformed tower. The other
// two towers (127.0.0.1 and 127.0.0.2, port 49200, one interface) are
// multihoming, not foreign.
func TestCorruptFloor(t *testing.T) {
	fs, _ := runCapture(t, repoTestdata(t, "SYNTHETIC-udp-epm-lookup-corrupt-floor.pcap"))
	logFindings(t, fs)
	if got := summary(fs); !slices.Equal(got, []frameRule{{2, "malformed-tower"}}) {
		t.Fatalf("findings %v", got)
	}
}

// TestCleanCaptures: no real capture may yield fused-address, malformed-*
// or stale-binding, nor foreign-address or endpoint-moved (the Samba
// restart capture is tested above). What they do yield, and why it is
// true:
//   - fault: every fault/reject/bind_nak PDU in them (scanners, NTLM
//     failures, the arkime synthetic file's fault and bind_nak).
//   - server-reboot in the two icsnpp PROFINET files: the same CL endpoint
//     (e.g. 192.168.0.2:49156, 669 then 673) answers with different
//     server_boot values. The files splice several lab sessions whose
//     devices reuse addresses; between them the devices did restart.
func TestCleanCaptures(t *testing.T) {
	var all []string
	for _, g := range []string{"*.pcap", "*.pcapng", "*.cap"} {
		all = append(all, pcaptest.Glob(t, g)...)
	}
	all = append(all, repoTestdata(t, "samba-epm-loopback.pcap"))
	allowed := map[string]bool{"fault": true}
	reboots := map[string]bool{"icsnpp-profinet_io_cm_control.pcapng": true, "icsnpp-profinet_io_cm_write.pcapng": true}
	n := 0
	for _, p := range all {
		base := filepath.Base(p)
		switch base {
		case "samba-stale-binding-restart.pcap", "SYNTHETIC-udp-epm-lookup-corrupt-floor.pcap":
			continue // tested above
		}
		n++
		fs, _ := runCapture(t, p)
		for _, f := range fs {
			if allowed[f.Rule.String()] || (f.Rule == detect.RuleServerReboot && reboots[base]) {
				continue
			}
			t.Errorf("%s: frame %d %s: %s", base, f.Frame, f.Rule, f.Detail)
		}
	}
	if n < 20 {
		t.Fatalf("only %d captures examined", n)
	}
}
