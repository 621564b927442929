package capture

import (
	"reflect"
	"testing"

	"github.com/rpcwatch/rpcwatch/capture/decode"
	"github.com/rpcwatch/rpcwatch/dissect/event"
	"github.com/rpcwatch/rpcwatch/internal/pcaptest"
)

// TestClosedFlowsLeave: a connection's flow leaves the table at the ACK
// that follows both FINs, so that its warm slot serves the next flow; the
// goldens (cmd/rpcwatch) and the tshark tests show the events unchanged.
// Here: flows were removed, only closed connections were, and a second
// pass through the same pipeline, over slots freed that way, gives the
// same events again.
func TestClosedFlowsLeave(t *testing.T) {
	path := "../testdata/samba-epm-loopback.pcap"
	c, st := runFile(t, path)
	if st.Flows.Removed == 0 {
		t.Fatalf("no flow left the table when its connection closed: %+v", st.Flows)
	}
	var closed int
	for _, e := range c.events {
		if e.Kind == event.KindConnClosed {
			closed++
		}
	}
	if uint64(closed) < st.Flows.Removed {
		t.Fatalf("%d flows removed but only %d connection-closed events", st.Flows.Removed, closed)
	}
	frames, _ := pcaptest.Frames(t, path)
	var all []event.Event
	p, err := New(Config{}, func(e *event.Event) { all = append(all, *e) })
	if err != nil {
		t.Fatal(err)
	}
	for round := 0; round < 2; round++ {
		for _, f := range frames {
			p.Packet(decode.LinkType(f.Link), f.Data, int64(f.Number), f.Time)
		}
		p.Finish()
	}
	if len(all) != 2*len(c.events) || !reflect.DeepEqual(all[:len(c.events)], c.events) ||
		!reflect.DeepEqual(all[len(c.events):], c.events) {
		t.Fatalf("second pass over reused slots differs (%d events, want 2 x %d)", len(all), len(c.events))
	}
}
