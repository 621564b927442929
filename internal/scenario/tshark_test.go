package scenario

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
)

// tsharkFields are the fields TestTsharkReadsScenarios extracts from every
// frame.
var tsharkFields = []string{
	"frame.number", "frame.protocols", "_ws.expert.severity", "_ws.expert.message",
	"ip.checksum.status", "tcp.checksum.status", "udp.checksum.status", "icmp.checksum.status",
	"tcp.flags.syn", "tcp.flags.reset", "tcp.analysis.flags", "tcp.segment.count",
	"icmp.type", "icmp.code", "udp.dstport",
	"dcerpc.pkt_type", "dcerpc.opnum", "dcerpc.cn_status", "dcerpc.dg_status", "dcerpc.dg_server_boot",
	"dcerpc.cn_ack_result", "dcerpc.cn_ack_reason",
	"dcom.dualstringarray.network_addr", "dcom.dualstringarray.tower_id",
	"epm.proto.ip", "epm.proto.tcp_port", "epm.proto.udp_port", "epm.tower.rhs.len",
}

// tsharkFrame is one frame's fields; a field tshark printed several times
// is joined with "|".
type tsharkFrame map[string]string

// tsharkRead runs tshark over a capture with checksum validation on and
// returns the fields of every frame (index 0 is frame 1) and the frames it
// marked malformed.
func tsharkRead(t *testing.T, bin, path string) (frames []tsharkFrame, malformed []string) {
	t.Helper()
	args := []string{"-n", "-r", path,
		// (ICMP checksums are always checked: there is no preference)
		"-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE",
		"-T", "fields", "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=|"}
	for _, f := range tsharkFields {
		args = append(args, "-e", f)
	}
	out, err := exec.Command(bin, args...).Output()
	if ee, ok := err.(*exec.ExitError); ok {
		t.Fatalf("tshark %s: %v: %s", path, err, ee.Stderr)
	} else if err != nil {
		t.Fatalf("tshark %s: %v", path, err)
	}
	for i, line := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
		cols := strings.Split(line, "\t")
		if len(cols) != len(tsharkFields) {
			t.Fatalf("tshark printed %d columns, want %d: %q", len(cols), len(tsharkFields), line)
		}
		if cols[0] != strconv.Itoa(i+1) {
			t.Fatalf("tshark line %d is frame %s", i+1, cols[0])
		}
		f := tsharkFrame{}
		for j, name := range tsharkFields {
			f[name] = cols[j]
		}
		frames = append(frames, f)
	}
	out, err = exec.Command(bin, "-n", "-r", path, "-Y", "_ws.malformed", "-T", "fields", "-e", "frame.number").Output()
	if err != nil {
		t.Fatalf("tshark %s: %v", path, err)
	}
	if s := strings.TrimSpace(string(out)); s != "" {
		malformed = strings.Split(s, "\n")
	}
	return frames, malformed
}

// tsharkBin returns tshark's path or skips the test.
func tsharkBin(t *testing.T) string {
	bin, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed (make deps installs it); skipping the tshark cross-check")
	}
	return bin
}

// beHex is how tshark 4.0 prints a DUALSTRINGARRAY string from a
// big-endian stub: not as text but as the hex of its UTF-16BE units,
// terminating NUL included.
func beHex(s string) string {
	var b strings.Builder
	for _, u := range append(utf16.Encode([]rune(s)), 0) {
		fmt.Fprintf(&b, "%04X", u)
	}
	return b.String()
}

// bootText is how tshark prints dcerpc.dg_server_boot.
func bootText(boot uint32) string {
	return time.Unix(int64(boot), 0).UTC().Format("Jan _2, 2006 15:04:05.000000000 UTC")
}

// tsharkCheck holds one file's frames for assertions.
type tsharkCheck struct {
	t      *testing.T
	file   string
	frames []tsharkFrame
}

// field asserts that frame n has field == want.
func (c *tsharkCheck) field(n int, field, want, why string) {
	c.t.Helper()
	if n < 1 || n > len(c.frames) {
		c.t.Errorf("%s: frame %d out of range (%s)", c.file, n, why)
		return
	}
	if got := c.frames[n-1][field]; got != want {
		c.t.Errorf("%s frame %d (%s): tshark %s = %q, want %q", c.file, n, why, field, got, want)
	}
}

