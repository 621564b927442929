package dcom_test

import (
	"bufio"
	"bytes"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/rpcwatch/rpcwatch/dissect"
	"github.com/rpcwatch/rpcwatch/dissect/dcom"
	"github.com/rpcwatch/rpcwatch/internal/pcaptest"
)

// The real captures with DCOM OXID-resolver and activation traffic (see
// ../shared/captures/MANIFEST.md).
var dcomCaptures = []string{
	"otrf-covenant_dcom_registerxll.cap",
	"otrf-empire_dcom_shellwindows_WORKSTATION6.cap",
	"otrf-covenant_wmi_remote_event_subscription_WORKSTATION5.cap",
	"suricata-verify-dcerpc-ctxids.pcap",
	"zeek-dce-rpc-kerberos135_auth.pcapng",
	"sbousseaden-LM_WMI_ProcessCallCreate.pcapng",
}

type stubKind int

const (
	kindDSA stubKind = iota // the DUALSTRINGARRAY of a ServerAlive2 response
	kindServerAlive2
	kindResolveOxid2
	kindResolveOxidRequest
	kindActivation
)

// realStub is one reassembled stub of a call on a DCOM interface.
type realStub struct {
	file    string
	frame   int // the frame that completed it
	iface   dissect.UUID
	opnum   uint16
	request bool
	le      bool
	stub    []byte
}

func (s realStub) kind() (stubKind, bool) {
	switch {
	case s.iface == dissect.IObjectExporter && s.opnum == uint16(dcom.OpServerAlive2) && !s.request:
		return kindServerAlive2, true
	case s.iface == dissect.IObjectExporter && s.opnum == uint16(dcom.OpResolveOxid2) && !s.request:
		return kindResolveOxid2, true
	case s.iface == dissect.IObjectExporter && s.opnum == uint16(dcom.OpResolveOxid2) && s.request:
		return kindResolveOxidRequest, true
	case s.iface == dissect.IRemoteSCMActivator && (s.opnum == 3 || s.opnum == 4) && !s.request:
		return kindActivation, true
	}
	return 0, false
}

type connKey struct{ a, b string }

func keyOf(p pcaptest.PDU) connKey {
	a, b := p.Src.String(), p.Dst.String()
	if a > b {
		a, b = b, a
	}
	return connKey{a, b}
}

type conn struct {
	ctx   map[uint16]dissect.UUID
	calls map[uint32]struct {
		iface dissect.UUID
		opnum uint16
	}
	reasm map[string]*dissect.COReassembler // per direction (source address)
}

// dcomStubs returns the reassembled stubs of every request and response on
// IObjectExporter, ISystemActivator and IRemoteActivation in a capture. The
// interface of a call comes from the bind or alter_context that set up its
// presentation context on the same TCP connection, matched by call_id.
func dcomStubs(tb testing.TB, path string) []realStub {
	tb.Helper()
	conns := map[connKey]*conn{}
	var out []realStub
	for _, p := range pcaptest.PDUs(tb, path) {
		if p.UDP {
			continue
		}
		var pdu dissect.COPDU
		if _, err := pdu.Decode(p.Data); err != nil {
			continue
		}
		k := keyOf(p)
		c := conns[k]
		if c == nil {
			c = &conn{ctx: map[uint16]dissect.UUID{}, reasm: map[string]*dissect.COReassembler{},
				calls: map[uint32]struct {
					iface dissect.UUID
					opnum uint16
				}{}}
			conns[k] = c
		}
		switch pdu.Header.Type {
		case dissect.PTypeBind, dissect.PTypeAlterContext:
			for i := 0; i < pdu.NContexts; i++ {
				c.ctx[pdu.Contexts[i].ID] = pdu.Contexts[i].Abstract.UUID
			}
			continue
		case dissect.PTypeRequest:
			c.calls[pdu.Header.CallID] = struct {
				iface dissect.UUID
				opnum uint16
			}{c.ctx[pdu.ContextID], pdu.Opnum}
		case dissect.PTypeResponse:
		default:
			continue
		}
		dir := p.Src.String()
		r := c.reasm[dir]
		if r == nil {
			r = dissect.NewCOReassembler(dissect.COLimits{})
			c.reasm[dir] = r
		}
		stub, _, done := r.Add(&pdu)
		if !done {
			continue
		}
		call, ok := c.calls[pdu.Header.CallID]
		if !ok {
			continue
		}
		switch call.iface {
		case dissect.IObjectExporter, dissect.IRemoteSCMActivator, dissect.IRemoteActivation:
		default:
			continue
		}
		out = append(out, realStub{
			file: filepath.Base(path), frame: p.Frame, iface: call.iface, opnum: call.opnum,
			request: pdu.Header.Type == dissect.PTypeRequest, le: pdu.Header.LittleEndian(),
			stub: append([]byte(nil), stub...),
		})
	}
	return out
}

