package tcpstream

import (
	"math/rand"
	"reflect"
	"strings"
	"testing"

	"github.com/rpcwatch/rpcwatch/capture/flow"
)

// fieldNames lists the fields of v's type in order.
func fieldNames(v any) string {
	t := reflect.TypeOf(v)
	var names []string
	for i := 0; i < t.NumField(); i++ {
		names = append(names, t.Field(i).Name)
	}
	return strings.Join(names, " ")
}

// TestPDUFields and TestEventFields pin the fields of PDU and Event:
// Stream.emit and Conn.emit assign each one in turn instead of a composite
// literal, so a new field must be assigned there too.
func TestPDUFields(t *testing.T) {
	if got, want := fieldNames(PDU{}), "Data Seq From FirstFrame LastFrame Time Copied AfterGap"; got != want {
		t.Fatalf("PDU fields changed: %s\nassign the new one in Stream.emit, then update this list", got)
	}
}

func TestEventFields(t *testing.T) {
	if got, want := fieldNames(Event{}), "Kind From Frame Time SynFrame"; got != want {
		t.Fatalf("Event fields changed: %s\nassign the new one in Conn.emit, then update this list", got)
	}
}

// TestEmitOverwrites: a PDU and an event handed out after different ones
// carry none of the earlier values (the emits assign field by field).
func TestEmitOverwrites(t *testing.T) {
	req, resp := dcePair(3, true)
	var pdus []PDU
	var evs []Event
	h := &funcHandler{
		pdu:   func(p *PDU) { q := *p; q.Data = append([]byte(nil), p.Data...); pdus = append(pdus, q) },
		event: func(e *Event) { evs = append(evs, *e) },
	}
	c := NewConn(dceFramer, Limits{}, flow.SideB)
	c.Segment(flow.SideA, &Segment{Seq: 99, Flags: SYN, Frame: 1, Time: t0}, h)
	c.Segment(flow.SideB, &Segment{Seq: 499, Ack: 100, Flags: SYN | ACK, Frame: 2, Time: t0.Add(1)}, h)
	// The request split in two (copied, after nothing), the response whole.
	c.Segment(flow.SideA, &Segment{Seq: 100, Ack: 500, Flags: ACK, Payload: req[:20], Frame: 3, Time: t0.Add(2)}, h)
	c.Segment(flow.SideA, &Segment{Seq: 120, Ack: 500, Flags: ACK, Payload: req[20:], Frame: 4, Time: t0.Add(3)}, h)
	c.Segment(flow.SideB, &Segment{Seq: 500, Ack: 100 + uint32(len(req)), Flags: ACK, Payload: resp, Frame: 5, Time: t0.Add(4)}, h)
	c.Segment(flow.SideA, &Segment{Seq: 100 + uint32(len(req)), Flags: FIN | ACK, Frame: 6, Time: t0.Add(5)}, h)
	want := []PDU{
		{Data: req, Seq: 100, From: Client, FirstFrame: 3, LastFrame: 4, Time: t0.Add(3), Copied: true},
		{Data: resp, Seq: 500, From: Server, FirstFrame: 5, LastFrame: 5, Time: t0.Add(4)},
	}
	if !reflect.DeepEqual(pdus, want) {
		t.Errorf("PDUs:\n%+v\nwant\n%+v", pdus, want)
	}
	wantEv := []Event{
		{Kind: EvSYN, From: Client, Frame: 1, Time: t0},
		{Kind: EvEstablished, From: Server, Frame: 2, Time: t0.Add(1), SynFrame: 1},
		{Kind: EvFIN, From: Client, Frame: 6, Time: t0.Add(5)},
	}
	if !reflect.DeepEqual(evs, wantEv) {
		t.Errorf("events:\n%+v\nwant\n%+v", evs, wantEv)
	}
}

type funcHandler struct {
	pdu   func(*PDU)
	event func(*Event)
}

func (f *funcHandler) PDU(p *PDU)     { f.pdu(p) }
func (f *funcHandler) Event(e *Event) { f.event(e) }

