package integration

import (
	"bufio"
	"context"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// tcpPorts returns interface -> ncacn_ip_tcp binding from rpcclient's
// epmlookup on 127.0.0.1.
func tcpPorts(t *testing.T, s *samba) map[string]string {
	t.Helper()
	m := map[string]string{}
	for k := range parseRpcclient(t, s.rpcclient(t, "127.0.0.1", "epmlookup")) {
		if strings.HasPrefix(k.Binding, "ncacn_ip_tcp:") && !strings.HasSuffix(k.Binding, "[135]") {
			m[k.Iface] = k.Binding
		}
	}
	return m
}

const samrIface = "12345778-1234-abcd-ef00-0123456789ac"

// TestRestart restarts samba-dcerpcd while an impacket client
// (testdata/epmclient.py stale) holds bindings and a samr handle from
// before, and checks what rpcwatch reports and what the wire shows.
//
//   - shuffle: a plain restart; Samba deals its three dynamic ports to the
//     helper groups in the order they answer, so samr usually lands on
//     another port and its old port serves another group (the test restarts
//     until samr moved, at most 8 times).
//   - range: the restart moves the dynamic port range to 50000-50100; the
//     old ports have no listener.
func TestRestart(t *testing.T) {
	requireEnv(t)
	bin := buildRpcwatch(t)
	addSecondAddr(t)
	for _, mode := range []string{"shuffle", "range"} {
		t.Run(mode, func(t *testing.T) { testRestart(t, bin, mode) })
	}
}

func testRestart(t *testing.T, bin, mode string) {
	start := time.Now()
	s := newSamba(t)
	s.start(t)
	dir := t.TempDir()
	pcap := filepath.Join(dir, mode+".pcap")
	flag := filepath.Join(dir, "restarted")
	dump := startTcpdump(t, pcap)
	w := startWatcher(t, bin)
	w.sync(t, s)

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, filepath.Join("testdata", "epmclient.py"), "stale", "127.0.0.1", flag)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	client := startProc(t, "epmclient.py stale", cmd)
	lines := make(chan string, 64)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	var out []string
	next := func() (impacketLine, bool) {
		select {
		case l, ok := <-lines:
			if !ok {
				return impacketLine{}, false
			}
			out = append(out, l)
			return parseImpacket(t, l)[0], true
		case <-time.After(60 * time.Second):
			t.Fatalf("epmclient.py stale: no output for 60 s; so far:\n%s\nstderr: %s", strings.Join(out, "\n"), stderr.String())
			return impacketLine{}, false
		}
	}
	var old map[string]string
	for {
		l, ok := next()
		if !ok {
			t.Fatalf("epmclient.py stale ended before the restart: %v\n%s\nstderr: %s", client.err, strings.Join(out, "\n"), stderr.String())
		}
		if l.Kind == "old" {
			old = l.Bindings
		}
		if l.Kind == "waiting" {
			break
		}
	}
	before := tcpPorts(t, s)
	if before[samrIface] != old["samr"] {
		t.Fatalf("rpcclient maps samr to %s, impacket's hept_map to %s", before[samrIface], old["samr"])
	}

	var after map[string]string
	restarts := 0
	for {
		s.stop(t)
		restarts++
		if mode == "range" {
			s.start(t, "--option=rpc server dynamic port range=50000-50100")
		} else {
			s.start(t)
		}
		after = tcpPorts(t, s) // an EPM answer after the restart: the move
		if after[samrIface] != before[samrIface] {
			break
		}
		if mode == "range" || restarts == 8 {
			os.WriteFile(flag, nil, 0o644)
			t.Skipf("%s: samr stayed at %s after %d restarts; nothing moved", mode, after[samrIface], restarts)
		}
	}
	t.Logf("%s: %d restart(s); before %v; after %v", mode, restarts, before, after)
	if err := os.WriteFile(flag, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	steps := map[string][]string{}
	for {
		l, ok := next()
		if !ok {
			break
		}
		if l.Kind == "step" {
			steps[l.Step] = append(steps[l.Step], l.Name+" "+l.Result)
		}
	}
	<-client.done
	if client.err != nil {
		t.Fatalf("epmclient.py stale: %v\n%s\nstderr: %s", client.err, strings.Join(out, "\n"), stderr.String())
	}
	t.Logf("client:\n%s", strings.Join(out, "\n"))
	w.sync(t, s)
	live := w.stop(t)
	counters := dump.stop(t)
	t.Logf("%s: run %s; tcpdump: %s", mode, time.Since(start).Round(time.Millisecond), strings.TrimSpace(counters))

	// What the client met.
	if a := strings.Join(steps["a"], ""); !strings.Contains(a, "ConnectionResetError") {
		t.Errorf("(a) old connection: %q, want the server's reset", a)
	}
	for _, b := range steps["b"] {
		if !strings.HasPrefix(b, "samr ") {
			continue
		}
		if mode == "range" && !strings.Contains(b, "Connection refused") {
			t.Errorf("(b) %s: want connection refused on the old port", b)
		}
		if mode == "shuffle" && !strings.Contains(b, "abstract_syntax_not_supported") {
			t.Errorf("(b) %s: want the bind rejected (abstract syntax not supported) on the old port", b)
		}
	}
	if d := strings.Join(steps["d"], ""); !strings.Contains(d, "context_mismatch") {
		t.Errorf("(d) old handle on the new endpoint: %q, want nca_s_fault_context_mismatch", d)
	}

	// What rpcwatch reported live.
	checkRestartFindings(t, "live", live, before[samrIface], after[samrIface], mode)

	// The same from tcpdump's capture, whose frame numbers tshark shares:
	// the frames the findings name show the evidence.
	read := readFile(t, bin, pcap)
	checkRestartFindings(t, "read", read, before[samrIface], after[samrIface], mode)
	checkEvidence(t, pcap, read, mode)
}

// checkRestartFindings wants endpoint-moved for samr from the old binding to
// the new one, stale-binding for the old samr binding, and stale-binding
// with fault nca_s_fault_context_mismatch on the new one; and no
// fused-address or malformed-* finding.
func checkRestartFindings(t *testing.T, what string, rs []record, oldB, newB, mode string) {
	t.Helper()
	moved, staleOld, fault := false, false, false
	var summary []string
	for _, r := range rs {
		if r.Kind != "finding" {
			continue
		}
		summary = append(summary, r.Rule+" "+r.Name+" "+r.Binding+" "+r.Cause+" "+r.StatusName)
		switch r.Rule {
		case "endpoint-moved":
			if r.Interface == samrIface && r.Previous == oldB && r.Binding == newB {
				moved = true
			}
		case "stale-binding":
			if r.Interface == samrIface && r.Binding == oldB {
				staleOld = true
			}
			if r.Cause == "fault" && r.StatusName == "nca_s_fault_context_mismatch" && r.Binding == newB {
				fault = true
			}
		case "fused-address":
			t.Errorf("%s: fused-address finding: %s", what, r.Detail)
		default:
			if strings.HasPrefix(r.Rule, "malformed-") {
				t.Errorf("%s: %s finding: %s", what, r.Rule, r.Detail)
			}
		}
	}
	if !moved {
		t.Errorf("%s %s: no endpoint-moved for samr %s -> %s", what, mode, oldB, newB)
	}
	if !staleOld {
		t.Errorf("%s %s: no stale-binding for samr at %s", what, mode, oldB)
	}
	if !fault {
		t.Errorf("%s %s: no stale-binding with fault nca_s_fault_context_mismatch at %s", what, mode, newB)
	}
	t.Logf("%s findings:\n%s", what, strings.Join(summary, "\n"))
}

// wireFrame is one TCP frame as tshark decodes it.
type wireFrame struct {
	stream          string
	fromServer      bool // sent from the port the connection's SYN went to
	syn, fin, rst   bool
	ackResult, stat []string
	pktType         []string
}

// checkEvidence looks up, in tshark's decode of the capture, the frames the
// stale-binding findings of rpcwatch read name as their failure, and
// classifies what the wire shows around each on its TCP connection:
//
//   - fin-then-rst: the server sent FIN (at its stop) before the failure
//     frame and RST after it (the request on the old connection);
//   - bind-rejected: a bind_ack with result provider rejection (2) follows
//     on the connection (shuffle: a new connection to the old port);
//   - syn-rst: the failure is an RST answering the connection's SYN (range:
//     nothing listens on the old port);
//   - fault-context-mismatch: the failure frame is a fault with status
//     0x1c00001a.
func checkEvidence(t *testing.T, pcap string, read []record, mode string) {
	t.Helper()
	fr := tsharkFrames(t, pcap, "tcp", "tcp.stream", "tcp.srcport", "tcp.dstport", "tcp.flags.syn", "tcp.flags.ack",
		"tcp.flags.fin", "tcp.flags.reset", "dcerpc.pkt_type", "dcerpc.cn_ack_result", "dcerpc.cn_status")
	one := func(v []string) string {
		if len(v) == 0 {
			return ""
		}
		return v[0]
	}
	numbers := slices.Sorted(maps.Keys(fr))
	// A connection's server port is where its SYN went (every connection
	// starts after tcpdump does).
	serverPort := map[string]string{}
	conns := map[string][]int64{}
	frames := map[int64]wireFrame{}
	for _, f := range numbers {
		v := fr[f]
		stream := one(v[0])
		syn, ack := one(v[3]) == "1", one(v[4]) == "1"
		if syn && !ack {
			if _, ok := serverPort[stream]; !ok {
				serverPort[stream] = one(v[2])
			}
		}
		conns[stream] = append(conns[stream], f)
		frames[f] = wireFrame{stream: stream, syn: syn, fin: one(v[5]) == "1", rst: one(v[6]) == "1",
			fromServer: serverPort[stream] != "" && one(v[1]) == serverPort[stream],
			pktType:    v[7], ackResult: v[8], stat: v[9]}
	}
	seen := map[string]bool{}
	for _, r := range read {
		if r.Kind != "finding" || r.Rule != "stale-binding" {
			continue
		}
		f := r.FailureFrame
		if f == 0 {
			f = r.Frame
		}
		w, ok := frames[f]
		if !ok {
			t.Errorf("stale-binding at frame %d: tshark shows no TCP frame %d", r.Frame, f)
			continue
		}
		c := conns[w.stream]
		var kinds []string
		finBefore, rstAfter, rejected := false, false, false
		for _, g := range c {
			x := frames[g]
			if g < f && x.fin && x.fromServer {
				finBefore = true
			}
			if g > f && x.rst && x.fromServer {
				rstAfter = true
			}
			if g >= f && contains(x.pktType, "12") && contains(x.ackResult, "2") {
				rejected = true
			}
		}
		if finBefore && rstAfter {
			kinds = append(kinds, "fin-then-rst")
		}
		if rejected {
			kinds = append(kinds, "bind-rejected")
		}
		if w.rst && w.fromServer && len(c) == 2 && frames[c[0]].syn {
			kinds = append(kinds, "syn-rst")
		}
		if contains(w.pktType, "3") && contains(w.stat, "0x1c00001a") {
			kinds = append(kinds, "fault-context-mismatch")
		}
		for _, k := range kinds {
			seen[k] = true
		}
		t.Logf("stale-binding %s %s cause %s, failure frame %d: wire shows %v", r.Name, r.Binding, r.Cause, f, kinds)
	}
	want := []string{"fin-then-rst", "fault-context-mismatch", "bind-rejected"}
	if mode == "range" {
		want[2] = "syn-rst"
	}
	for _, k := range want {
		if !seen[k] {
			t.Errorf("%s: no stale-binding finding whose failure frame shows %s on the wire", mode, k)
		}
	}
}

func contains(v []string, s string) bool {
	for _, x := range v {
		if x == s {
			return true
		}
	}
	return false
}