// realStubs returns the stubs of one kind from all DCOM captures, for fuzz
// seeds; none when the shared captures are absent.
func realStubs(tb testing.TB, want stubKind) []realStub {
	dir, ok := pcaptest.FindDir()
	if !ok {
		return nil
	}
	var out []realStub
	for _, f := range dcomCaptures {
		for _, s := range dcomStubs(tb, filepath.Join(dir, f)) {
			k, ok := s.kind()
			switch {
			case ok && k == want:
				out = append(out, s)
			case ok && want == kindDSA && k == kindServerAlive2 && len(s.stub) > 8:
				s.stub = s.stub[8:] // after COMVERSION and the pointer
				out = append(out, s)
			}
		}
	}
	return out
}

// decoded is what rpcwatch reads from one response: the raw network
// address text and tower id of every string binding ("0x0007
// WORKSTATION6[49913]"), and the OXID when the response carries one.
type decoded struct {
	bindings []string
	oxid     uint64
}

func rawBindings(d *dcom.DualStringArray, out []string) []string {
	it := d.StringBindings()
	for it.Next() {
		e := it.Entry()
		out = append(out, "0x"+hex4(uint16(e.TowerID))+" "+string(dcom.AppendUTF16(nil, e.NetworkAddr, d.LE)))
	}
	return out
}

func hex4(v uint16) string {
	s := strconv.FormatUint(uint64(v), 16)
	return strings.Repeat("0", 4-len(s)) + s
}

// decodeReal decodes a response stub with the decoder its call selects and
// fails the test on an error or an anomaly: real Windows traffic is well
// formed.
func decodeReal(t *testing.T, s realStub) (decoded, bool) {
	t.Helper()
	k, ok := s.kind()
	if !ok {
		return decoded{}, false
	}
	var an *dissect.Anomalies
	var err error
	var d decoded
	switch k {
	case kindServerAlive2:
		var p dcom.ServerAlive2Response
		_, err = p.Decode(s.stub, s.le)
		an = &p.Anomalies
		d.bindings = rawBindings(&p.Bindings, nil)
		if p.Version.Major != 5 || !p.HasBindings {
			t.Errorf("%s frame %d: ServerAlive2 %+v", s.file, s.frame, p.Version)
		}
	case kindResolveOxid2:
		var p dcom.ResolveOxid2Response
		_, err = p.Decode(s.stub, s.le)
		an = &p.Anomalies
		d.bindings = rawBindings(&p.Bindings, nil)
	case kindResolveOxidRequest:
		var q dcom.ResolveOxidRequest
		_, err = q.Decode(s.stub, s.le)
		an = &q.Anomalies
		d.oxid = q.OXID
	case kindActivation:
		var p dcom.ActivationResponse
		_, err = p.Decode(s.stub, s.le)
		an = &p.Anomalies
		if !p.HasProperties || !p.Props.HasRemoteReply || p.HR != 0 {
			t.Errorf("%s frame %d: activation without reply (hr %#x)", s.file, s.frame, p.HR)
		}
		for i := 0; i < int(min(p.Props.NumInterfaces, dcom.MaxInterfaceRefs)); i++ {
			if f := &p.Props.Interfaces[i]; f.HasObjRef && f.ObjRef.HasResolver {
				d.bindings = rawBindings(&f.ObjRef.Resolver, d.bindings)
			}
		}
		d.bindings = rawBindings(&p.Props.Bindings, d.bindings)
		d.oxid = p.Props.OXID
	}
	if err != nil {
		t.Errorf("%s frame %d: %v", s.file, s.frame, err)
	}
	for i := 0; i < an.Len(); i++ {
		t.Errorf("%s frame %d: anomaly %v at %d (%d, %d)", s.file, s.frame, an.At(i).Kind, an.At(i).Off, an.At(i).A, an.At(i).B)
	}
	sort.Strings(d.bindings)
	return d, true
}

