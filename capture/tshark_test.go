package capture

import (
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/rpcwatch/rpcwatch/dissect"
	"github.com/rpcwatch/rpcwatch/dissect/epm"
	"github.com/rpcwatch/rpcwatch/dissect/event"
	"github.com/rpcwatch/rpcwatch/internal/pcaptest"
)

// tsharkFields runs tshark with a display filter and returns, per frame
// number, the values of each field (every occurrence, in order).
func tsharkFields(t *testing.T, path, filter string, fields ...string) map[int64][][]string {
	t.Helper()
	bin, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed (make test installs it); skipping differential test")
	}
	args := []string{"-n", "-r", path, "-Y", filter, "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=|", "-e", "frame.number"}
	for _, f := range fields {
		args = append(args, "-e", f)
	}
	out, err := exec.Command(bin, args...).Output()
	// tshark exits 2 on a capture whose last packet is cut short, after
	// printing everything before it.
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 2 && len(out) > 0 {
		err = nil
	}
	if err != nil {
		t.Fatalf("tshark %v: %v", args, err)
	}
	res := map[int64][][]string{}
	for _, line := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		if line == "" {
			continue
		}
		cols := strings.Split(line, "\t")
		n, err := strconv.ParseInt(cols[0], 10, 64)
		if err != nil {
			t.Fatalf("tshark line %q", line)
		}
		vals := make([][]string, len(fields))
		for i := range fields {
			if i+1 < len(cols) && cols[i+1] != "" {
				vals[i] = strings.Split(cols[i+1], "|")
			}
		}
		res[n] = vals
	}
	return res
}

// epmCaptures are the captures with EPM responses; the shared ones are read
// in place, never copied.
func epmCaptures(t *testing.T) []string {
	files := []string{"../testdata/samba-epm-loopback.pcap", "../testdata/samba-stale-binding-restart.pcap",
		"../testdata/SYNTHETIC-udp-epm-lookup-corrupt-floor.pcap"}
	if d, ok := pcaptest.FindDir(); ok {
		for _, name := range []string{
			"corelight-zerologon-CVE-2020-1472_test_win2019.pcap",
			"otrf-apt29-day2-SCRANTON.cap",
			"otrf-covenant_sharpsc_create_dcerpc_smb_svcctl.cap",
			"otrf-covenant_sharpsc_query_dcerpc_smb_svcctl.cap",
			"otrf-empire_psexec_dcerpc_tcp_svcctl_WORKSTATION6.cap",
			"sbousseaden-Discovery_impacket_rpcdump.pcapng",
			"scapy-dcerpc_msnrpc.pcapng",
			"scapy-dcerpc_privacy_krb.pcapng",
			"scapy-dcerpc_privacy_ntlm.pcapng",
			"zeek-dce-rpc-mapi.pcap",
		} {
			files = append(files, filepath.Join(d, name))
		}
	} else {
		t.Log("shared captures absent: differential test runs on testdata/ only")
	}
	return files
}

// tsharkFix names a frame where tshark 4.0.17's decode is wrong, why, and
// the values rpcwatch must produce there instead (ip, tcp, udp, http, pipe).
type tsharkFix struct {
	why  string
	ours [][]string
}

var tsharkWrong = map[string]map[int64]tsharkFix{
	"samba-epm-loopback.pcap": {494: {
		why:  "it stops after the 3 entries of this ept_lookup, flags 'Long frame', reads the first tower's length 0x4b as the return code and shows no towers; the towers and the return code 0x16c9a0d6 follow the entries",
		ours: [][]string{{"127.0.0.1"}, {"49153"}, nil, nil, {`\pipe\samr`, "rpcd_lsad"}},
	}},
	"zeek-dce-rpc-mapi.pcap": {505: {
		why:  "it does not decode the RHS of the 0x20 floor after the 0x1f HTTP port floor, which carries the server's IPv4 address 192.168.0.2",
		ours: [][]string{{"192.168.0.2"}, nil, nil, {"5000"}, nil},
	}},
}

