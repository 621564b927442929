package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// repoTestdata is the repository's testdata folder, relative to this package.
const repoTestdata = "../../testdata"

func init() {
	// Stable processing times in golden outputs.
	clock = func() time.Time { return time.Unix(0, 0) }
}

// runCmd runs the command in process.
func runCmd(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return o.String(), e.String(), code
}

func capturePath(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join(repoTestdata, name)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("%s not found: %v", p, err)
	}
	return p
}

var goldenCaptures = []string{
	"demo.pcap",
	"kb224460-dcom-fused.pcap",
	"kb224460-cl-epm-fused-floor.pcap",
	"kb216558-restart-stale.pcap",
	"samba-epm-loopback.pcap",
	"samba-stale-binding-restart.pcap",
	"SYNTHETIC-udp-epm-lookup-corrupt-floor.pcap",
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it)\n got:\n%s\nwant:\n%s", p, got, want)
	}
}

// TestGolden runs read (text -v --inventory, and --json) and inventory on
// every bundled capture and compares the output with testdata/*.golden.
func TestGolden(t *testing.T) {
	for _, c := range goldenCaptures {
		t.Run(c, func(t *testing.T) {
			p := capturePath(t, c)
			base := strings.TrimSuffix(c, ".pcap")
			for _, v := range []struct {
				suffix string
				args   []string
			}{
				{".txt", []string{"read", "--inventory", p}},
				{".v.txt", []string{"read", "-v", p}},
				{".jsonl", []string{"read", "--json", "--inventory", p}},
				{".inventory.txt", []string{"inventory", p}},
			} {
				out, errOut, code := runCmd(t, v.args...)
				if code != exitOK || errOut != "" {
					t.Fatalf("%v: exit %d, stderr %q", v.args, code, errOut)
				}
				checkGolden(t, base+v.suffix, out)
			}
		})
	}
}

// TestDemoShowsBothFaults checks what make demo promises.
func TestDemoShowsBothFaults(t *testing.T) {
	out, _, code := runCmd(t, "read", capturePath(t, "demo.pcap"))
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{
		"fused-address", "ncadg_ip_udp:157.61.239.61157.61.239.5[1039]",
		"endpoint-moved", "stale-binding",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
}

// TestJSONSchema checks every JSON line of the demo against the contract:
// kinds, 1-based frames, RFC 3339 times with nanoseconds, stats last.
func TestJSONSchema(t *testing.T) {
	out, _, code := runCmd(t, "read", "--json", "--inventory", capturePath(t, "demo.pcap"))
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	kinds := map[string]int{}
	for i, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %d: %v: %s", i+1, err, l)
		}
		k, _ := m["kind"].(string)
		kinds[k]++
		if k == "stats" && i != len(lines)-1 {
			t.Errorf("stats on line %d of %d", i+1, len(lines))
		}
		switch k {
		case "binding", "finding":
			if f, _ := m["frame"].(float64); f < 1 {
				t.Errorf("line %d: frame %v", i+1, m["frame"])
			}
			ts, _ := m["time"].(string)
			if _, err := time.Parse(time.RFC3339Nano, ts); err != nil || len(ts) != len("2006-01-02T15:04:05.000000000Z") {
				t.Errorf("line %d: time %q", i+1, ts)
			}
			for _, key := range requiredKeys[k] {
				if _, ok := m[key]; !ok {
					t.Errorf("line %d: %s lacks %q: %s", i+1, k, key, l)
				}
			}
		}
		if k == "binding" {
			src := m["source"].(string)
			if src != "epm" && src != "oxid" && src != "activation" && src != "traffic" {
				t.Errorf("line %d: source %q", i+1, src)
			}
		}
	}
	for _, k := range []string{"binding", "finding", "server", "stats"} {
		if kinds[k] == 0 {
			t.Errorf("no %s objects", k)
		}
	}
	if !strings.Contains(out, `"address":"157.61.239.61157.61.239.5"`) {
		t.Error("the fused address is not reported exactly as on the wire")
	}
}