// TestRealCaptures decodes the DCOM responses of the real captures and
// compares with what tshark 4.0.17 showed for the same frames
// (dcom.dualstringarray.tower_id / network_addr, sorted), and with the
// OXIDs tshark printed.
func TestRealCaptures(t *testing.T) {
	dir := pcaptest.Dir(t)
	want := map[string]map[int]decoded{
		"otrf-covenant_dcom_registerxll.cap": {
			92:  {bindings: []string{"0x0007 172.18.39.6", "0x0007 WORKSTATION6"}},
			106: {bindings: []string{"0x0007 172.18.39.6", "0x0007 172.18.39.6[51226]", "0x0007 WORKSTATION6", "0x0007 WORKSTATION6[51226]"}},
		},
		"otrf-empire_dcom_shellwindows_WORKSTATION6.cap": {
			19: {bindings: []string{"0x0007 172.18.39.6", "0x0007 172.18.39.6[49913]", "0x0007 WORKSTATION6", "0x0007 WORKSTATION6[49913]"}, oxid: 0x5142cb913aa5cfce},
			70: {oxid: 0xdd1bdac8861325b0},
			71: {bindings: []string{"0x0007 172.18.39.6[49913]", "0x0007 WORKSTATION6[49913]"}},
		},
		"otrf-covenant_wmi_remote_event_subscription_WORKSTATION5.cap": {
			18:  {bindings: []string{"0x0007 172.18.39.6", "0x0007 WORKSTATION6"}},
			42:  {bindings: []string{"0x0007 172.18.39.6", "0x0007 172.18.39.6[59570]", "0x0007 WORKSTATION6", "0x0007 WORKSTATION6[59570]"}},
			151: {bindings: []string{"0x0007 172.18.39.6", "0x0007 172.18.39.6[59570]", "0x0007 WORKSTATION6", "0x0007 WORKSTATION6[59570]"}},
		},
		"suricata-verify-dcerpc-ctxids.pcap": {
			7:  {bindings: []string{"0x0007 192.168.56.101", "0x0007 DC1"}},
			17: {bindings: []string{"0x0007 192.168.56.101", "0x0007 192.168.56.101[49724]", "0x0007 DC1", "0x0007 DC1[49724]"}},
		},
		"zeek-dce-rpc-kerberos135_auth.pcapng": {
			11: {bindings: []string{"0x0007 10.10.10.100", "0x0007 10.10.10.100[49718]", "0x0007 BLACKCLOVER-DC", "0x0007 BLACKCLOVER-DC[49718]"}, oxid: 0x1189f948559b4a41},
		},
		"sbousseaden-LM_WMI_ProcessCallCreate.pcapng": {
			25: {bindings: []string{"0x0007 01566s-win16-ir", "0x0007 01566s-win16-ir[49670]", "0x0007 172.16.66.36", "0x0007 172.16.66.36[49670]",
				// Windows escapes the backslashes of ncacn_np bindings
				`0x000f \\\\01566S-WIN16-IR[\\PIPE\\atsvc]`, `0x000f \\\\01566S-WIN16-IR[\\pipe\\SessEnvPublicRpc]`}},
		},
	}
	for _, f := range dcomCaptures {
		t.Run(f, func(t *testing.T) {
			got := map[int]decoded{}
			for _, s := range dcomStubs(t, filepath.Join(dir, f)) {
				d, ok := decodeReal(t, s)
				if !ok {
					continue
				}
				if prev, dup := got[s.frame]; dup {
					d.bindings = append(prev.bindings, d.bindings...)
				}
				got[s.frame] = d
			}
			w := want[f]
			for frame, d := range got {
				wd, ok := w[frame]
				if !ok {
					if len(d.bindings) > 0 {
						t.Errorf("frame %d: unexpected bindings %q", frame, d.bindings)
					}
					continue
				}
				if !reflect.DeepEqual(d.bindings, wd.bindings) {
					t.Errorf("frame %d: bindings\n got %q\nwant %q", frame, d.bindings, wd.bindings)
				}
				if wd.oxid != 0 && d.oxid != wd.oxid {
					t.Errorf("frame %d: OXID %#x, want %#x", frame, d.oxid, wd.oxid)
				}
			}
			for frame := range w {
				if _, ok := got[frame]; !ok {
					t.Errorf("frame %d: not decoded", frame)
				}
			}
		})
	}
}

// TestRealCapturesTshark runs tshark (when installed) on the same captures
// and requires the same string bindings per frame: a differential check
// that does not depend on the table above.
func TestRealCapturesTshark(t *testing.T) {
	dir := pcaptest.Dir(t)
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skip("tshark not installed")
	}
	for _, f := range dcomCaptures {
		t.Run(f, func(t *testing.T) {
			path := filepath.Join(dir, f)
			cmd := exec.Command("tshark", "-n", "-r", path, "-Y", "(oxid || isystemactivator || remact) && dcerpc.pkt_type == 2",
				"-T", "fields", "-E", "occurrence=a", "-E", "aggregator=|",
				"-e", "frame.number", "-e", "dcom.dualstringarray.tower_id", "-e", "dcom.dualstringarray.network_addr")
			outb, err := cmd.Output()
			if err != nil {
				t.Fatalf("tshark: %v", err)
			}
			ts := map[int][]string{}
			sc := bufio.NewScanner(bytes.NewReader(outb))
			for sc.Scan() {
				fs := strings.Split(sc.Text(), "\t")
				if len(fs) != 3 || fs[1] == "" {
					continue
				}
				frame, _ := strconv.Atoi(fs[0])
				towers, addrs := strings.Split(fs[1], "|"), strings.Split(fs[2], "|")
				if len(towers) != len(addrs) {
					t.Fatalf("tshark line %q", sc.Text())
				}
				for i := range towers {
					ts[frame] = append(ts[frame], "0x"+strings.TrimPrefix(towers[i], "0x")+" "+addrs[i])
				}
				sort.Strings(ts[frame])
			}
			ours := map[int][]string{}
			for _, s := range dcomStubs(t, path) {
				if d, ok := decodeReal(t, s); ok && len(d.bindings) > 0 {
					ours[s.frame] = append(ours[s.frame], d.bindings...)
				}
			}
			if len(ts) == 0 {
				t.Fatal("tshark found no string bindings")
			}
			if !reflect.DeepEqual(ours, ts) {
				t.Errorf("bindings differ\n ours   %v\n tshark %v", ours, ts)
			}
		})
	}
}
