package tcpstream

import (
	"encoding/binary"
	"math/rand"
	"path/filepath"
	"testing"

	"github.com/rpcwatch/rpcwatch/capture/flow"
	"github.com/rpcwatch/rpcwatch/internal/pcaptest"
)

// The fuzz input is 4 configuration bytes, then operations of 6 header
// bytes plus payload:
//
//	config: [0] bit 0 framer (0 length-prefixed, 1 DCE/RPC), bits 1..7 unused
//	        [1] MaxBuffered = 64 + 32*v   [2] MaxHeld = 1 + v%16   [3] MaxPDU = 16 + 64*v
//	op:     [0] bits 7..6 kind: 0, 1 segment; 2 segment far away; 3 flush (Control if bit 0)
//	            bit 5 side (0 A, 1 B)
//	            bits 4..0 flags: FIN, SYN, RST, ACK, PSH
//	        [1:3] int16 sequence offset from the side's cursor (the highest
//	              byte it has sent so far), [3] int8 acknowledgement offset
//	              from the other side's cursor, [4:6] payload length
//	        payload
const (
	fuzzConfigLen = 4
	fuzzOpLen     = 6
	fuzzMaxOps    = 2048
)

type fop struct {
	kind     uint8
	side     flow.Side
	flags    Flags // FIN, SYN, RST, ACK, PSH only
	delta    int16
	ackDelta int8
	payload  []byte
}

var fuzzFlagBits = [5]Flags{FIN, SYN, RST, ACK, PSH}

func encodeFuzz(cfg [4]byte, ops []fop) []byte {
	b := append([]byte(nil), cfg[:]...)
	for _, o := range ops {
		var bits byte
		for i, f := range fuzzFlagBits {
			if o.flags&f != 0 {
				bits |= 1 << i
			}
		}
		b = append(b, o.kind<<6|byte(o.side)<<5|bits)
		b = binary.BigEndian.AppendUint16(b, uint16(o.delta))
		b = append(b, byte(o.ackDelta), 0, 0)
		binary.BigEndian.PutUint16(b[len(b)-2:], uint16(len(o.payload)))
		b = append(b, o.payload...)
	}
	return b
}

// seedOps turns test segments of one direction (offsets into a stream)
// into operations whose deltas replay them.
func seedOps(segs []tseg) []fop {
	ops := []fop{{side: flow.SideA, flags: SYN}}
	cursor := 1 // the SYN took one sequence number
	for _, sg := range segs {
		off := sg.off + 1
		ops = append(ops, fop{side: flow.SideA, flags: ACK | PSH, delta: int16(off - cursor), payload: sg.data})
		cursor = max(cursor, off+len(sg.data))
	}
	return ops
}

// captureSeeds returns, for a few real captures, the first segments of
// their first DCE/RPC conversation, encoded as fuzz operations.
func captureSeeds(t testing.TB) [][]byte {
	dir, ok := pcaptest.FindDir()
	if !ok {
		return nil
	}
	var out [][]byte
	for _, name := range []string{"sbousseaden-Discovery_impacket_rpcdump.pcapng", "samba-stale-binding-restart.pcap",
		"scapy-dcerpc_privacy_ntlm.pcapng", "zeek-dce-rpc-kerberos135_auth.pcapng"} {
		segs := tcpSegments(t, filepath.Join(dir, name))
		var key flow.Key
		found := false
		var ops []fop
		var cursor [2]uint32
		var started [2]bool
		for _, cs := range segs {
			if !found {
				if n, err := dceFramer(cs.seg.Payload); err != nil || n == 0 {
					if cs.seg.Flags&SYN == 0 {
						continue
					}
				}
				key, found = cs.key, true
			}
			if cs.key != key || len(ops) >= 64 {
				continue
			}
			s := cs.side
			if !started[s] {
				started[s], cursor[s] = true, cs.seg.Seq
			}
			o := fop{side: s, flags: cs.seg.Flags & (FIN | SYN | RST | ACK | PSH), delta: int16(int32(cs.seg.Seq - cursor[s])), payload: cs.seg.Payload}
			if started[s.Other()] {
				o.ackDelta = int8(max(min(int32(cs.seg.Ack-cursor[s.Other()]), 127), -128))
			}
			ops = append(ops, o)
			end := cs.seg.Seq + uint32(len(cs.seg.Payload))
			if cs.seg.Flags&(SYN|FIN) != 0 {
				end++
			}
			if int32(end-cursor[s]) > 0 {
				cursor[s] = end
			}
		}
		if len(ops) > 0 {
			out = append(out, encodeFuzz([4]byte{1, 255, 8, 255}, ops))
		}
	}
	return out
}

