package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rpcwatch/rpcwatch/capture/decode"
	"github.com/rpcwatch/rpcwatch/capture/source"
)

// udpPayloads returns the UDP payloads of an Ethernet/IPv4 capture.
func udpPayloads(t *testing.T, path string) [][]byte {
	t.Helper()
	src, err := source.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var out [][]byte
	for {
		data, ci, err := src.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if ci.LinkType != decode.LinkTypeEthernet || len(data) < 14+20+8 || binary.BigEndian.Uint16(data[12:]) != 0x0800 || data[14+9] != 17 {
			t.Fatalf("frame %d is not Ethernet/IPv4/UDP", ci.Frame)
		}
		ihl := int(data[14]&15) * 4
		out = append(out, append([]byte(nil), data[14+ihl+8:]...))
	}
}

// TestLiveLoopback runs "rpcwatch live -i lo" while replaying the KB 224460
// connectionless endpoint-mapper exchange (request to port 135, response
// carrying an 8-byte IPv4 floor) over 127.0.0.1, and checks that the fused
// address is reported, the summary carries the kernel counters, and the
// evidence pcap holds the packets.
func TestLiveLoopback(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("live capture on lo needs root (or CAP_NET_RAW and CAP_NET_ADMIN); skipped")
	}
	payloads := udpPayloads(t, capturePath(t, "kb224460-cl-epm-fused-floor.pcap"))
	if len(payloads) < 2 {
		t.Fatalf("%d payloads", len(payloads))
	}
	bin := buildBinary(t)
	server, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 135})
	if err != nil {
		t.Skipf("cannot bind 127.0.0.1:135/udp: %v", err)
	}
	defer server.Close()
	client, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()

	ev := filepath.Join(t.TempDir(), "live.pcap")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "live", "-i", "lo", "-c", "6", "--duration", "20s", "--json", "-w", ev, "udp port 135")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	// The capture has no ready signal: replay the exchange until rpcwatch
	// has seen its packets and exits.
	var runErr error
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
loop:
	for {
		select {
		case runErr = <-exited:
			break loop
		case <-tick.C:
			client.WriteToUDP(payloads[0], server.LocalAddr().(*net.UDPAddr))
			server.WriteToUDP(payloads[1], client.LocalAddr().(*net.UDPAddr))
		}
	}
	if strings.Contains(stderr.String(), "no permission") {
		t.Skipf("no permission to capture: %s", stderr.String())
	}
	if code := exitCode(runErr); code != exitOK {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
	out := stdout.String()
	if !strings.Contains(out, `"rule":"fused-address"`) || !strings.Contains(out, `"binding":"ncadg_ip_udp:157.61.239.61157.61.239.5[1039]"`) {
		t.Errorf("no fused-address finding:\n%s", out)
	}
	if !strings.Contains(out, `"kind":"stats"`) || !strings.Contains(out, `"packets":6,`) || !strings.Contains(out, `"kernel_received":`) {
		t.Errorf("stats line wrong:\n%s", out)
	}
	if n := countFrames(t, ev); n < 1 {
		t.Errorf("evidence pcap has %d packets", n)
	}
}