// TestProgress: Conn.Progress agrees with Stats after every segment of
// conversations with losses, garbage and both directions, and allocates
// nothing.
func TestProgress(t *testing.T) {
	for seed := int64(1); seed <= 20; seed++ {
		c := NewConn(dceFramer, Limits{}, flow.SideB)
		for i, sg := range poolCase(seed) {
			side := flow.Side(i % 2)
			c.Segment(side, &Segment{Seq: 1000 + uint32(sg.off), Ack: 7, Flags: ACK, Payload: sg.data, Frame: uint64(i + 1), Time: t0}, nopHandler{})
			st := c.Stats()
			if s, b, bad := c.Progress(); s != st.Segments || b != st.Bytes || bad != st.BadHeaders {
				t.Fatalf("seed %d segment %d: Progress %d %d %d, Stats %+v", seed, i, s, b, bad, st)
			}
		}
	}
	c := NewConn(dceFramer, Limits{}, flow.SideB)
	var sink uint64
	if n := testing.AllocsPerRun(100, func() { s, b, bad := c.Progress(); sink += s + b + bad }); n != 0 {
		t.Fatalf("Progress: %v allocs", n)
	}
}

// TestFinBeforeData: a bare FIN that arrives ahead of the data it ends
// (the data was reordered behind it) ends the stream where it says, even
// when the data then arrives in order with nothing buffered (the in-order
// fast path): bytes past the FIN are ignored, and PDUs before it are
// delivered from the segment.
func TestFinBeforeData(t *testing.T) {
	pdus := genDCEPDUs(rand.New(rand.NewSource(4)), 3, 40, 80, true)
	data := concat(pdus)
	extra := concat(genDCEPDUs(rand.New(rand.NewSource(5)), 1, 40, 40, true))
	for _, withExtra := range []bool{false, true} {
		var r recorder
		s := NewStream(dceFramer, Limits{})
		s.Push(&Segment{Seq: 99, Flags: SYN, Frame: 1, Time: t0}, &r)
		s.Push(&Segment{Seq: 100 + uint32(len(data)), Flags: FIN | ACK, Frame: 2, Time: t0}, &r)
		payload := data
		if withExtra {
			payload = append(append([]byte(nil), data...), extra...)
		}
		s.Push(&Segment{Seq: 100, Flags: ACK, Payload: payload, Frame: 3, Time: t0}, &r)
		samePDUs(t, r.pdus, pdus)
		checkAccounting(t, s)
		st := s.Stats()
		if want := uint64(len(payload) - len(data)); st.Ignored != want || !s.Closed() || st.Copied != 0 {
			t.Fatalf("extra %v: ignored %d, want %d; closed %v; %+v", withExtra, st.Ignored, want, s.Closed(), st)
		}
	}
}

// TestInOrderTouchesNoBuffer: a conversation whose segments each carry
// whole PDUs, in order, is framed straight from the segments: a pooled
// Conn never borrows a buffer, and nothing is copied.
func TestInOrderTouchesNoBuffer(t *testing.T) {
	pdus := genDCEPDUs(rand.New(rand.NewSource(6)), 8, 16, 3000, true)
	pool := NewPool(0)
	c := NewConn(dceFramer, Limits{}, flow.SideB)
	c.SetPool(pool)
	var h counter
	cs, ss := uint32(1000), uint32(5000)
	c.Segment(flow.SideA, &Segment{Seq: cs - 1, Flags: SYN}, &h)
	c.Segment(flow.SideB, &Segment{Seq: ss - 1, Ack: cs, Flags: SYN | ACK}, &h)
	for i, p := range pdus {
		if i%2 == 0 {
			c.Segment(flow.SideA, &Segment{Seq: cs, Ack: ss, Flags: ACK | PSH, Payload: p}, &h)
			cs += uint32(len(p))
		} else {
			c.Segment(flow.SideB, &Segment{Seq: ss, Ack: cs, Flags: ACK | PSH, Payload: p}, &h)
			ss += uint32(len(p))
		}
	}
	c.Segment(flow.SideA, &Segment{Seq: cs, Ack: ss, Flags: ACK | FIN}, &h)
	c.Segment(flow.SideB, &Segment{Seq: ss, Ack: cs + 1, Flags: ACK | FIN}, &h)
	if st := c.Stats(); st.PDUs != uint64(len(pdus)) || st.Copied != 0 {
		t.Fatalf("stats %+v", st)
	}
	if ps := pool.Stats(); ps.Gets != 0 {
		t.Fatalf("the in-order conversation borrowed buffers: %+v", ps)
	}
}
