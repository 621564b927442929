package integration

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"text/template"
	"time"
)

const (
	dcerpcd  = "/usr/libexec/samba/samba-dcerpcd"
	python   = "/usr/bin/python3" // the python3 first on PATH may lack impacket
	loopback = "lo"
	// secondAddr makes Samba a multihomed server.
	secondAddr = "127.0.0.2"
	// captureFilter keeps the endpoint mapper, Samba's dynamic ports (both
	// ranges the tests use) and nothing else on lo: TCP only, so that other
	// tests replaying connectionless exchanges on lo at the same time do not
	// end up in these captures.
	captureFilter = "tcp and (port 135 or portrange 49152-65535 or portrange 50000-50100)"
)

// servers are the addresses samba-dcerpcd listens on and the clients query.
var servers = []string{"127.0.0.1", secondAddr, "::1"}

// moduleRoot walks up from the working directory to the directory holding
// go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	d, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			t.Fatal("go.mod not found above the working directory")
		}
		d = filepath.Dir(d)
	}
}

// missing lists the tools the tests need that are not installed.
func missing() []string {
	var m []string
	for _, p := range []string{dcerpcd, python} {
		if _, err := os.Stat(p); err != nil {
			m = append(m, p)
		}
	}
	for _, c := range []string{"rpcclient", "tcpdump", "tshark", "ip"} {
		if _, err := exec.LookPath(c); err != nil {
			m = append(m, c)
		}
	}
	if len(m) == 0 {
		if err := exec.Command(python, "-c", "import impacket.dcerpc.v5.epm").Run(); err != nil {
			m = append(m, "python3-impacket")
		}
	}
	return m
}

var installOnce sync.Once

// requireEnv skips the test unless it runs as root with everything
// installed; as root it first installs what is missing with
// .ci/install-deps (once per test binary).
func requireEnv(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("integration tests need root (live capture on lo, port 135, a second loopback address); skipped")
	}
	if m := missing(); len(m) > 0 {
		installOnce.Do(func() {
			script := filepath.Join(moduleRoot(t), ".ci", "install-deps")
			ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
			defer cancel()
			out, err := exec.CommandContext(ctx, "bash", script).CombinedOutput()
			t.Logf("%s (missing %v): %v\n%s", script, m, err, out)
		})
	}
	if m := missing(); len(m) > 0 {
		if os.Getenv("CI") == "true" {
			// As root CI can install everything: a skip here would pass
			// CI without the tests against real peers.
			t.Fatalf("CI: missing %v after .ci/install-deps", m)
		}
		t.Skipf("missing %v and could not install it (run .ci/install-deps as root); skipped", m)
	}
}

// addSecondAddr adds 127.0.0.2/8 to lo unless it is there, and removes it
// at cleanup only if it added it.
func addSecondAddr(t *testing.T) {
	t.Helper()
	out, err := exec.Command("ip", "-o", "addr", "show", "dev", loopback).Output()
	if err != nil {
		t.Skipf("ip addr show: %v", err)
	}
	if strings.Contains(string(out), " "+secondAddr+"/") {
		return
	}
	if out, err := exec.Command("ip", "addr", "add", secondAddr+"/8", "dev", loopback).CombinedOutput(); err != nil {
		t.Skipf("cannot add %s to %s: %v %s", secondAddr, loopback, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "addr", "del", secondAddr+"/8", "dev", loopback).CombinedOutput(); err != nil {
			t.Errorf("ip addr del %s: %v %s", secondAddr, err, out)
		}
	})
}

// buildRpcwatch builds cmd/rpcwatch into a temporary directory.
func buildRpcwatch(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "rpcwatch")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/rpcwatch")
	cmd.Dir = moduleRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/rpcwatch: %v\n%s", err, out)
	}
	return bin
}

// proc is a process a test started; stop signals it by PID and waits.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

func startProc(t *testing.T, name string, cmd *exec.Cmd) *proc {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	p := &proc{name: name, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() { p.stop(t, syscall.SIGTERM) })
	return p
}