// TestEPMTowersMatchTshark checks, frame by frame, that the towers rpcwatch
// decodes from every EPM response equal tshark's decode of the same frames:
// IPv4 addresses, TCP/UDP/HTTP ports and named pipes.
//
// Where tshark is wrong we say so: it reads an IPv4 floor whose RHS is not 4
// bytes silently (SYNTHETIC-udp-epm-lookup-corrupt-floor.pcap: a 2-byte
// floor shown as 127.0.0.0, no expert info). rpcwatch reports an anomaly and
// no address; the test expects tshark's extra address there and checks our
// anomaly instead.
func TestEPMTowersMatchTshark(t *testing.T) {
	for _, path := range epmCaptures(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			want := tsharkFields(t, path, "epm && dcerpc.pkt_type == 2",
				"epm.proto.ip", "epm.proto.tcp_port", "epm.proto.udp_port", "epm.proto.http_port", "epm.proto.named_pipe")
			if len(want) == 0 {
				t.Fatalf("tshark found no EPM response in %s", path)
			}
			c, _ := runFile(t, path)
			got := map[int64][][]string{}
			corrupt := map[int64]int{}
			for _, e := range c.events {
				if e.Kind == event.KindAnomaly && e.Where == event.InTower && e.Anomaly.Kind == dissect.AnomTowerIPv4Length {
					corrupt[e.Frame]++
				}
				if e.Kind != event.KindBinding || e.Source != event.SourceEPM {
					continue
				}
				v := got[e.Frame]
				if v == nil {
					v = make([][]string, 5)
					got[e.Frame] = v
				}
				b := &e.Binding
				if b.IP.Is4() {
					v[0] = append(v[0], b.IP.String())
				}
				if b.HasPort {
					switch b.Protseq {
					case dissect.NcacnIPTCP:
						v[1] = append(v[1], strconv.Itoa(int(b.Port)))
					case dissect.NcadgIPUDP:
						v[2] = append(v[2], strconv.Itoa(int(b.Port)))
					case dissect.NcacnHTTP:
						v[3] = append(v[3], strconv.Itoa(int(b.Port)))
					}
				}
				// tshark files LRPC port names (floor 0x10) under
				// epm.proto.named_pipe too.
				if b.Protseq == dissect.NcacnNP || b.Protseq == dissect.Ncalrpc {
					v[4] = append(v[4], b.Endpoint.String())
				}
			}
			frames := 0
			for f, w := range want {
				frames++
				if fix, ok := tsharkWrong[filepath.Base(path)][f]; ok {
					w = fix.ours
					t.Logf("frame %d: tshark is wrong here (%s); checking rpcwatch against %v", f, fix.why, fix.ours)
				}
				g := got[f]
				if g == nil {
					g = make([][]string, 5)
				}
				for i, name := range []string{"ip", "tcp_port", "udp_port", "http_port", "named_pipe"} {
					ws, gs := slices.Clone(w[i]), slices.Clone(g[i])
					if i == 0 && corrupt[f] > 0 {
						// tshark shows an address for each corrupt IPv4
						// floor; we show none and flag the floor.
						if len(ws) != len(gs)+corrupt[f] {
							t.Errorf("frame %d: tshark ips %v, ours %v with %d corrupt floors", f, ws, gs, corrupt[f])
						}
						continue
					}
					slices.Sort(ws)
					slices.Sort(gs)
					if !slices.Equal(ws, gs) {
						t.Errorf("frame %d %s: tshark %v, rpcwatch %v", f, name, ws, gs)
					}
				}
			}
			for f := range got {
				if _, ok := want[f]; !ok {
					t.Errorf("frame %d: rpcwatch found EPM bindings tshark did not", f)
				}
			}
			t.Logf("%d EPM response frames agree", frames)
		})
	}
	_ = epm.OpMap
}

// TestDCOMBindingsMatchTshark checks the string bindings rpcwatch takes from
// OXID-resolver and activation responses against tshark's
// dcom.dualstringarray.network_addr for the same frames. For ServerAlive2
// and ResolveOxid2 the sets must be equal. Activation responses also carry
// OBJREF resolver addresses inside PropsOutInfo, which tshark lists too and
// rpcwatch does not report as bindings (they repeat the exporter's
// addresses without endpoints), so there ours must be a subset.
func TestDCOMBindingsMatchTshark(t *testing.T) {
	d, ok := pcaptest.FindDir()
	if !ok {
		t.Skip("shared captures absent (../shared/captures); skipping DCOM differential test")
	}
	for _, name := range []string{
		"otrf-covenant_dcom_registerxll.cap",
		"otrf-covenant_sharpwmi_create_dcerpc_wmi.cap",
		"otrf-covenant_wmi_remote_event_subscription_WORKSTATION5.cap",
		"otrf-empire_dcom_shellwindows_WORKSTATION6.cap",
		"sbousseaden-LM_WMI_ProcessCallCreate.pcapng",
		"suricata-verify-dcerpc-ctxids.pcap",
		"zeek-dce-rpc-kerberos135_auth.pcapng",
	} {
		path := filepath.Join(d, name)
		t.Run(name, func(t *testing.T) {
			want := tsharkFields(t, path, "(oxid || isystemactivator || remact) && dcerpc.pkt_type == 2",
				"dcom.dualstringarray.network_addr", "oxid.opnum")
			c, _ := runFile(t, path)
			got := map[int64][]string{}
			src := map[int64]event.Source{}
			for _, e := range c.events {
				if e.Kind != event.KindBinding || (e.Source != event.SourceOXID && e.Source != event.SourceActivation) {
					continue
				}
				s := e.Binding.Addr.String()
				if e.Binding.Endpoint.Len() > 0 {
					s += "[" + e.Binding.Endpoint.String() + "]"
				}
				got[e.Frame] = append(got[e.Frame], s)
				src[e.Frame] = e.Source
			}
			if len(got) == 0 {
				t.Fatalf("rpcwatch found no DCOM bindings")
			}
			for f, g := range got {
				w, ok := want[f]
				if !ok {
					t.Errorf("frame %d: rpcwatch bindings %v, tshark shows none", f, g)
					continue
				}
				ws := slices.Clone(w[0])
				slices.Sort(ws)
				gs := slices.Clone(g)
				slices.Sort(gs)
				if src[f] == event.SourceOXID {
					if !slices.Equal(ws, gs) {
						t.Errorf("frame %d (oxid): tshark %v, rpcwatch %v", f, ws, gs)
					}
					continue
				}
				for _, x := range gs {
					if !slices.Contains(ws, x) {
						t.Errorf("frame %d (activation): rpcwatch %q not among tshark's %v", f, x, ws)
					}
				}
			}
			for f, w := range want {
				if _, ok := got[f]; !ok && len(w[0]) > 0 {
					t.Errorf("frame %d: tshark shows %v, rpcwatch no binding", f, w[0])
				}
			}
			t.Logf("%d frames with DCOM bindings agree", len(got))
		})
	}
}
