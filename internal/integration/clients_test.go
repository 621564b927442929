package integration

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// key is one binding as a client prints it: interface, major version and
// the string binding protseq:address[endpoint].
type key struct {
	Iface   string
	Major   int
	Binding string
}

type keySet map[key]bool

func (s keySet) sorted() []key {
	ks := make([]key, 0, len(s))
	for k := range s {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool {
		if ks[i].Iface != ks[j].Iface {
			return ks[i].Iface < ks[j].Iface
		}
		return ks[i].Binding < ks[j].Binding
	})
	return ks
}

// minus returns the keys of s not in o.
func (s keySet) minus(o keySet) []key {
	var d []key
	for _, k := range s.sorted() {
		if !o[k] {
			d = append(d, k)
		}
	}
	return d
}

// rpcclientTower matches a tower as rpcclient prints it, in epmlookup
// ("UUID ncacn_ip_tcp:127.0.0.1[49152,abstract_syntax=IFACE/0x00000003]:
// name") and in epmmap ("tower[0] ncacn_ip_tcp:..."); the version is
// major | minor<<16.
var rpcclientTower = regexp.MustCompile(`(ncacn_np|ncacn_ip_tcp|ncacn_http|ncalrpc|ncadg_ip_udp):([^\[\s]*)\[([^,\]]*),abstract_syntax=([0-9a-f-]+)/0x([0-9a-f]+)\]`)

func parseRpcclient(t *testing.T, out string) keySet {
	t.Helper()
	s := keySet{}
	for _, l := range strings.Split(out, "\n") {
		m := rpcclientTower.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		v, err := strconv.ParseUint(m[5], 16, 32)
		if err != nil {
			t.Fatalf("rpcclient line %q: %v", l, err)
		}
		s[key{m[4], int(v & 0xffff), m[1] + ":" + m[2] + "[" + m[3] + "]"}] = true
	}
	return s
}

// impacketLine is one JSON line of testdata/epmclient.py.
type impacketLine struct {
	Kind     string            `json:"kind"`
	Iface    string            `json:"iface"`
	Major    int               `json:"major"`
	Binding  string            `json:"binding"`
	Name     string            `json:"name"`
	NumEnts  int               `json:"num_ents"`
	Status   string            `json:"status"`
	Step     string            `json:"step"`
	Result   string            `json:"result"`
	Bindings map[string]string `json:"bindings"`
}

func parseImpacket(t *testing.T, out string) []impacketLine {
	t.Helper()
	var ls []impacketLine
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var x impacketLine
		if err := json.Unmarshal([]byte(l), &x); err != nil {
			t.Fatalf("epmclient.py line %q: %v", l, err)
		}
		ls = append(ls, x)
	}
	return ls
}

// epmBindings returns rpcwatch's endpoint-mapper bindings per server
// address, and how many each (server, frame) carried.
func epmBindings(rs []record) (map[string]keySet, map[string]map[int64]int) {
	sets := map[string]keySet{}
	perFrame := map[string]map[int64]int{}
	for _, r := range rs {
		if r.Kind != "binding" || r.Source != "epm" {
			continue
		}
		major, _, _ := strings.Cut(r.Version, ".")
		m, _ := strconv.Atoi(major)
		if sets[r.Server] == nil {
			sets[r.Server] = keySet{}
			perFrame[r.Server] = map[int64]int{}
		}
		sets[r.Server][key{r.Interface, m, r.Binding}] = true
		perFrame[r.Server][r.Frame]++
	}
	return sets, perFrame
}

// checkNoAlarm fails for stale-binding, fused-address and malformed-*
// findings: a run without a restart has none.
func checkNoAlarm(t *testing.T, what string, rs []record) {
	t.Helper()
	for _, r := range rs {
		if r.Kind == "finding" && (r.Rule == "stale-binding" || r.Rule == "fused-address" || strings.HasPrefix(r.Rule, "malformed-")) {
			t.Errorf("%s: unexpected %s finding at frame %d: %s", what, r.Rule, r.Frame, r.Detail)
		}
	}
}

