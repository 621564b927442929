package tcpstream

import (
	"reflect"
	"testing"

	"github.com/rpcwatch/rpcwatch/capture/flow"
)

// TestConnResetFresh: a Conn that went through a handshake, data, a loss and
// a teardown, then Reset, equals a new Conn in every field (its streams'
// retained buffers aside).
func TestConnResetFresh(t *testing.T) {
	segs := poolCase(10)
	c := NewConn(dceFramer, Limits{}, flow.SideA)
	var h nopHandler
	c.Segment(flow.SideB, &Segment{Seq: 999, Flags: SYN, Frame: 1, Time: t0}, h)
	c.Segment(flow.SideA, &Segment{Seq: 5000, Ack: 1000, Flags: SYN | ACK, Frame: 2, Time: t0}, h)
	for k, sg := range segs {
		c.Segment(flow.SideB, &Segment{Seq: 1000 + uint32(sg.off), Flags: ACK, Payload: sg.data, Frame: uint64(k + 3), Time: t0}, h)
	}
	c.Segment(flow.SideB, &Segment{Seq: 1000, Flags: FIN | ACK, Frame: 999, Time: t0}, h)
	if c.State() == StateNew {
		t.Fatal("the conversation did not move the Conn")
	}
	c.Reset(dceFramer, Limits{}, flow.SideB)
	fresh := NewConn(dceFramer, Limits{}, flow.SideB)
	for r := range c.dir {
		c.dir[r].buf, c.dir[r].held, c.dir[r].marks = nil, nil, nil
		fresh.dir[r].buf, fresh.dir[r].held, fresh.dir[r].marks = nil, nil, nil
		c.dir[r].framer, fresh.dir[r].framer = nil, nil // funcs never compare equal
	}
	if !reflect.DeepEqual(c, fresh) {
		t.Fatalf("Reset Conn differs from a new one:\n%+v\n%+v", *c, *fresh)
	}
}
