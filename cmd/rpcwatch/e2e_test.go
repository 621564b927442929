package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/rpcwatch/rpcwatch/capture/source"
)

// buildBinary builds rpcwatch into a temporary directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	bin := filepath.Join(t.TempDir(), "rpcwatch")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

// evidenceFrames returns the frames the findings in a JSON output name
// (their frame and evidence frames), sorted.
func evidenceFrames(t *testing.T, jsonl string) []int64 {
	t.Helper()
	set := map[int64]bool{}
	for _, l := range strings.Split(strings.TrimSpace(jsonl), "\n") {
		var f struct {
			Kind   string  `json:"kind"`
			Frame  int64   `json:"frame"`
			Frames []int64 `json:"frames"`
		}
		if err := json.Unmarshal([]byte(l), &f); err != nil {
			t.Fatal(err)
		}
		if f.Kind != "finding" {
			continue
		}
		set[f.Frame] = true
		for _, n := range f.Frames {
			set[n] = true
		}
	}
	var out []int64
	for n := range set {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// countFrames reads a capture back with rpcwatch's own source.
func countFrames(t *testing.T, path string) int {
	t.Helper()
	src, err := source.Open(path)
	if err != nil {
		t.Fatalf("evidence pcap does not open: %v", err)
	}
	defer src.Close()
	n := 0
	for {
		_, _, err := src.Next()
		if errors.Is(err, io.EOF) {
			return n
		}
		if err != nil {
			t.Fatalf("evidence pcap frame %d: %v", n+1, err)
		}
		n++
	}
}

// TestBinary builds rpcwatch and runs it as users do: text, -w (the
// evidence pcap reads back with one packet per evidence frame, with
// rpcwatch's reader and tshark's), standard input, --fail-on and a bad file.
func TestBinary(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	for _, c := range []string{"demo.pcap", "kb216558-restart-stale.pcap", "samba-stale-binding-restart.pcap", "kb224460-cl-epm-fused-floor.pcap"} {
		t.Run(c, func(t *testing.T) {
			p := capturePath(t, c)
			js, err := exec.Command(bin, "read", "--json", p).Output()
			if err != nil {
				t.Fatal(err)
			}
			want := evidenceFrames(t, string(js))
			if len(want) == 0 {
				t.Fatal("no findings")
			}
			ev := filepath.Join(dir, c+".evidence.pcap")
			var stdout, stderr bytes.Buffer
			cmd := exec.Command(bin, "read", "-w", ev, "--fail-on", "low", p)
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if code := exitCode(cmd.Run()); code != exitFinding {
				t.Errorf("--fail-on low: exit %d, want %d (stderr %q)", code, exitFinding, stderr.String())
			}
			if got := countFrames(t, ev); got != len(want) {
				t.Errorf("evidence pcap has %d packets, want %d (frames %v)", got, len(want), want)
			}
			if !strings.Contains(stdout.String(), "evidence  ") {
				t.Errorf("summary does not report the evidence:\n%s", stdout.String())
			}
			if tshark, err := exec.LookPath("tshark"); err == nil {
				out, err := exec.Command(tshark, "-r", ev, "-T", "fields", "-e", "frame.number").Output()
				if err != nil {
					t.Fatalf("tshark -r %s: %v", ev, err)
				}
				if n := len(strings.Fields(string(out))); n != len(want) {
					t.Errorf("tshark reads %d packets from the evidence pcap, want %d", n, len(want))
				}
			} else {
				t.Log("tshark not installed: evidence checked with rpcwatch's reader only")
			}

			// Standard input: the same evidence through the ring.
			in, err := os.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer in.Close()
			ev2 := filepath.Join(dir, c+".stdin.pcap")
			cmd = exec.Command(bin, "read", "-w", ev2, "-")
			cmd.Stdin = in
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("read -: %v\n%s", err, out)
			}
			if got := countFrames(t, ev2); got != len(want) {
				t.Errorf("evidence pcap from stdin has %d packets, want %d", got, len(want))
			}
		})
	}

	// A bad file among good ones: exit 1, one line, the good one analysed.
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, "read", filepath.Join(dir, "missing.pcap"), capturePath(t, "demo.pcap"))
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if code := exitCode(cmd.Run()); code != exitError {
		t.Errorf("missing file: exit %d, want %d", code, exitError)
	}
	if strings.Count(stderr.String(), "\n") != 1 || !strings.Contains(stdout.String(), "fused-address") {
		t.Errorf("stderr %q; stdout:\n%s", stderr.String(), stdout.String())
	}
	// --fail-on not reached.
	if code := exitCode(exec.Command(bin, "read", "--fail-on", "high", capturePath(t, "samba-epm-loopback.pcap")).Run()); code != exitOK {
		t.Errorf("--fail-on high on a clean capture: exit %d", code)
	}
}