// clean asserts what holds for every frame of a generated capture: valid IP,
// TCP, UDP and ICMP checksums, no TCP analysis flags (no retransmission,
// lost segment, unseen ACK...), and no expert warning or error except at
// the frames listed.
func (c *tsharkCheck) clean(warnAt ...int) {
	c.t.Helper()
	allowed := map[int]bool{}
	for _, n := range warnAt {
		allowed[n] = true
	}
	for i, f := range c.frames {
		n := i + 1
		protos := f["frame.protocols"]
		if v := f["ip.checksum.status"]; !strings.HasPrefix(v, "1") {
			c.t.Errorf("%s frame %d: IP checksum status %q", c.file, n, v)
		}
		if strings.Contains(protos, ":tcp") && f["tcp.checksum.status"] != "1" {
			c.t.Errorf("%s frame %d: TCP checksum status %q", c.file, n, f["tcp.checksum.status"])
		}
		if strings.Contains(protos, ":icmp") {
			if f["icmp.checksum.status"] != "1" {
				c.t.Errorf("%s frame %d: ICMP checksum status %q", c.file, n, f["icmp.checksum.status"])
			}
		} else if strings.Contains(protos, ":udp") && f["udp.checksum.status"] != "1" {
			c.t.Errorf("%s frame %d: UDP checksum status %q", c.file, n, f["udp.checksum.status"])
		}
		if f["tcp.analysis.flags"] != "" {
			c.t.Errorf("%s frame %d: tshark TCP analysis flags it (%s)", c.file, n, f["_ws.expert.message"])
		}
		for _, s := range strings.Split(f["_ws.expert.severity"], "|") {
			if sev, _ := strconv.Atoi(s); sev >= 0x00600000 && !allowed[n] { // PI_WARN and above
				c.t.Errorf("%s frame %d: unexpected expert warning %q", c.file, n, f["_ws.expert.message"])
			}
		}
	}
	for _, n := range warnAt {
		if n >= 1 && n <= len(c.frames) && !strings.Contains(c.frames[n-1]["_ws.expert.severity"], strconv.Itoa(0x00600000)) {
			c.t.Errorf("%s frame %d: expected an expert warning, tshark has %q", c.file, n, c.frames[n-1]["_ws.expert.message"])
		}
	}
}

func checkDCOM(c *tsharkCheck, m DCOMMarks) {
	c.field(m.FusedServerAlive2, "dcom.dualstringarray.network_addr",
		"SRV20|"+FusedAddr+"|SRV20|"+FusedAddr, "fused ServerAlive2")
	c.field(m.FusedServerAlive2, "dcom.dualstringarray.tower_id", "0x0007|0x0007|0x0008|0x0008", "fused ServerAlive2")
	c.field(m.FusedResolveOxid2, "dcom.dualstringarray.network_addr",
		"SRV20[1038]|"+FusedAddr+"[1038]|"+FusedAddr+"[1039]", "fused ResolveOxid2")
	c.field(m.FusedResolveOxid2, "dcom.dualstringarray.tower_id", "0x0007|0x0007|0x0008", "fused ResolveOxid2")
	// Big-endian: tshark shows the hex of the UTF-16BE units (see beHex).
	c.field(m.HealthyResolveOxid2, "dcom.dualstringarray.network_addr",
		beHex("APP5[1038]")+"|"+beHex("10.1.1.5[1038]")+"|"+beHex("192.168.7.5[1038]"), "healthy ResolveOxid2 (big-endian)")
	c.field(m.HealthyResolveOxid2, "dcom.dualstringarray.tower_id", "0x0007|0x0007|0x0007", "healthy ResolveOxid2")
	// The activation answer: the resolver addresses of the two OBJREFs,
	// then the exporter's bindings.
	c.field(m.Activation, "dcom.dualstringarray.network_addr",
		"APP5|10.1.1.5|192.168.7.5|APP5|10.1.1.5|192.168.7.5|APP5[1051]|10.1.1.5[1051]|192.168.7.5[1051]", "activation")
	// tshark notes the multihoming of each OBJREF (an expert note, not a
	// warning): legitimate, as the detector must also judge it.
	c.field(m.Activation, "_ws.expert.message",
		"DUALSTRINGARRAY: multiple IP's 10.1.1.5 192.168.7.5|DUALSTRINGARRAY: multiple IP's 10.1.1.5 192.168.7.5",
		"tshark notes the multihoming")
}

func checkCLFloor(c *tsharkCheck, m CLFloorMarks) {
	c.field(m.FusedMapRequest, "dcerpc.pkt_type", "0", "CL ept_map request")
	c.field(m.FusedMapResponse, "dcerpc.pkt_type", "2", "CL ept_map response")
	c.field(m.FusedMapResponse, "epm.proto.udp_port", "1039", "fused floor")
	// tshark reads the 8-byte IPv4 floor as its first 4 bytes and says
	// nothing about the other 4: it cannot see this fault.
	c.field(m.FusedMapResponse, "epm.proto.ip", "157.61.239.61", "fused floor read as its first address")
	c.field(m.FusedMapResponse, "epm.tower.rhs.len", "2|2|2|2|8", "fused floor: RHS of 8 bytes")
	c.field(m.FusedMapResponse, "_ws.expert.message", "", "tshark raises nothing for the 8-byte floor")
	c.field(m.FusedMapResponse, "dcerpc.dg_server_boot", bootText(bootFusedEPM), "server boot")
	c.field(m.GoodMapResponse, "epm.proto.udp_port", "1039", "good tower")
	c.field(m.GoodMapResponse, "epm.proto.ip", "10.1.1.5", "good tower")
	c.field(m.GoodMapResponse, "epm.tower.rhs.len", "2|2|2|2|4", "good tower")
}

