package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCPUProfile: read --cpuprofile writes a pprof CPU profile (gzip'd
// protobuf whose string table names the cpu/nanoseconds sample type) and
// changes nothing in the output; a profile that cannot be created is an
// error before any capture is read.
func TestCPUProfile(t *testing.T) {
	demo := capturePath(t, "demo.pcap")
	prof := filepath.Join(t.TempDir(), "cpu.pprof")
	plain, _, code := runCmd(t, "read", "--json", "--quiet", demo)
	if code != exitFinding && code != exitOK {
		t.Fatalf("read: exit %d", code)
	}
	out, stderr, code2 := runCmd(t, "read", "--json", "--quiet", "--cpuprofile", prof, demo)
	if code2 != code || stderr != "" {
		t.Fatalf("read --cpuprofile: exit %d (without: %d), stderr %q", code2, code, stderr)
	}
	if out != plain { // the tests' clock is fixed, so elapsed_ns is too
		t.Error("--cpuprofile changed the output")
	}
	raw, err := os.ReadFile(prof)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("profile is not gzip'd: %v", err)
	}
	pb, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(pb, []byte("nanoseconds")) || !bytes.Contains(pb, []byte("cpu")) {
		t.Errorf("profile (%d bytes) has no cpu/nanoseconds sample type", len(pb))
	}

	_, stderr, code = runCmd(t, "read", "--cpuprofile", filepath.Join(t.TempDir(), "no", "such", "dir", "p"), demo)
	if code != exitError || !strings.Contains(stderr, "-cpuprofile") {
		t.Errorf("unwritable profile: exit %d, stderr %q", code, stderr)
	}
}