var requiredKeys = map[string][]string{
	"binding": {"frame", "time", "server", "client", "interface", "interface_name", "version", "protseq", "address", "endpoint", "binding", "source"},
	"finding": {"rule", "severity", "frame", "frames", "time", "server", "detail"},
}

// TestFailOn checks exit code 3 and its threshold.
func TestFailOn(t *testing.T) {
	kb := capturePath(t, "kb216558-restart-stale.pcap")
	clean := capturePath(t, "samba-epm-loopback.pcap")
	for _, c := range []struct {
		args []string
		code int
	}{
		{[]string{"read", "--fail-on", "high", kb}, exitFinding},
		{[]string{"read", "--fail-on", "info", clean}, exitOK},
		{[]string{"read", "--fail-on=medium", capturePath(t, "SYNTHETIC-udp-epm-lookup-corrupt-floor.pcap")}, exitFinding},
		{[]string{"read", "--fail-on", "high", capturePath(t, "SYNTHETIC-udp-epm-lookup-corrupt-floor.pcap")}, exitOK},
		{[]string{"read", clean, "--fail-on", "low", kb}, exitFinding}, // flags after files
	} {
		_, _, code := runCmd(t, c.args...)
		if code != c.code {
			t.Errorf("%v: exit %d, want %d", c.args, code, c.code)
		}
	}
}

// TestUsage checks usage errors (exit 2) and help (exit 0, on stdout).
func TestUsage(t *testing.T) {
	for _, c := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{nil, exitUsage, "usage: rpcwatch"},
		{[]string{"frobnicate"}, exitUsage, `unknown command "frobnicate"`},
		{[]string{"read"}, exitUsage, "no capture file given"},
		{[]string{"inventory"}, exitUsage, "no capture file given"},
		{[]string{"read", "--bogus", "x.pcap"}, exitUsage, "flag provided but not defined: -bogus"},
		{[]string{"read", "--fail-on", "severe", "x.pcap"}, exitUsage, "want info, low, medium or high"},
		{[]string{"live"}, exitUsage, "no interface given"},
		{[]string{"live", "-i", "lo", "-c", "-1"}, exitUsage, "must not be negative"},
		{[]string{"version", "extra"}, exitUsage, "usage: rpcwatch version"},
		{[]string{"-h"}, exitOK, ""},
		{[]string{"read", "-h"}, exitOK, ""},
		{[]string{"live", "--help"}, exitOK, ""},
		{[]string{"inventory", "-h"}, exitOK, ""},
		{[]string{"version"}, exitOK, ""},
	} {
		out, errOut, code := runCmd(t, c.args...)
		if code != c.code {
			t.Errorf("%v: exit %d, want %d (stderr %q)", c.args, code, c.code, errOut)
		}
		if !strings.Contains(errOut, c.stderr) {
			t.Errorf("%v: stderr %q lacks %q", c.args, errOut, c.stderr)
		}
		if c.code == exitOK && (out == "" || errOut != "") {
			t.Errorf("%v: want output on stdout only, got stdout %q stderr %q", c.args, out, errOut)
		}
		if c.code == exitOK && len(c.args) > 0 && c.args[0] != "version" && !strings.Contains(out, "xample") && c.args[0] != "-h" {
			t.Errorf("%v: help without examples", c.args)
		}
	}
}