// TestClientsAgree queries Samba's endpoint mapper with rpcclient and
// impacket on 127.0.0.1, 127.0.0.2 and ::1 while rpcwatch watches lo, and
// checks that rpcwatch reports the bindings the clients print.
func TestClientsAgree(t *testing.T) {
	requireEnv(t)
	start := time.Now()
	bin := buildRpcwatch(t)
	addSecondAddr(t)
	s := newSamba(t)
	s.start(t)
	pcap := filepath.Join(t.TempDir(), "clients.pcap")
	dump := startTcpdump(t, pcap)
	w := startWatcher(t, bin)
	probe := parseRpcclient(t, w.sync(t, s))
	t.Logf("setup (build, samba, tcpdump, rpcwatch ready): %s", time.Since(start).Round(time.Millisecond))

	rpcclient := map[string]keySet{"127.0.0.1": probe}
	lookup := map[string]keySet{}
	lookupEnts := map[string]int{}
	mapped := map[string][]impacketLine{}
	for _, h := range servers {
		rpcclient[h] = keySet{}
		for k := range parseRpcclient(t, s.rpcclient(t, h, "epmlookup")) {
			rpcclient[h][k] = true
		}
		lookup[h] = keySet{}
		for _, l := range parseImpacket(t, epmclient(t, "lookup", h)) {
			switch l.Kind {
			case "entry":
				lookup[h][key{l.Iface, l.Major, l.Binding}] = true
			case "lookup":
				lookupEnts[h] = l.NumEnts
				if l.Status != "0x16c9a0d6" {
					t.Errorf("%s: lookup status %s, Samba sends ept_s_not_registered 0x16c9a0d6 with the last entries", h, l.Status)
				}
			}
		}
		mapped[h] = parseImpacket(t, epmclient(t, "map", h))
	}
	for k := range parseRpcclient(t, s.rpcclient(t, secondAddr, "epmmap samr ncacn_ip_tcp")) {
		rpcclient[secondAddr][k] = true
	}
	w.sync(t, s)
	live := w.stop(t)
	counters := dump.stop(t)
	t.Logf("clients done: %s; tcpdump: %s", time.Since(start).Round(time.Millisecond), strings.TrimSpace(counters))

	got, perFrame := epmBindings(live)
	for _, h := range servers {
		if len(lookup[h]) != lookupEnts[h] || lookupEnts[h] != 38 {
			t.Errorf("%s: impacket's lookup printed %d distinct entries of num_ents %d, Samba 4.17 registers 38", h, len(lookup[h]), lookupEnts[h])
		}
		if d := got[h].minus(lookup[h]); len(d) > 0 {
			t.Errorf("%s: rpcwatch reports bindings impacket's lookup did not print: %v", h, d)
		}
		if d := lookup[h].minus(got[h]); len(d) > 0 {
			t.Errorf("%s: impacket's lookup printed bindings rpcwatch did not report: %v", h, d)
		}
		if d := rpcclient[h].minus(got[h]); len(d) > 0 {
			t.Errorf("%s: rpcclient printed bindings rpcwatch did not report: %v", h, d)
		}
		// rpcclient iterates with max_ents 1; the last response carries
		// the last entry and ept_s_not_registered, and rpcclient stops
		// without printing that entry. rpcwatch reports it.
		if d := got[h].minus(rpcclient[h]); len(d) != 1 {
			t.Errorf("%s: rpcwatch reports %d bindings rpcclient did not print, want 1 (the entry in the response carrying ept_s_not_registered): %v", h, len(d), d)
		} else {
			t.Logf("%s: %d bindings agree with impacket's lookup; rpcclient printed all but %v (sent with ept_s_not_registered)", h, len(got[h]), d[0])
		}
		// The max_ents 500 lookup: 38 towers in one response (two
		// fragments on the wire, checked against tshark below).
		max := 0
		for _, n := range perFrame[h] {
			max = sizeMax(max, n)
		}
		if max != 38 {
			t.Errorf("%s: the largest response rpcwatch decoded has %d bindings, want the 38 of impacket's lookup", h, max)
		}
		// hept_map prints the host it was given, not the tower's address:
		// compare interface and port.
		for _, m := range mapped[h] {
			_, port, ok := strings.Cut(strings.TrimSuffix(m.Binding, "]"), "[")
			if !ok {
				t.Fatalf("hept_map binding %q", m.Binding)
			}
			found := false
			for k := range got[h] {
				if k.Iface == m.Iface && strings.HasPrefix(k.Binding, "ncacn_ip_tcp:") && strings.HasSuffix(k.Binding, "["+port+"]") {
					found = true
				}
			}
			if !found {
				t.Errorf("%s: hept_map %s -> %s, rpcwatch has no ncacn_ip_tcp binding of %s on port %s", h, m.Name, m.Binding, m.Iface, port)
			}
		}
	}
	// Over IPv6 Samba puts 0.0.0.0 in the TCP towers' IP floor ("the
	// address you reached me at").
	v6 := 0
	for k := range got["::1"] {
		if strings.HasPrefix(k.Binding, "ncacn_ip_tcp:") {
			v6++
			if !strings.HasPrefix(k.Binding, "ncacn_ip_tcp:0.0.0.0[") {
				t.Errorf("::1: %v, Samba sends 0.0.0.0 over IPv6", k)
			}
		}
	}
	if v6 == 0 {
		t.Error("::1: rpcwatch reports no ncacn_ip_tcp binding")
	}
	checkNoAlarm(t, "rpcwatch live", live)

	// Differential: the tcpdump capture of the same run, read by rpcwatch
	// and by tshark.
	read := readFile(t, bin, pcap)
	checkNoAlarm(t, "rpcwatch read", read)
	fromFile, _ := epmBindings(read)
	for _, h := range servers {
		if d := got[h].minus(fromFile[h]); len(d) > 0 {
			t.Errorf("%s: live bindings missing from rpcwatch read of tcpdump's capture: %v", h, d)
		}
		if d := fromFile[h].minus(got[h]); len(d) > 0 {
			t.Errorf("%s: rpcwatch read of tcpdump's capture has bindings live did not: %v", h, d)
		}
	}
	compareTshark(t, pcap, read)
	keepOnFailure(t, pcap)
	t.Logf("total %s", time.Since(start).Round(time.Millisecond))
}

