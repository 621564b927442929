package capture

import (
	"net"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"github.com/rpcwatch/rpcwatch/capture/decode"
	"github.com/rpcwatch/rpcwatch/capture/flow"
	"github.com/rpcwatch/rpcwatch/capture/tcpstream"
	"github.com/rpcwatch/rpcwatch/dissect"
	"github.com/rpcwatch/rpcwatch/dissect/dcetest"
	"github.com/rpcwatch/rpcwatch/dissect/event"
)

// seg builds an Ethernet/IPv4/TCP frame from 10.9.0.1:50000 to
// 10.9.0.2:49700 (or back when rev) with flags from "SAFRP".
func seg(t testing.TB, rev bool, seq, ack uint32, flags string, payload []byte) []byte {
	return segPort(t, 50000, rev, seq, ack, flags, payload)
}

// segPort is seg with another client port.
func segPort(t testing.TB, cport uint16, rev bool, seq, ack uint32, flags string, payload []byte) []byte {
	t.Helper()
	a, b := net.IP{10, 9, 0, 1}, net.IP{10, 9, 0, 2}
	sp, dp := layers.TCPPort(cport), layers.TCPPort(49700)
	if rev {
		a, b, sp, dp = b, a, dp, sp
	}
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: a, DstIP: b}
	tcp := &layers.TCP{SrcPort: sp, DstPort: dp, Seq: seq, Ack: ack, Window: 65535,
		SYN: strings.Contains(flags, "S"), ACK: strings.Contains(flags, "A"), FIN: strings.Contains(flags, "F"),
		RST: strings.Contains(flags, "R"), PSH: strings.Contains(flags, "P")}
	tcp.SetNetworkLayerForChecksum(ip)
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		eth, ip, tcp, gopacket.Payload(payload)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func epmBind(t testing.TB) []byte {
	return dcetest.COBind(true, 1, dcetest.Bind{MaxXmit: 4280, MaxRecv: 4280,
		Contexts: []dcetest.Ctx{{ID: 0, Abstract: dissect.SyntaxID{UUID: dissect.EPMv4, Major: 3},
			Transfer: []dissect.SyntaxID{{UUID: dissect.NDR20, Major: 2}}}}}, nil)
}

// closedConversation is a connection that carries a bind and closes
// cleanly: handshake, bind, FIN from each side, last ACK. The client's
// initial sequence number is isn, the server's isn+800.
func closedConversation(t testing.TB, isn uint32) [][]byte {
	bind := epmBind(t)
	n, c, s := uint32(len(bind)), isn, isn+800
	return [][]byte{
		seg(t, false, c, 0, "S", nil),
		seg(t, true, s, c+1, "SA", nil),
		seg(t, false, c+1, s+1, "A", nil),
		seg(t, false, c+1, s+1, "PA", bind),
		seg(t, true, s+1, c+1+n, "A", nil),
		seg(t, false, c+1+n, s+1, "FA", nil),
		seg(t, true, s+1, c+2+n, "FA", nil),
		seg(t, false, c+2+n, s+2, "A", nil),
	}
}

func feedFrames(t *testing.T, p *Pipeline, frames [][]byte) {
	ts := time.Unix(1700000000, 0)
	for i, f := range frames {
		p.Packet(decode.LinkTypeEthernet, f, int64(i+1), ts.Add(time.Duration(i)*time.Millisecond))
	}
}

func eventsOf(t *testing.T, frames [][]byte) ([]event.Event, *Pipeline) {
	var evs []event.Event
	p, err := New(Config{}, func(e *event.Event) { evs = append(evs, *e) })
	if err != nil {
		t.Fatal(err)
	}
	feedFrames(t, p, frames)
	p.Finish()
	return evs, p
}