// stop sends sig to the process (by its PID), waits up to 10 s, then kills
// it. Stopping twice is harmless.
func (p *proc) stop(t *testing.T, sig syscall.Signal) {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		t.Errorf("%s (pid %d) ignored %v for 10 s; killing it", p.name, p.cmd.Process.Pid, sig)
		p.cmd.Process.Kill()
		<-p.done
	}
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// samba is one samba-dcerpcd with its configuration in a temporary
// directory.
type samba struct {
	dir, conf string
	p         *proc
	starts    int
}

func newSamba(t *testing.T) *samba {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{"lock", "state", "cache", "private", "pid", "ncalrpc", "log", "bind"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	tmpl, err := template.ParseFiles(filepath.Join("testdata", "smb.conf.tmpl"))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := tmpl.Execute(&b, struct{ Dir string }{dir}); err != nil {
		t.Fatal(err)
	}
	s := &samba{dir: dir, conf: filepath.Join(dir, "smb.conf")}
	if err := os.WriteFile(s.conf, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return s
}

// start runs samba-dcerpcd in the foreground (so its PID is the one we
// started; its rpcd_* workers share its new process group) and waits until
// port 135 answers on every server address.
func (s *samba) start(t *testing.T, options ...string) {
	t.Helper()
	if l := listening(135); len(l) > 0 {
		t.Skipf("something already listens on port 135 (%v); skipped", l)
	}
	pidFile := filepath.Join(s.dir, "pid", "samba-dcerpcd.pid")
	os.Remove(pidFile)
	args := append([]string{"-F", "--no-process-group", "--libexec-rpcds", "-s", s.conf, "-d", "2", "--debug-stdout"}, options...)
	cmd := exec.Command(dcerpcd, args...)
	s.starts++
	logf, err := os.Create(filepath.Join(s.dir, "log", "dcerpcd."+strconv.Itoa(s.starts)+".out"))
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	s.p = startProc(t, "samba-dcerpcd", cmd)
	pgid := cmd.Process.Pid
	// Workers that outlive the daemon are in its process group; the group
	// is ours (created for the process we started).
	t.Cleanup(func() { syscall.Kill(-pgid, syscall.SIGTERM) })
	// Watch the kernel's socket tables rather than connecting: a probe
	// connection refused while the server is down would be a real
	// conn-refused for rpcwatch.
	deadline := time.Now().Add(20 * time.Second)
	for len(listening(135)) < len(servers) {
		if s.p.exited() {
			log, _ := os.ReadFile(logf.Name())
			t.Fatalf("samba-dcerpcd exited: %v\n%s", s.p.err, log)
		}
		if time.Now().After(deadline) {
			t.Fatalf("port 135 not listening on all of %v 20 s after starting samba-dcerpcd: %v", servers, listening(135))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if b, err := os.ReadFile(pidFile); err != nil || strings.TrimSpace(string(b)) != strconv.Itoa(cmd.Process.Pid) {
		t.Errorf("pid file %s says %q (%v), we started %d", pidFile, b, err, cmd.Process.Pid)
	}
}

// stop stops the samba-dcerpcd we started, by PID, and waits until port 135
// is free again.
func (s *samba) stop(t *testing.T) {
	t.Helper()
	pgid := s.p.cmd.Process.Pid
	s.p.stop(t, syscall.SIGTERM)
	syscall.Kill(-pgid, syscall.SIGTERM)
	deadline := time.Now().Add(10 * time.Second)
	for len(listening(135)) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("port 135 still listening 10 s after samba-dcerpcd stopped: %v", listening(135))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// listening returns the local addresses (hex, as /proc/net/tcp{,6} shows
// them) of TCP sockets listening on port.
func listening(port int) []string {
	var l []string
	suffix := ":" + strings.ToUpper(strconv.FormatInt(int64(port)|0x10000, 16)[1:])
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			c := strings.Fields(line)
			if len(c) > 3 && c[3] == "0A" && strings.HasSuffix(c[1], suffix) {
				l = append(l, c[1])
			}
		}
	}
	return l
}

// run runs a client to completion (30 s at most) and returns its standard
// output; it fails the test if the client fails.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	t.Logf("%s %s: %v, %d bytes out, %s", filepath.Base(name), strings.Join(args, " "), err, stdout.Len(), time.Since(start).Round(time.Millisecond))
	if err != nil {
		t.Fatalf("%s %v: %v\nstdout:\n%s\nstderr:\n%s", name, args, err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// rpcclient runs rpcclient against the mapper at host with command c.
func (s *samba) rpcclient(t *testing.T, host, c string) string {
	t.Helper()
	return run(t, "rpcclient", "-s", s.conf, "-U%", "-N", "ncacn_ip_tcp:"+host+"[135]", "-c", c)
}

// epmclient runs testdata/epmclient.py (impacket).
func epmclient(t *testing.T, args ...string) string {
	t.Helper()
	return run(t, python, append([]string{filepath.Join("testdata", "epmclient.py")}, args...)...)
}

// tcpdump writes everything matching captureFilter on lo to file.
type tcpdump struct {
	p      *proc
	file   string
	stderr *lockedBuffer
}

func startTcpdump(t *testing.T, file string) *tcpdump {
	t.Helper()
	d := &tcpdump{file: file, stderr: &lockedBuffer{}}
	// -B: in immediate mode libpcap's default 2 MiB ring holds about 31
	// loopback-sized frames, and tcpdump, starved of CPU by the servers and
	// clients on a two-CPU machine, dropped 27 and 82 packets of TestRestart
	// in one CI run; 64 MiB holds more than a whole test's traffic.
	cmd := exec.Command("tcpdump", "-i", loopback, "-s", "0", "-B", "65536", "-U", "--immediate-mode", "-n", "-w", file, captureFilter)
	cmd.Stderr = d.stderr
	d.p = startProc(t, "tcpdump", cmd)
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(d.stderr.String(), "listening on") {
		if d.p.exited() || time.Now().After(deadline) {
			t.Fatalf("tcpdump did not start: %v\n%s", d.p.err, d.stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	return d
}

// stop ends the capture with SIGINT and returns tcpdump's counters line.
// A capture that lost packets cannot serve as the reference the tests
// compare with, so drops end the test with that reason.
func (d *tcpdump) stop(t *testing.T) string {
	t.Helper()
	d.p.stop(t, syscall.SIGINT)
	counters := d.stderr.String()
	switch n := tcpdumpDropped(counters); {
	case n < 0:
		t.Fatalf("tcpdump printed no drop counter, so its capture may be incomplete: %s", counters)
	case n > 0:
		t.Fatalf("tcpdump's capture is incomplete, the kernel dropped %d packets: %s", n, counters)
	}
	return counters
}

// tcpdumpDropped reads "N packets dropped by kernel" from tcpdump's
// counters; -1 when the line is missing.
func tcpdumpDropped(counters string) int {
	for _, line := range strings.Split(counters, "\n") {
		if n, ok := strings.CutSuffix(strings.TrimSpace(line), " packets dropped by kernel"); ok {
			if v, err := strconv.Atoi(n); err == nil {
				return v
			}
		}
	}
	return -1
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// record is one JSON line of rpcwatch --json: a binding, a finding or the
// stats.
type record struct {
	Kind      string `json:"kind"`
	Frame     int64  `json:"frame"`
	Server    string `json:"server"`
	Interface string `json:"interface"`
	Name      string `json:"interface_name"`
	Version   string `json:"version"`
	Protseq   string `json:"protseq"`
	Address   string `json:"address"`
	Endpoint  string `json:"endpoint"`
	Binding   string `json:"binding"`
	Source    string `json:"source"`
	// findings
	Rule         string  `json:"rule"`
	Frames       []int64 `json:"frames"`
	Detail       string  `json:"detail"`
	Previous     string  `json:"previous"`
	Cause        string  `json:"cause"`
	FailureFrame int64   `json:"failure_frame"`
	MovedTo      string  `json:"moved_to"`
	StatusName   string  `json:"status_name"`
	// stats
	Packets        uint64            `json:"packets"`
	FindingsByRule map[string]uint64 `json:"findings_by_rule"`
	KernelDropped  *uint64           `json:"kernel_dropped"`
}

func parseRecords(t *testing.T, out string) []record {
	t.Helper()
	var rs []record
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if l == "" {
			continue
		}
		var r record
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("rpcwatch line %q: %v", l, err)
		}
		rs = append(rs, r)
	}
	return rs
}

// watcher is "rpcwatch live -i lo --json" running beside the test.
type watcher struct {
	p        *proc
	mu       sync.Mutex
	lines    []string
	bindings int
	stderr   *lockedBuffer
	copied   chan struct{}
}

func startWatcher(t *testing.T, bin string) *watcher {
	t.Helper()
	w := &watcher{stderr: &lockedBuffer{}, copied: make(chan struct{})}
	cmd := exec.Command(bin, "live", "-i", loopback, "--json", "--quiet", captureFilter)
	cmd.Stderr = w.stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	w.p = startProc(t, "rpcwatch live", cmd)
	go w.copy(out)
	return w
}

func (w *watcher) copy(r io.Reader) {
	defer close(w.copied)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		w.mu.Lock()
		w.lines = append(w.lines, sc.Text())
		if strings.HasPrefix(sc.Text(), `{"kind":"binding"`) {
			w.bindings++
		}
		w.mu.Unlock()
	}
}

func (w *watcher) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.bindings
}

// sync makes a small real query (rpcclient epmmap samr over TCP on
// 127.0.0.1) until rpcwatch prints a binding from it: at the start it
// shows the capture is running (a live capture has no ready signal), at the
// end that rpcwatch has read everything sent before. It returns what
// rpcclient printed.
func (w *watcher) sync(t *testing.T, s *samba) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		before := w.count()
		out := s.rpcclient(t, "127.0.0.1", "epmmap samr ncacn_ip_tcp")
		for end := time.Now().Add(time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
			if w.count() > before {
				return out
			}
		}
		if w.p.exited() || time.Now().After(deadline) {
			t.Fatalf("rpcwatch live reports no binding for rpcclient's queries (exited %v: %v)\nstderr: %s", w.p.exited(), w.p.err, w.stderr.String())
		}
	}
}

// stop ends rpcwatch with SIGINT and returns its records; the last is the
// stats line.
func (w *watcher) stop(t *testing.T) []record {
	t.Helper()
	w.p.stop(t, syscall.SIGINT)
	<-w.copied
	var ee *exec.ExitError
	if w.p.err != nil && !errors.As(w.p.err, &ee) {
		t.Fatalf("rpcwatch live: %v\n%s", w.p.err, w.stderr.String())
	}
	if w.p.err != nil {
		t.Errorf("rpcwatch live exited %v; stderr:\n%s", w.p.err, w.stderr.String())
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	rs := parseRecords(t, strings.Join(w.lines, "\n"))
	if len(rs) == 0 || rs[len(rs)-1].Kind != "stats" {
		t.Fatalf("rpcwatch live output does not end with stats:\n%s", strings.Join(w.lines, "\n"))
	}
	if d := rs[len(rs)-1].KernelDropped; d == nil || *d != 0 {
		t.Fatalf("rpcwatch live: kernel drop counter %v, want 0 (what it saw is incomplete)", d)
	}
	return rs
}

// readFile runs "rpcwatch read --json file".
func readFile(t *testing.T, bin, file string) []record {
	t.Helper()
	return parseRecords(t, run(t, bin, "read", "--json", "--quiet", file))
}

func TestTcpdumpDropped(t *testing.T) {
	for in, want := range map[string]int{
		"tcpdump: listening on lo, link-type EN10MB (Ethernet), snapshot length 262144 bytes\n338 packets captured\n758 packets received by filter\n82 packets dropped by kernel\n": 82,
		"493 packets captured\n986 packets received by filter\n0 packets dropped by kernel":                                                                                         0,
		"tcpdump: listening on lo\n":    -1,
		"x packets dropped by kernel\n": -1,
	} {
		if got := tcpdumpDropped(in); got != want {
			t.Errorf("tcpdumpDropped(%q) = %d, want %d", in, got, want)
		}
	}
}