type fuzzHandler struct {
	t      *testing.T
	framer Framer
	lim    Limits
	pdus   int
}

func (h *fuzzHandler) PDU(p *PDU) {
	h.pdus++
	if len(p.Data) == 0 || len(p.Data) > h.lim.MaxPDU || p.FirstFrame > p.LastFrame {
		h.t.Fatalf("PDU of %d bytes (max %d), frames %d..%d", len(p.Data), h.lim.MaxPDU, p.FirstFrame, p.LastFrame)
	}
	if n, err := h.framer(p.Data); err != nil || n != len(p.Data) {
		h.t.Fatalf("delivered %d bytes the framer sizes as %d (%v)", len(p.Data), n, err)
	}
}

func (h *fuzzHandler) Event(e *Event) {
	if e.Kind < EvSYN || e.Kind > EvNoAnswer {
		h.t.Fatalf("event kind %d", e.Kind)
	}
}

// checkStream asserts the stream's structural invariants.
func checkStream(t *testing.T, s *Stream) {
	t.Helper()
	checkAccounting(t, s)
	if s.lo < 0 || s.lo > s.hi || s.hi > len(s.buf) || len(s.buf) > s.lim.MaxBuffered {
		t.Fatalf("buffer lo %d hi %d len %d max %d", s.lo, s.hi, len(s.buf), s.lim.MaxBuffered)
	}
	if s.Buffered() > s.lim.MaxBuffered || len(s.held) > s.lim.MaxHeld || len(s.marks) > maxMarks {
		t.Fatalf("bounds: buffered %d held %d marks %d", s.Buffered(), len(s.held), len(s.marks))
	}
	prev := s.next()
	for i, r := range s.held {
		if r.start <= prev || r.end <= r.start || s.idx(r.end) > len(s.buf) {
			t.Fatalf("held range %d [%d,%d) after %d, buffer %d", i, r.start, r.end, prev, len(s.buf))
		}
		prev = r.end
	}
	if n := len(s.held); n > 0 && s.held[n-1].end-s.head() > int64(s.lim.MaxBuffered) {
		t.Fatalf("held data reaches %d bytes past the head, window %d", s.held[n-1].end-s.head(), s.lim.MaxBuffered)
	}
}

