package source

import (
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rpcwatch/rpcwatch/capture/decode"
)

// openLiveOrSkip opens a live capture, skipping the test when the process
// may not capture.
func openLiveOrSkip(t *testing.T, o LiveOptions) *Live {
	t.Helper()
	l, err := OpenLive(o)
	var pe *PermissionError
	if errors.As(err, &pe) {
		t.Skip("live capture needs privileges (run as root or grant CAP_NET_RAW,CAP_NET_ADMIN): " + err.Error())
	}
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestLiveLoopback captures datagrams sent to 127.0.0.1 on lo with a BPF
// filter for their port, plus the ICMP port unreachable the kernel answers
// with (nothing listens there), and decodes both.
func TestLiveLoopback(t *testing.T) {
	const port = 47135
	l := openLiveOrSkip(t, LiveOptions{Interface: "lo", Filter: "udp port 47135 or icmp", Immediate: true, Timeout: 50 * time.Millisecond})
	defer l.Close()

	type result struct {
		udp, unreach int
		err          error
	}
	done := make(chan result, 1)
	go func() {
		var r result
		dec := decode.NewDecoder()
		var p decode.Packet
		for r.udp < 3 {
			data, ci, err := l.Next()
			if err != nil {
				r.err = err
				break
			}
			if ci.LinkType != decode.LinkTypeEthernet || ci.Frame == 0 || ci.CaptureLength != len(data) {
				r.err = errors.New("bad info")
				break
			}
			if err := dec.Decode(ci.LinkType, data, &p); err != nil {
				continue
			}
			switch {
			case p.Proto == decode.ProtoUDP && p.DstPort == port && strings.HasPrefix(string(p.Payload), "rpcwatch live "):
				r.udp++
			case p.PortUnreachable() && p.ICMP.Quoted.HasPorts && p.ICMP.Quoted.DstPort == port:
				r.unreach++
			}
		}
		done <- r
	}()
	time.Sleep(100 * time.Millisecond)
	// An unconnected socket: on a connected one the port unreachable makes
	// the next write fail with ECONNREFUSED and nothing is sent.
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	to := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port}
	for i := 0; i < 3; i++ {
		if _, err := c.WriteTo([]byte("rpcwatch live "+string(rune('0'+i))), to); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.Close()
	var r result
	select {
	case r = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("datagrams not captured within 10 s")
	}
	if r.err != nil || r.udp != 3 {
		t.Fatalf("captured %d of 3 datagrams (%v)", r.udp, r.err)
	}
	st, err := l.Stats()
	if err != nil || st.Received < 3 {
		t.Errorf("stats %+v, %v", st, err)
	}
	t.Logf("datagrams %d, port unreachables decoded %d (ICMP is rate-limited), stats %+v", r.udp, r.unreach, st)

	// Close from another goroutine ends a blocked Next with io.EOF.
	errc := make(chan error, 1)
	go func() {
		for {
			if _, _, err := l.Next(); err != nil {
				errc <- err
				return
			}
		}
	}()
	time.Sleep(100 * time.Millisecond)
	t0 := time.Now()
	l.Close()
	select {
	case err := <-errc:
		if err != io.EOF {
			t.Errorf("Next after Close: %v", err)
		}
		t.Logf("Next returned io.EOF %v after Close", time.Since(t0).Round(time.Millisecond))
	case <-time.After(2 * time.Second):
		t.Error("Next still blocked 2 s after Close")
	}
	if st2, err := l.Stats(); err != nil || st2.Received < st.Received {
		t.Errorf("stats after close %+v, %v", st2, err)
	}
}

func TestLiveErrors(t *testing.T) {
	_, err := OpenLive(LiveOptions{Interface: "rpcwatch-nonexistent0"})
	var ie *InterfaceError
	var pe *PermissionError
	switch {
	case errors.As(err, &pe):
		t.Skip("no capture privileges: " + err.Error())
	case !errors.As(err, &ie):
		t.Fatalf("missing interface: %v", err)
	}
	if !strings.Contains(err.Error(), "lo") {
		t.Errorf("error does not list the interfaces: %v", err)
	}
	t.Log(err)
	_, err = OpenLive(LiveOptions{Interface: "lo", Filter: "udp port notaport"})
	var fe *FilterError
	if !errors.As(err, &fe) {
		t.Errorf("bad filter: %v", err)
	}
	if err := (&PermissionError{Interface: "eth0", Err: errors.New("Permission Denied")}).Error(); !strings.Contains(err, "run as root or grant CAP_NET_RAW,CAP_NET_ADMIN") {
		t.Errorf("permission message %q", err)
	}
}

// TestLiveAny captures on the "any" device, whose frames carry a Linux
// cooked header (LINUX_SLL unless another data link is requested).
func TestLiveAny(t *testing.T) {
	const port = 47136
	l := openLiveOrSkip(t, LiveOptions{Interface: "any", Filter: "udp dst port 47136", Immediate: true, Timeout: 50 * time.Millisecond})
	defer l.Close()
	if lt := l.LinkType(); lt != decode.LinkTypeLinuxSLL && lt != decode.LinkTypeLinuxSLL2 {
		t.Fatalf("link type on any: %v", lt)
	}
	got := make(chan error, 1)
	go func() {
		dec := decode.NewDecoder()
		var p decode.Packet
		for {
			data, ci, err := l.Next()
			if err != nil {
				got <- err
				return
			}
			if err := dec.Decode(ci.LinkType, data, &p); err == nil && p.Proto == decode.ProtoUDP && p.DstPort == port &&
				string(p.Payload) == "any" {
				got <- nil
				return
			}
		}
	}()
	time.Sleep(100 * time.Millisecond)
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.WriteTo([]byte("any"), &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("datagram not captured on any within 5 s")
	}
}

// TestLivePermission checks the error a process without capture
// privileges gets. It only runs as a non-root user, e.g.
//
//	go test -c -o /tmp/source.test ./capture/source
//	su nobody -s /bin/sh -c '/tmp/source.test -test.run TestLivePermission -test.v'
func TestLivePermission(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("running as root: the permission error cannot be observed")
	}
	_, err := OpenLive(LiveOptions{Interface: "lo"})
	var pe *PermissionError
	if !errors.As(err, &pe) {
		t.Fatalf("unprivileged OpenLive(lo): %v", err)
	}
	t.Log(err)
}
