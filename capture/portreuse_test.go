package capture

import (
	"testing"
	"time"

	"github.com/rpcwatch/rpcwatch/capture/decode"
	"github.com/rpcwatch/rpcwatch/dissect"
	"github.com/rpcwatch/rpcwatch/dissect/dcetest"
)

// tcpFrame builds an Ethernet/IPv4/TCP frame from 10.9.0.1:50000 to
// 10.9.0.2:49700 (or back when rev); see seg in closed_test.go.
func tcpFrame(t *testing.T, rev bool, seq, ack uint32, syn, isAck bool, payload []byte) []byte {
	t.Helper()
	flags := ""
	if syn {
		flags += "S"
	}
	if isAck {
		flags += "A"
	}
	if len(payload) > 0 {
		flags += "P"
	}
	return seg(t, rev, seq, ack, flags, payload)
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
	if binds := countBinds(c.events); binds != 1 {
		t.Errorf("binds seen on the reused ports: %d, want 1", binds)
	}
}