func checkRestart(c *tsharkCheck, m RestartMarks) {
	for _, x := range []struct {
		n          int
		field, val string
	}{
		{m.MapTCPBefore, "epm.proto.tcp_port", "49670"}, {m.MapTCPBefore, "epm.proto.ip", "10.0.0.10"},
		{m.MapSamrBefore, "epm.proto.tcp_port", "49668"}, {m.MapUDPBefore, "epm.proto.udp_port", "1039"},
		{m.MapTCPAfter, "epm.proto.tcp_port", "49702"}, {m.MapSamrAfter, "epm.proto.tcp_port", "49669"},
		{m.MapUDPAfter, "epm.proto.udp_port", "1044"},
	} {
		c.field(x.n, x.field, x.val, "tower")
	}
	c.field(m.MapUDPBefore, "dcerpc.dg_server_boot", bootText(BootEPMBefore), "EPM boot before")
	c.field(m.MapUDPAfter, "dcerpc.dg_server_boot", bootText(BootEPMAfter), "EPM boot after")
	c.field(m.CLResponseBefore, "dcerpc.dg_server_boot", bootText(BootMessengerBefore), "boot B1")
	c.field(m.CLResponseAfter, "dcerpc.dg_server_boot", bootText(BootMessengerAfter), "boot B2")
	c.field(m.LargeResponse, "tcp.segment.count", "3", "EnumServicesStatusW response in 3 segments")
	c.field(m.LargeResponse, "dcerpc.opnum", "14", "EnumServicesStatusW")
	c.field(m.RefusedSYN, "tcp.flags.syn", "1", "SYN to the old port")
	c.field(m.RefusedRST, "tcp.flags.reset", "1", "RST-ACK")
	c.field(m.Unreachable, "icmp.type", "3", "destination unreachable")
	c.field(m.Unreachable, "icmp.code", "3", "port unreachable")
	c.field(m.Unreachable, "udp.dstport", "1039", "quoted datagram to the old port")
	c.field(m.ContextMismatch, "dcerpc.cn_status", "0x1c00001a", "nca_s_fault_context_mismatch")
	c.field(m.AccessDenied, "dcerpc.cn_status", "0x00000005", "access denied")
	c.field(m.CallFailed, "dcerpc.cn_status", "0x000006be", "RPC_S_CALL_FAILED")
	c.field(m.WrongBootReject, "dcerpc.pkt_type", "6", "reject")
	c.field(m.WrongBootReject, "dcerpc.dg_status", "0x1c010006", "nca_s_wrong_boot_time")
	c.field(m.WrongBootReject, "dcerpc.dg_server_boot", bootText(BootMessengerAfter), "the reject carries B2")
	c.field(m.NoCall, "dcerpc.pkt_type", "5", "nocall")
	c.field(m.NoCall, "dcerpc.dg_server_boot", bootText(BootMessengerAfter), "the nocall carries B2")
	c.field(m.ProviderRejection, "dcerpc.cn_ack_result", "2", "provider rejection")
	c.field(m.ProviderRejection, "dcerpc.cn_ack_reason", "1", "abstract syntax not supported")
}

// TestTsharkReadsScenarios checks with tshark that every committed capture
// decodes as intended: the fused strings, towers, statuses, the refusal
// and the unreachable at the marked frames, valid checksums and sequence
// numbers everywhere, and nothing malformed.
func TestTsharkReadsScenarios(t *testing.T) {
	bin := tsharkBin(t)
	dcom, dm := KB224460DCOM()
	clf, cm := KB224460CLFloor()
	rst, rm := KB216558Restart()
	_, demo := Demo()
	open := func(t *testing.T, name string, want int) *tsharkCheck {
		frames, malformed := tsharkRead(t, bin, filepath.Join(testdataDir, name))
		if len(frames) != want {
			t.Fatalf("%s: tshark reads %d frames, the generator built %d", name, len(frames), want)
		}
		c := &tsharkCheck{t: t, file: name, frames: frames}
		if len(malformed) > 0 {
			t.Errorf("%s: tshark marks frames %v malformed", name, malformed)
		}
		return c
	}
	t.Run("dcom", func(t *testing.T) {
		c := open(t, FileDCOM, len(dcom))
		c.clean()
		checkDCOM(c, dm)
	})
	t.Run("clfloor", func(t *testing.T) {
		c := open(t, FileCLFloor, len(clf))
		c.clean()
		checkCLFloor(c, cm)
	})
	t.Run("restart", func(t *testing.T) {
		c := open(t, FileRestart, len(rst))
		c.clean(rm.RefusedRST) // tshark warns "Connection reset (RST)"
		checkRestart(c, rm)
	})
	t.Run("demo", func(t *testing.T) {
		c := open(t, FileDemo, len(dcom)+len(clf)+len(rst))
		c.clean(demo.Restart.RefusedRST)
		checkDCOM(c, demo.DCOM)
		checkCLFloor(c, demo.CLFloor)
		checkRestart(c, demo.Restart)
	})
}