// keepOnFailure copies a failed run's capture out of the test's temporary
// directory (which is removed) so that it can be looked at.
func keepOnFailure(t *testing.T, pcap string) {
	if !t.Failed() {
		return
	}
	b, err := os.ReadFile(pcap)
	if err != nil {
		return
	}
	dst := filepath.Join(os.TempDir(), "rpcwatch-"+strings.ReplaceAll(t.Name(), "/", "-")+".pcap")
	if os.WriteFile(dst, b, 0o644) == nil {
		t.Logf("capture kept: %s", dst)
	}
}

func sizeMax(a, b int) int {
	if a > b {
		return a
	}
	return b
}

// tsharkFrames runs tshark -T fields on file with a display filter and
// returns the fields of each frame, every field split at ','.
func tsharkFrames(t *testing.T, file, filter string, fields ...string) map[int64][][]string {
	t.Helper()
	args := []string{"-r", file, "-n", "-Y", filter, "-T", "fields", "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=,", "-e", "frame.number"}
	for _, f := range fields {
		args = append(args, "-e", f)
	}
	out, err := exec.Command("tshark", args...).Output()
	if err != nil {
		t.Fatalf("tshark %v: %v", args, err)
	}
	m := map[int64][][]string{}
	// Trailing tabs are empty fields: trim only the newlines.
	for _, l := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		if l == "" {
			continue
		}
		cols := strings.Split(l, "\t")
		f, err := strconv.ParseInt(cols[0], 10, 64)
		if err != nil || len(cols) != len(fields)+1 {
			t.Fatalf("tshark line %q", l)
		}
		v := make([][]string, len(fields))
		for i, c := range cols[1:] {
			if c != "" {
				v[i] = strings.Split(c, ",")
			}
		}
		m[f] = v
	}
	return m
}

// compareTshark checks, frame by frame, that the endpoint-mapper bindings
// rpcwatch read from file equal tshark's decode of the same responses:
// IPv4 addresses, TCP and HTTP ports, named pipes (tshark files ncalrpc
// endpoint names there too); and that the 38-entry responses tshark
// reassembled from two fragments are among them.
func compareTshark(t *testing.T, file string, read []record) {
	t.Helper()
	names := []string{"ip", "tcp_port", "http_port", "named_pipe"}
	want := tsharkFrames(t, file, "epm && dcerpc.pkt_type == 2",
		"epm.proto.ip", "epm.proto.tcp_port", "epm.proto.http_port", "epm.proto.named_pipe", "epm.num_ents", "dcerpc.fragment.count")
	got := map[int64][][]string{}
	for _, r := range read {
		if r.Kind != "binding" || r.Source != "epm" {
			continue
		}
		v := got[r.Frame]
		if v == nil {
			v = make([][]string, len(names))
			got[r.Frame] = v
		}
		switch r.Protseq {
		case "ncacn_ip_tcp":
			v[0] = append(v[0], r.Address)
			v[1] = append(v[1], r.Endpoint)
		case "ncacn_http":
			v[0] = append(v[0], r.Address)
			v[2] = append(v[2], r.Endpoint)
		case "ncacn_np", "ncalrpc":
			v[3] = append(v[3], r.Endpoint)
		}
	}
	twoFrag := 0
	for f, w := range want {
		g := got[f]
		if g == nil {
			g = make([][]string, len(names))
		}
		for i, name := range names {
			ws, gs := slices.Clone(w[i]), slices.Clone(g[i])
			slices.Sort(ws)
			slices.Sort(gs)
			if !slices.Equal(ws, gs) {
				t.Errorf("frame %d %s: tshark %v, rpcwatch %v", f, name, ws, gs)
			}
		}
		if slices.Equal(w[4], []string{"38"}) && slices.Equal(w[5], []string{"2"}) {
			twoFrag++
		}
	}
	for f := range got {
		if _, ok := want[f]; !ok {
			t.Errorf("frame %d: rpcwatch read EPM bindings where tshark shows no EPM response", f)
		}
	}
	if twoFrag != len(servers) {
		t.Errorf("tshark shows %d 38-entry lookup responses reassembled from 2 fragments, want %d (one per impacket lookup)", twoFrag, len(servers))
	}
	t.Logf("tshark and rpcwatch read agree on %d EPM response frames (%d of them 38 entries in 2 fragments)", len(want), twoFrag)
}
