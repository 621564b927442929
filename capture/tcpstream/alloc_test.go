package tcpstream

import (
	"math/rand"
	"net/netip"
	"testing"

	"github.com/rpcwatch/rpcwatch/capture/flow"
)

// counter is a Handler that only counts, as a pipeline stage that hands
// PDUs on without keeping them would.
type counter struct {
	pdus, bytes, events int
}

func (c *counter) PDU(p *PDU)     { c.pdus++; c.bytes += len(p.Data) }
func (c *counter) Event(e *Event) { c.events++ }

// feeder replays a pattern of segments forever, advancing sequence numbers
// by the pattern's length on each round so the stream keeps moving forward.
type feeder struct {
	s    *Stream
	isn  uint32
	base uint32
	segs []tseg // offsets within one round
	span uint32 // bytes per round
	seg  Segment
	h    PDUHandler
}

func newFeeder(f Framer, lim Limits, pdus [][]byte, split func(pdu []byte, off int) []tseg, h PDUHandler) *feeder {
	fd := &feeder{s: NewStream(f, lim), isn: 1<<32 - 100000, h: h} // wraps after a few rounds
	off := 0
	for _, p := range pdus {
		fd.segs = append(fd.segs, split(p, off)...)
		off += len(p)
	}
	fd.span = uint32(off)
	fd.seg = Segment{Flags: SYN, Seq: fd.isn - 1}
	fd.s.Push(&fd.seg, h)
	return fd
}

// round pushes one round of segments.
func (fd *feeder) round() {
	for i := range fd.segs {
		sg := &fd.segs[i]
		fd.seg = Segment{Seq: fd.isn + fd.base + uint32(sg.off), Flags: ACK, Payload: sg.data, Frame: uint64(i + 1), Time: t0}
		fd.s.Push(&fd.seg, fd.h)
	}
	fd.base += fd.span
}

func whole(p []byte, off int) []tseg { return []tseg{{off, p}} }

func thirds(p []byte, off int) []tseg {
	a, b := len(p)/3, 2*len(p)/3
	return []tseg{{off, p[:a]}, {off + a, p[a:b]}, {off + b, p[b:]}}
}

func thirdsReordered(p []byte, off int) []tseg {
	s := thirds(p, off)
	return []tseg{s[1], s[2], s[0]}
}

func TestNoAllocs(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	pdus := genDCEPDUs(rng, 8, 100, 3000, true)
	var h counter
	fast := newFeeder(dceFramer, Limits{}, pdus, whole, &h)
	split := newFeeder(dceFramer, Limits{}, pdus, thirds, &h)
	reord := newFeeder(dceFramer, Limits{}, pdus, thirdsReordered, &h)
	// Retransmissions and a repacketized overlap of every PDU.
	retrans := newFeeder(dceFramer, Limits{}, pdus, func(p []byte, off int) []tseg {
		s := thirds(p, off)
		return []tseg{s[0], s[1], s[0], {off + 5, p[5 : len(p)/2]}, s[2], s[2]}
	}, &h)
	oneByte := newFeeder(lenFramer, Limits{}, genLenPDUs(rng, 4, 4, 200), func(p []byte, off int) []tseg {
		return cutStream(p, func() int { return 1 })
	}, &h)
	for i := range oneByte.segs {
		oneByte.segs[i].off += i - oneByte.segs[i].off // cutStream offsets are per PDU: make them global
	}
	// Lost: the middle third of every other PDU never arrives; the peer's
	// acknowledgement at the end of each round decides the holes.
	lost := newFeeder(dceFramer, Limits{}, pdus, func(p []byte, off int) []tseg {
		s := thirds(p, off)
		if off%2 == 0 {
			return []tseg{s[0], s[2]}
		}
		return s
	}, &h)
	lostRound := func() {
		lost.round()
		lost.s.Ack(lost.isn+lost.base, &h)
	}

	// A Conn's whole life, reused as a flow table slot reuses it.
	req, resp := pdus[0], pdus[1]
	conn := NewConn(dceFramer, Limits{}, flow.SideB)
	var cseg Segment
	life := func() {
		conn.Reset(dceFramer, Limits{}, flow.SideB)
		cseq, sseq := uint32(1000), uint32(9000)
		send := func(from flow.Side, f Flags, p []byte) {
			cseg = Segment{Flags: f, Payload: p, Time: t0}
			if from == flow.SideA {
				cseg.Seq, cseg.Ack = cseq, sseq
				cseq += uint32(len(p))
			} else {
				cseg.Seq, cseg.Ack = sseq, cseq
				sseq += uint32(len(p))
			}
			conn.Segment(from, &cseg, &h)
			if f&(SYN|FIN) != 0 {
				if from == flow.SideA {
					cseq++
				} else {
					sseq++
				}
			}
		}
		send(flow.SideA, SYN, nil)
		send(flow.SideB, SYN|ACK, nil)
		send(flow.SideA, ACK, req[:10])
		send(flow.SideA, ACK, req[10:])
		send(flow.SideB, ACK, resp)
		send(flow.SideA, FIN|ACK, nil)
		send(flow.SideB, FIN|ACK, nil)
	}

	// Conns in a flow table: new keys keep evicting old connections whose
	// half-sent PDUs get flushed.
	table, err := flow.New(flow.Config[flow.Key, Conn]{
		Max:   16,
		Init:  func(k flow.Key, c *Conn) { c.Reset(dceFramer, Limits{}, k.LowPort()) },
		Evict: func(_ flow.Key, c *Conn, _ flow.Reason) { c.Flush(&h) },
	})
	if err != nil {
		t.Fatal(err)
	}
	srvAddr := netip.MustParseAddr("10.0.2.16")
	var port uint16
	var tseg Segment
	churn := func() {
		port++
		k, side := flow.NewKey(flow.TCP, netip.MustParseAddr("10.0.2.15"), 40000+port%1000, srvAddr, 135)
		c, _ := table.Get(k, t0)
		tseg = Segment{Seq: 5, Flags: ACK, Payload: req[:len(req)-1], Time: t0}
		c.Segment(side, &tseg, &h)
	}

	tests := []struct {
		name string
		f    func()
	}{
		{"in-order, one PDU per segment", fast.round},
		{"PDUs split over 3 segments", split.round},
		{"split and reordered", reord.round},
		{"one-byte segments", oneByte.round},
		{"retransmitted and overlapping segments", retrans.round},
		{"lost segments and resync", lostRound},
		{"conn handshake, data, FIN", life},
		{"conns churning through a flow table", churn},
	}
	for _, tt := range tests {
		for i := 0; i < 20; i++ { // warm-up: buffers reach their working size
			tt.f()
		}
		if n := testing.AllocsPerRun(200, tt.f); n != 0 {
			t.Errorf("%s: %v allocs per run, want 0", tt.name, n)
		}
	}
	if st := lost.s.Stats(); st.Gaps == 0 || st.Resyncs == 0 || st.Resyncs > st.Gaps || st.PDUs == 0 {
		t.Errorf("lost feeder did not exercise gaps: %+v", st)
	}
	if st := retrans.s.Stats(); st.DupBytes == 0 || st.Gaps != 0 || st.Skipped != 0 {
		t.Errorf("retransmission feeder: %+v", st)
	}
	if st := fast.s.Stats(); st.Copied != 0 {
		t.Errorf("in-order single-PDU segments were copied: %+v", st)
	}
	if h.pdus == 0 || h.events == 0 {
		t.Error("handler saw nothing")
	}
}
