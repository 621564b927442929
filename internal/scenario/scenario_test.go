package scenario

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"go/format"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

var update = flag.Bool("update", false, "rewrite the scenario captures in testdata/ and scenarios_gen.go")

// testdataDir is the repository's testdata/, where the captures live.
const testdataDir = "../../testdata"

// genFile is the file holding the exported scenario functions, whose doc
// comments carry the frame maps.
const genFile = "scenarios_gen.go"

// TestGoldenFiles regenerates every capture and the frame-map doc comments
// and compares them with the committed ones byte for byte. With -update it
// rewrites them instead.
func TestGoldenFiles(t *testing.T) {
	src := renderGen()
	if *update {
		if err := Write(testdataDir); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(genFile, src, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("rewrote %s and the captures in %s", genFile, testdataDir)
	}
	dir := t.TempDir()
	if err := Write(dir); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{FileDCOM, FileCLFloor, FileRestart, FileDemo} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join(testdataDir, name))
		if err != nil {
			t.Fatalf("%v (run go test ./internal/scenario -update to create it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: regenerated capture (%d bytes) differs from the committed one (%d bytes); "+
				"run go test ./internal/scenario -update if the change is intended", name, len(got), len(want))
		}
	}
	have, err := os.ReadFile(genFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(have, src) {
		t.Errorf("%s is out of date with the generated frames; run go test ./internal/scenario -update", genFile)
	}
}

// TestDeterministic builds every scenario twice and compares the frames.
func TestDeterministic(t *testing.T) {
	for name, f := range map[string]func() []Frame{
		"dcom":    func() []Frame { f, _ := KB224460DCOM(); return f },
		"clfloor": func() []Frame { f, _ := KB224460CLFloor(); return f },
		"restart": func() []Frame { f, _ := KB216558Restart(); return f },
		"demo":    func() []Frame { f, _ := Demo(); return f },
	} {
		a, b := f(), f()
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s: two builds differ", name)
		}
	}
}

