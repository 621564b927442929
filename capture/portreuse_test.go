package capture

import (
	"net"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"github.com/rpcwatch/rpcwatch/capture/decode"
	"github.com/rpcwatch/rpcwatch/dissect"
	"github.com/rpcwatch/rpcwatch/dissect/dcetest"
	"github.com/rpcwatch/rpcwatch/dissect/event"
)

// tcpFrame builds an Ethernet/IPv4/TCP frame from 10.9.0.1:sport to
// 10.9.0.2:dport (or back when rev).
func tcpFrame(t *testing.T, rev bool, seq, ack uint32, syn, isAck bool, payload []byte) []byte {
	t.Helper()
	a, b := net.IP{10, 9, 0, 1}, net.IP{10, 9, 0, 2}
	sp, dp := layers.TCPPort(50000), layers.TCPPort(49700)
	if rev {
		a, b, sp, dp = b, a, dp, sp
	}
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: a, DstIP: b}
	tcp := &layers.TCP{SrcPort: sp, DstPort: dp, Seq: seq, Ack: ack, SYN: syn, ACK: isAck, PSH: len(payload) > 0, Window: 65535}
	tcp.SetNetworkLayerForChecksum(ip)
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		eth, ip, tcp, gopacket.Payload(payload)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestPortReuseAfterNonRPC: a conversation judged not to carry DCE/RPC is
// no longer followed, but a new connection on the same ports (a fresh SYN)
// is looked at again: its bind is seen.
func TestPortReuseAfterNonRPC(t *testing.T) {
	c := &collected{}
	p, err := New(Config{}, c.handle)
	if err != nil {
		t.Fatal(err)
	}
	ts := time.Unix(1700000000, 0)
	n := int64(0)
	feed := func(f []byte) {
		n++
		ts = ts.Add(time.Millisecond)
		p.Packet(decode.LinkTypeEthernet, f, n, ts)
	}
	// First connection: text, not DCE/RPC.
	feed(tcpFrame(t, false, 100, 0, true, false, nil))
	feed(tcpFrame(t, true, 900, 101, true, true, nil))
	seq := uint32(101)
	line := []byte("GET /index.html HTTP/1.1 and more text that is no PDU\r\n")
	for i := 0; i < 40; i++ {
		feed(tcpFrame(t, false, seq, 901, false, true, line))
		seq += uint32(len(line))
	}
	if st := p.Stats(); st.NonRPCFlows != 1 {
		t.Fatalf("first connection not judged non-RPC: %+v", st)
	}
	// Second connection on the same ports: a bind.
	feed(tcpFrame(t, false, 5000, 0, true, false, nil))
	feed(tcpFrame(t, true, 7000, 5001, true, true, nil))
	bind := dcetest.COBind(true, 1, dcetest.Bind{MaxXmit: 4280, MaxRecv: 4280,
		Contexts: []dcetest.Ctx{{ID: 0, Abstract: dissect.SyntaxID{UUID: dissect.EPMv4, Major: 3}, Transfer: []dissect.SyntaxID{{UUID: dissect.NDR20, Major: 2}}}}}, nil)
	// The bind arrives in two segments: the flow is judged afresh, not by
	// the first connection's counters.
	feed(tcpFrame(t, false, 5001, 7001, false, true, bind[:10]))
	feed(tcpFrame(t, false, 5011, 7001, false, true, bind[10:]))
	p.Finish()
	binds := 0
	for _, e := range c.events {
		if e.Kind == event.KindPDU && e.PType == dissect.PTypeBind {
			binds++
		}
	}
	if binds != 1 {
		t.Errorf("binds seen on the reused ports: %d, want 1", binds)
	}
}