// FuzzStream drives a Conn (and so both directions' Streams) with segments
// decoded from the input: arbitrary sequence numbers, flags, overlaps,
// retransmissions and jumps, against small limits. It checks that nothing
// panics, that the byte accounting and the bounds hold after every
// operation, that every PDU is one the framer sizes exactly, and that the
// framer is called a number of times linear in the input.
func FuzzStream(f *testing.F) {
	rng := rand.New(rand.NewSource(1))
	lp := genLenPDUs(rng, 6, 4, 120)
	lb := concat(lp)
	f.Add(encodeFuzz([4]byte{0, 8, 3, 4}, seedOps(cutStream(lb, func() int { return 1 + rng.Intn(50) }))))
	segs := cutStream(lb, func() int { return 1 + rng.Intn(30) })
	reorder(rng, segs, 4)
	f.Add(encodeFuzz([4]byte{0, 8, 3, 4}, seedOps(duplicate(rng, segs, 0.3, 3))))
	for _, le := range []bool{true, false} {
		dp := genDCEPDUs(rng, 5, 16, 200, le)
		db := concat(dp)
		segs := cutStream(db, func() int { return 1 + rng.Intn(90) })
		reorder(rng, segs, 3)
		ops := seedOps(overlap(rng, db, segs, 0.3, 3))
		ops = append(ops, fop{side: flow.SideB, flags: ACK, ackDelta: 0}, fop{kind: 3})
		f.Add(encodeFuzz([4]byte{1, 16, 2, 8}, ops))
		// Lose a segment, then let the other side's ACK decide it.
		lost := append(append([]tseg(nil), segs[:2]...), segs[3:]...)
		ops = seedOps(lost)
		ops = append(ops, fop{side: flow.SideB, flags: SYN | ACK}, fop{side: flow.SideB, flags: ACK | FIN, ackDelta: 1})
		f.Add(encodeFuzz([4]byte{1, 255, 4, 255}, ops))
	}
	// Handshake, refusal, reset.
	f.Add(encodeFuzz([4]byte{1, 4, 4, 4}, []fop{{side: flow.SideA, flags: SYN}, {side: flow.SideB, flags: RST | ACK, ackDelta: 1}}))
	f.Add(encodeFuzz([4]byte{1, 4, 4, 4}, []fop{{side: flow.SideA, flags: SYN}, {side: flow.SideB, flags: SYN | ACK, ackDelta: 1},
		{side: flow.SideA, flags: ACK, payload: lp[0]}, {side: flow.SideB, flags: RST}, {kind: 2, side: flow.SideA, delta: 3, payload: lp[1]}}))
	// A bare FIN ahead of its data, then the data in order with more
	// after the FIN (the in-order fast path must trim it).
	fd := concat(genDCEPDUs(rng, 2, 16, 60, true))
	f.Add(encodeFuzz([4]byte{1, 16, 2, 8}, []fop{{side: flow.SideA, flags: SYN},
		{side: flow.SideA, flags: FIN | ACK, delta: int16(len(fd) - 20)},
		{side: flow.SideA, flags: ACK, delta: -int16(len(fd) - 20 + 1), payload: fd}}))
	for _, s := range captureSeeds(f) {
		f.Add(s)
		if len(s) >= fuzzConfigLen { // the same with a buffer pool
			p := append([]byte(nil), s...)
			p[0] |= 2
			f.Add(p)
		}
	}

	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < fuzzConfigLen {
			return
		}
		cfg := data[:fuzzConfigLen]
		data = data[fuzzConfigLen:]
		base := lenFramer
		if cfg[0]&1 != 0 {
			base = dceFramer
		}
		calls := 0
		framer := func(b []byte) (int, error) {
			calls++
			return base(b)
		}
		lim := Limits{MaxBuffered: 64 + 32*int(cfg[1]), MaxHeld: 1 + int(cfg[2]%16), MaxPDU: 16 + 64*int(cfg[3])}.normalized()
		c := NewConn(framer, lim, flow.SideB)
		if cfg[0]&2 != 0 { // buffers from a small shared pool
			c.SetPool(NewPool(8 << 10))
		}
		h := &fuzzHandler{t: t, framer: base, lim: lim}
		cursor := [2]uint32{0xfffff000, 0x7ffffff0} // A wraps soon
		var seg Segment
		ops, bytes := 0, 0
		for len(data) >= fuzzOpLen && ops < fuzzMaxOps {
			op := data[0]
			side := flow.Side(op >> 5 & 1)
			var flags Flags
			for i, fl := range fuzzFlagBits {
				if op&(1<<i) != 0 {
					flags |= fl
				}
			}
			delta := int32(int16(binary.BigEndian.Uint16(data[1:3])))
			ackDelta := int32(int8(data[3]))
			n := min(int(binary.BigEndian.Uint16(data[4:6])), len(data)-fuzzOpLen)
			payload := data[fuzzOpLen : fuzzOpLen+n]
			data = data[fuzzOpLen+n:]
			ops++
			bytes += n
			seg = Segment{Seq: cursor[side] + uint32(delta), Ack: cursor[side.Other()] + uint32(ackDelta),
				Flags: flags, Payload: payload, Frame: uint64(ops)}
			switch op >> 6 {
			case 0, 1:
				c.Segment(side, &seg, h)
			case 2:
				seg.Seq = cursor[side] + uint32(delta)<<15
				c.Segment(side, &seg, h)
			case 3:
				if op&1 != 0 {
					c.Control(side, &seg, h)
				} else {
					c.Flush(h)
				}
			}
			end := seg.Seq + uint32(n)
			if flags&(SYN|FIN) != 0 {
				end++
			}
			if d := int32(end - cursor[side]); d > 0 && d < 1<<20 {
				cursor[side] = end
			}
			checkStream(t, c.Stream(Client))
			checkStream(t, c.Stream(Server))
		}
		c.Flush(h)
		checkStream(t, c.Stream(Client))
		checkStream(t, c.Stream(Server))
		if limit := 4*(bytes+ops) + 16; calls > limit {
			t.Fatalf("framer called %d times for %d bytes in %d operations (limit %d)", calls, bytes, ops, limit)
		}
		if st := c.Stats(); st.PDUs != uint64(h.pdus) {
			t.Fatalf("stats count %d PDUs, handler saw %d", st.PDUs, h.pdus)
		}
	})
}