// TestWriteMissingDir checks that Write reports a missing directory
// instead of creating it.
func TestWriteMissingDir(t *testing.T) {
	err := Write(filepath.Join(t.TempDir(), "absent"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Write into a missing directory: %v, want a not-exist error", err)
	}
}

// marksOf returns the int fields of a marks struct by name.
func marksOf(m any) map[string]int {
	out := map[string]int{}
	v := reflect.ValueOf(m)
	for i := 0; i < v.NumField(); i++ {
		f := v.Type().Field(i)
		if f.Type.Kind() == reflect.Int {
			out[f.Name] = int(v.Field(i).Int())
		}
	}
	return out
}

// TestMarks checks that every mark is set, points into its capture, and
// names the frame it documents (its note), and that the demo marks are the
// scenario marks shifted onto the same bytes.
func TestMarks(t *testing.T) {
	dcom, dm := KB224460DCOM()
	clf, cm := KB224460CLFloor()
	rst, rm := KB216558Restart()
	for _, s := range []struct {
		frames []Frame
		marks  any
	}{{dcom, dm}, {clf, cm}, {rst, rm}} {
		for name, n := range marksOf(s.marks) {
			if n < 1 || n > len(s.frames) {
				t.Errorf("%T.%s = %d, outside 1..%d", s.marks, name, n, len(s.frames))
			}
		}
	}
	notes := map[string]string{
		"FusedBindAck": "bind_ack: IObjectExporter accepted", "FusedServerAlive2": "ServerAlive2 response",
		"FusedResolveOxid2Request": "ResolveOxid2 request", "FusedResolveOxid2": "ResolveOxid2 response: SRV20[1038]",
		"HealthyResolveOxid2": "ResolveOxid2 response (big-endian): APP5[1038]", "Activation": "RemoteCreateInstance response",
		"FusedMapRequest": "CL ept_map request", "FusedMapResponse": "8-byte IPv4 floor",
		"GoodMapRequest": "CL ept_map request (big-endian)", "GoodMapResponse": "10.1.1.5[1039]",
		"MapTCPBefore": "svcctl at ncacn_ip_tcp:10.0.0.10[49670]", "CallOKBefore": "OpenSCManagerW response",
		"LargeResponse": "EnumServicesStatusW response", "MapSamrBefore": "samr at ncacn_ip_tcp:10.0.0.10[49668]",
		"SamrOKBefore": "SamrConnect2 response", "MapUDPBefore": "10.0.0.10[1039]", "CLResponseBefore": "response, server_boot B1",
		"CLUnanswered": "never answered", "Restart": "TCP SYN 10.0.0.21", "RefusedSYN": "TCP SYN", "RefusedRST": "RST-ACK",
		"MapTCPAfter": "10.0.0.10[49702]", "ContextMismatch": "nca_s_fault_context_mismatch",
		"FreshHandleAfter": "OpenSCManagerW response: new handle", "UnreachableRequest": "retransmitted to the old endpoint 1039",
		"Unreachable": "ICMP port unreachable", "MapUDPAfter": "10.0.0.10[1044]", "NoCall": "CL nocall",
		"WrongBootReject": "nca_s_wrong_boot_time", "CLResponseAfter": "response, server_boot B2",
		"ProviderRejection": "provider rejection", "MapSamrAfter": "samr at ncacn_ip_tcp:10.0.0.10[49669]",
		"AccessDenied": "0x00000005", "CallFailed": "0x000006be",
	}
	check := func(frames []Frame, marks any) {
		for name, n := range marksOf(marks) {
			want, ok := notes[name]
			if !ok {
				t.Errorf("mark %s has no expected note in this test", name)
				continue
			}
			if n >= 1 && n <= len(frames) && !strings.Contains(frames[n-1].Note, want) {
				t.Errorf("%s = frame %d %q, want a frame about %q", name, n, frames[n-1].Note, want)
			}
		}
	}
	check(dcom, dm)
	check(clf, cm)
	check(rst, rm)

	demo, m := Demo()
	if len(demo) != len(dcom)+len(clf)+len(rst) {
		t.Fatalf("demo has %d frames, want %d", len(demo), len(dcom)+len(clf)+len(rst))
	}
	if m.FirstCLFloor != len(dcom)+1 || m.FirstRestart != len(dcom)+len(clf)+1 {
		t.Errorf("demo offsets %d, %d", m.FirstCLFloor, m.FirstRestart)
	}
	same := func(name string, sf []Frame, sm, dmk any) {
		s, d := marksOf(sm), marksOf(dmk)
		if len(s) != len(d) {
			t.Fatalf("%s: marks differ in number", name)
		}
		for k, n := range s {
			if !reflect.DeepEqual(sf[n-1], demo[d[k]-1]) {
				t.Errorf("demo %s.%s = frame %d is not the scenario's frame %d", name, k, d[k], n)
			}
		}
	}
	same("DCOM", dcom, dm, m.DCOM)
	same("CLFloor", clf, cm, m.CLFloor)
	same("Restart", rst, rm, m.Restart)
}

// TestFrames decodes every generated frame with gopacket and checks the
// clock and the TCP bookkeeping: time moves forward, frames are at least 60
// bytes, and each TCP segment's sequence number follows what its sender
// sent before (no gaps, no overlaps) and acknowledges what the peer sent.
func TestFrames(t *testing.T) {
	all, _ := Demo()
	type dir struct{ src, dst string }
	next := map[dir]uint32{}
	var last time.Time
	for i, f := range all {
		n := i + 1
		if f.Time.Before(last) {
			t.Errorf("frame %d goes back in time", n)
		}
		last = f.Time
		if f.Time.Nanosecond()%1000 != 0 {
			t.Errorf("frame %d: time not in whole microseconds", n)
		}
		if len(f.Data) < 60 {
			t.Errorf("frame %d: %d bytes, shorter than an Ethernet minimum frame", n, len(f.Data))
		}
		p := gopacket.NewPacket(f.Data, layers.LayerTypeEthernet, gopacket.Default)
		if el := p.ErrorLayer(); el != nil {
			t.Fatalf("frame %d: %v", n, el.Error())
		}
		ip, _ := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
		tcp, _ := p.Layer(layers.LayerTypeTCP).(*layers.TCP)
		if ip == nil || tcp == nil {
			continue
		}
		k := dir{fmt.Sprint(ip.SrcIP, ":", tcp.SrcPort), fmt.Sprint(ip.DstIP, ":", tcp.DstPort)}
		back := dir{k.dst, k.src}
		if tcp.SYN {
			next[k] = tcp.Seq + 1
			if tcp.ACK && tcp.Ack != next[back] {
				t.Errorf("frame %d: SYN-ACK acknowledges %d, want %d", n, tcp.Ack, next[back])
			}
			continue
		}
		if tcp.RST {
			if tcp.Ack != next[back] {
				t.Errorf("frame %d: RST acknowledges %d, want %d", n, tcp.Ack, next[back])
			}
			continue
		}
		if tcp.Seq != next[k] {
			t.Errorf("frame %d: seq %d, want %d", n, tcp.Seq, next[k])
		}
		if tcp.Ack != next[back] {
			t.Errorf("frame %d: ack %d, want %d", n, tcp.Ack, next[back])
		}
		next[k] = tcp.Seq + uint32(len(tcp.Payload))
		if tcp.FIN {
			next[k]++
		}
		if len(tcp.Payload) > mss {
			t.Errorf("frame %d: %d bytes of payload, more than the MSS", n, len(tcp.Payload))
		}
	}
}

// TestMarkShiftCoversEveryField guards the hand-written shift methods: a
// new mark that shift forgets would point at the wrong demo frame.
func TestMarkShiftCoversEveryField(t *testing.T) {
	var c CLFloorMarks
	var r RestartMarks
	for name, v := range marksOf(c.shift(7)) {
		if v != 7 {
			t.Errorf("CLFloorMarks.shift misses %s", name)
		}
	}
	for name, v := range marksOf(r.shift(7)) {
		if v != 7 {
			t.Errorf("RestartMarks.shift misses %s", name)
		}
	}
}

// frameMap renders the frames one per line for a doc comment, naming the
// marks that point at each frame.
func frameMap(frames []Frame, marks any, recv string) string {
	at := map[int][]string{}
	for name, n := range marksOf(marks) {
		at[n] = append(at[n], recv+"."+name)
	}
	var b strings.Builder
	for i, f := range frames {
		fmt.Fprintf(&b, "//\t%3d  %s", i+1, f.Note)
		if names := at[i+1]; len(names) > 0 {
			sortStrings(names)
			fmt.Fprintf(&b, "  [%s]", strings.Join(names, ", "))
		}
		b.WriteString("\n")
	}
	return b.String()
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// renderGen renders scenarios_gen.go: the exported scenario functions with
// their frame maps as doc comments.
func renderGen() []byte {
	dcom, dm := KB224460DCOM()
	clf, cm := KB224460CLFloor()
	rst, rm := KB216558Restart()
	_, m := Demo()
	var b strings.Builder
	b.WriteString("// Code generated by \"go test ./internal/scenario -update\"; DO NOT EDIT.\n\npackage scenario\n\n")
	fmt.Fprintf(&b, `// KB224460DCOM returns the frames of %s (KB Q224460
// over DCOM) and the frame numbers the detector's tests assert at. Client
// 157.61.239.20 asks the multihomed server 157.61.239.61 (second address
// 157.61.239.5), on one association, ServerAlive2 and ResolveOxid2; both
// answers carry the fused address %s. Then the
// healthy multihomed server 10.1.1.5 (second address 192.168.7.5) answers
// ResolveOxid2 (big-endian on both sides) and an ISystemActivator
// RemoteCreateInstance with its two addresses listed separately, which is
// legitimate multihoming.
//
// Frames (m is the returned DCOMMarks; each mark is the frame that
// completes its PDU):
//
%sfunc KB224460DCOM() (frames []Frame, m DCOMMarks) { return kb224460DCOM() }

`, FileDCOM, FusedAddr, frameMap(dcom, dm, "m"))
	fmt.Fprintf(&b, `// KB224460CLFloor returns the frames of %s:
// the connectionless form of KB Q224460. An ept_map over UDP 135 for the
// messenger interface is answered by 157.61.239.61 with an ncadg_ip_udp
// tower whose IPv4 floor holds 8 bytes (157.61.239.61 then 157.61.239.5)
// and UDP port 1039; a normal exchange with 10.1.1.5 (big-endian) returns
// a correct tower.
//
// Frames (m is the returned CLFloorMarks):
//
%sfunc KB224460CLFloor() (frames []Frame, m CLFloorMarks) { return kb224460CLFloor() }

`, FileCLFloor, frameMap(clf, cm, "m"))
	fmt.Fprintf(&b, `// KB216558Restart returns the frames of %s (KB
// Q216558): server 10.0.0.10 hands out svcctl at ncacn_ip_tcp 49670, samr
// at 49668 and the messenger interface at ncadg_ip_udp 1039 (clients
// 10.0.0.21, 10.0.0.23 and 10.0.0.22, the last big-endian over UDP), then
// restarts: 30 s without a packet from it. Afterwards the old TCP port
// refuses connections, the old UDP port is unreachable, the endpoint
// mapper hands out 49702, 49669 and 1044, the old samr port serves another
// interface (bind_ack provider rejection), the old context handle faults
// (nca_s_fault_context_mismatch), a CL call with the old boot time is
// rejected (nca_s_wrong_boot_time, the reject carrying the new boot time),
// a ping for a call made before the restart gets a nocall, and samr calls
// fault with 0x00000005 and 0x000006be.
//
// Frames (m is the returned RestartMarks; B1 and B2 are
// BootMessengerBefore and BootMessengerAfter, E1 and E2 BootEPMBefore and
// BootEPMAfter):
//
%sfunc KB216558Restart() (frames []Frame, m RestartMarks) { return kb216558Restart() }
`, FileRestart, frameMap(rst, rm, "m"))
	fmt.Fprintf(&b, `
// Frame ranges of %s (see Demo): frame n of a scenario is frame
// n+offset of the demo.
const (
	// DemoDCOMFrames: frames 1-%d are KB224460DCOM's (offset 0).
	DemoDCOMFrames = %d
	// DemoCLFloorOffset: frames %d-%d are KB224460CLFloor's.
	DemoCLFloorOffset = %d
	// DemoRestartOffset: frames %d-%d are KB216558Restart's.
	DemoRestartOffset = %d
)
`, FileDemo, len(dcom), len(dcom), m.FirstCLFloor, m.FirstCLFloor+len(clf)-1, m.FirstCLFloor-1,
		m.FirstRestart, m.FirstRestart+len(rst)-1, m.FirstRestart-1)
	out, err := format.Source([]byte(b.String()))
	if err != nil {
		panic(err)
	}
	return out
}