// pcapHeader builds a classic pcap file header for link type lt.
func pcapHeader(lt uint32) []byte {
	h := make([]byte, 24)
	binary.LittleEndian.PutUint32(h[0:], 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(h[4:], 2)
	binary.LittleEndian.PutUint16(h[6:], 4)
	binary.LittleEndian.PutUint32(h[16:], 65535)
	binary.LittleEndian.PutUint32(h[20:], lt)
	return h
}

// TestBadInput checks one clear line per bad input, the exit code, that
// the other files are still analysed, and that a truncated capture keeps
// what was decoded before the cut.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	demo, err := os.ReadFile(capturePath(t, "demo.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	// Cut inside the record of frame 100: 24-byte header, then records.
	cut := 24
	for n := 1; n < 100; n++ {
		cut += 16 + int(binary.LittleEndian.Uint32(demo[cut+8:]))
	}
	truncated := filepath.Join(dir, "truncated.pcap")
	write := func(p string, b []byte) {
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(truncated, demo[:cut+20])
	text := filepath.Join(dir, "notes.txt")
	write(text, []byte("these are not packets\n"))
	empty := filepath.Join(dir, "empty.pcap")
	write(empty, nil)
	zip := filepath.Join(dir, "x.zip")
	write(zip, []byte("PK\x03\x04rest of a zip archive"))
	user0 := filepath.Join(dir, "user0.pcap")
	write(user0, pcapHeader(147))
	missing := filepath.Join(dir, "missing.pcap")

	for _, c := range []struct {
		file string
		want string
	}{
		{missing, "missing.pcap: no such file or directory"},
		{text, "notes.txt: not a pcap or pcapng capture (found text)"},
		{empty, "empty.pcap: not a pcap or pcapng capture"},
		{zip, "x.zip: not a pcap or pcapng capture (found a zip archive"},
		{user0, "user0.pcap: unsupported link type 147 (USER0)"},
		{dir, "not a pcap or pcapng capture (found a directory)"},
		{truncated, "truncated.pcap: capture is truncated: it ends inside frame 100 (the 99 complete frames before it were analysed)"},
	} {
		t.Run(filepath.Base(c.file), func(t *testing.T) {
			out, errOut, code := runCmd(t, "read", c.file, capturePath(t, "kb224460-cl-epm-fused-floor.pcap"))
			if code != exitError {
				t.Errorf("exit %d, want %d", code, exitError)
			}
			lines := strings.Split(strings.TrimSuffix(errOut, "\n"), "\n")
			if len(lines) != 1 || !strings.HasPrefix(lines[0], "rpcwatch: ") || !strings.Contains(lines[0], c.want) {
				t.Errorf("stderr %q, want one line with %q", errOut, c.want)
			}
			if strings.Contains(errOut, "goroutine") || strings.Contains(errOut, "panic") {
				t.Errorf("stack trace: %s", errOut)
			}
			if !strings.Contains(out, "-- ../../testdata/kb224460-cl-epm-fused-floor.pcap") {
				t.Errorf("the next file was not analysed:\n%s", out)
			}
		})
	}

	// What came before the cut is kept and printed: the demo's findings up
	// to frame 99 and a summary of 99 packets.
	out, _, _ := runCmd(t, "read", truncated)
	if !strings.Contains(out, "fused-address") || !strings.Contains(out, "stale-binding") {
		t.Errorf("findings before the cut are missing:\n%s", out)
	}
	if !strings.Contains(out, "packets   99 ") {
		t.Errorf("summary does not count the 99 complete frames:\n%s", out)
	}
	out, _, _ = runCmd(t, "read", "--json", truncated)
	if !strings.Contains(out, `"kind":"stats"`) || !strings.Contains(out, `"packets":99,`) {
		t.Errorf("JSON stats missing or wrong for the truncated capture:\n%s", out)
	}

	// -w into a directory that does not exist.
	_, errOut, code := runCmd(t, "read", "-w", filepath.Join(dir, "no", "such", "dir.pcap"), truncated)
	if code != exitError || !strings.Contains(errOut, "no such file or directory") {
		t.Errorf("-w to a missing directory: exit %d, stderr %q", code, errOut)
	}
}

// TestLiveBadInterface checks the nonexistent-interface line (needs
// permission to ask libpcap; without it, the permission line).
func TestLiveBadInterface(t *testing.T) {
	_, errOut, code := runCmd(t, "live", "-i", "nosuchif0", "-c", "1")
	if code != exitError {
		t.Fatalf("exit %d, want %d (stderr %q)", code, exitError, errOut)
	}
	lines := strings.Split(strings.TrimSuffix(errOut, "\n"), "\n")
	if len(lines) != 1 {
		t.Fatalf("want one line, got %q", errOut)
	}
	if !strings.Contains(errOut, `interface "nosuchif0" does not exist`) && !strings.Contains(errOut, "no permission to capture") {
		t.Errorf("stderr %q", errOut)
	}
	t.Log(errOut)
}