// TestAfterCloseIgnored: once a connection has closed and drained, its
// Conn goes back to the free list, and what arrives afterwards on its ports
// (a retransmitted FIN, a RST, a retransmitted last data segment with its
// FIN) is ignored as a closed connection ignores it: the events are those of
// the clean conversation alone. A new SYN on the ports is a new connection.
func TestAfterCloseIgnored(t *testing.T) {
	clean := closedConversation(t, 100)
	want, _ := eventsOf(t, clean)
	bind := epmBind(t)
	n := uint32(len(bind))
	late := append(append([][]byte{}, clean...),
		seg(t, true, 901, 102+n, "FA", nil),  // server FIN again
		seg(t, false, 101, 901, "PFA", bind), // the bind again, with a FIN
		seg(t, true, 902, 0, "R", nil),
		seg(t, false, 100, 0, "S", nil)) // the first SYN again (same ISN): a duplicate, not a connection
	got, p := eventsOf(t, late)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("packets after the close changed the events: %d events, want %d", len(got), len(want))
	}
	if len(p.w.connFree) != 1 {
		t.Fatalf("%d Conns on the free list after the close, want 1", len(p.w.connFree))
	}
	// A new connection on the same ports after the close: its bind is seen.
	again := append(append([][]byte{}, clean...), closedConversation(t, 5000)...)
	got, _ = eventsOf(t, again)
	if binds := countBinds(got); binds != 2 {
		t.Fatalf("binds over two connections on the same ports: %d, want 2", binds)
	}
}

// TestHoleAtCloseKeepsConn: a connection that closes with a hole in a
// stream (a segment the capture has not shown yet, and that no ACK has
// declared lost) keeps its Conn: the late segment still fills the hole and
// its PDU is delivered.
func TestHoleAtCloseKeepsConn(t *testing.T) {
	bind := epmBind(t)
	n := uint32(len(bind))
	frames := [][]byte{
		seg(t, false, 100, 0, "S", nil),
		seg(t, true, 900, 101, "SA", nil),
		seg(t, false, 101, 901, "A", nil),
		seg(t, false, 101, 901, "PA", bind[:10]),
		seg(t, false, 101+n, 901, "FA", nil), // FIN before the rest of the bind
		seg(t, true, 901, 0, "F", nil),       // server FIN without an ACK
		seg(t, false, 102+n, 902, "A", nil),
		seg(t, false, 111, 901, "PA", bind[10:]), // the rest, late
	}
	got, _ := eventsOf(t, frames)
	if binds := countBinds(got); binds != 1 {
		t.Fatalf("bind delivered %d times after the close overtook its second half, want 1", binds)
	}
}

// TestClosedConnReused: the next new connection reuses the Conn of the one
// that just closed (warm in the caches) instead of a slot's own.
func TestClosedConnReused(t *testing.T) {
	p, err := New(Config{}, func(*event.Event) {})
	if err != nil {
		t.Fatal(err)
	}
	feedFrames(t, p, closedConversation(t, 100))
	if len(p.w.connFree) != 1 {
		t.Fatalf("%d Conns on the free list after a clean close, want 1", len(p.w.connFree))
	}
	closed := p.w.connFree[0]
	p.Packet(decode.LinkTypeEthernet, segPort(t, 50001, false, 1, 0, "S", nil), 9, time.Unix(1700000001, 0))
	k, _ := flow.NewKey(flow.TCP, netip.MustParseAddr("10.9.0.1"), 50001, netip.MustParseAddr("10.9.0.2"), 49700)
	f, ok := p.w.flows.Peek(k)
	if !ok || f.conn != closed {
		t.Fatalf("the new connection did not get the closed connection's Conn")
	}
	if f.conn.State() != tcpstream.StateSynSent {
		t.Fatalf("reused Conn in state %v, want SYN sent", f.conn.State())
	}
}

// countBinds counts the bind PDU events.
func countBinds(evs []event.Event) int {
	n := 0
	for _, e := range evs {
		if e.Kind == event.KindPDU && e.PType == dissect.PTypeBind {
			n++
		}
	}
	return n
}
