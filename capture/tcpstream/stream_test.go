package tcpstream

import (
	"fmt"
	"math/rand"
	"slices"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

type scenario struct {
	name     string
	framer   Framer
	gen      func(rng *rand.Rand) [][]byte
	size     func(rng *rand.Rand) func() int
	reorderK int
	dupP     float64
	overlapP float64
	isn      uint32
	lim      Limits
}

func oneByte(*rand.Rand) func() int { return func() int { return 1 } }
func upTo(n int) func(rng *rand.Rand) func() int {
	return func(rng *rand.Rand) func() int { return func() int { return 1 + rng.Intn(n) } }
}

func scenarios() []scenario {
	lenSmall := func(rng *rand.Rand) [][]byte { return genLenPDUs(rng, 40, 4, 300) }
	lenBig := func(rng *rand.Rand) [][]byte { return genLenPDUs(rng, 150, 4, 5000) }
	var out []scenario
	out = append(out,
		scenario{name: "len/1-byte", framer: lenFramer, gen: lenSmall, size: oneByte},
		scenario{name: "len/1-byte/reordered/dup", framer: lenFramer, gen: lenSmall, size: oneByte, reorderK: 8, dupP: 0.2, overlapP: 0.1},
		scenario{name: "len/random", framer: lenFramer, gen: lenBig, size: upTo(1460)},
		scenario{name: "len/random/reordered/dup/overlap", framer: lenFramer, gen: lenBig, size: upTo(1460), reorderK: 8, dupP: 0.1, overlapP: 0.1},
		scenario{name: "len/small-segments/wrap", framer: lenFramer, gen: lenBig, size: upTo(40), reorderK: 6, dupP: 0.05, overlapP: 0.05, isn: 1<<32 - 20000},
		scenario{name: "len/random/tight-window", framer: lenFramer, gen: lenBig, size: upTo(700), reorderK: 4, dupP: 0.1,
			lim: Limits{MaxBuffered: 5000 + 4*700, MaxHeld: 4}},
	)
	for _, le := range []bool{true, false} {
		order := "be"
		if le {
			order = "le"
		}
		dce := func(rng *rand.Rand) [][]byte { return genDCEPDUs(rng, 100, 16, 4280, le) }
		out = append(out,
			scenario{name: "dce-" + order + "/1-byte/reordered", framer: dceFramer,
				gen: func(rng *rand.Rand) [][]byte { return genDCEPDUs(rng, 20, 16, 400, le) }, size: oneByte, reorderK: 5, dupP: 0.1},
			scenario{name: "dce-" + order + "/random/reordered/dup/overlap", framer: dceFramer, gen: dce, size: upTo(1460), reorderK: 8, dupP: 0.1, overlapP: 0.1},
			scenario{name: "dce-" + order + "/random/wrap", framer: dceFramer, gen: dce, size: upTo(3000), reorderK: 3, isn: 1<<32 - 1000},
		)
	}
	return out
}

// offsets returns where each PDU starts in the concatenated stream.
func offsets(pdus [][]byte) []int {
	out := make([]int, len(pdus))
	off := 0
	for i, p := range pdus {
		out[i] = off
		off += len(p)
	}
	return out
}

func TestStreamDeliversEveryPDU(t *testing.T) {
	for _, sc := range scenarios() {
		t.Run(sc.name, func(t *testing.T) {
			for seed := int64(1); seed <= 25; seed++ {
				rng := rand.New(rand.NewSource(seed))
				pdus := sc.gen(rng)
				b := concat(pdus)
				segs := cutStream(b, sc.size(rng))
				if sc.reorderK > 1 {
					reorder(rng, segs, sc.reorderK)
				}
				if sc.dupP > 0 {
					segs = duplicate(rng, segs, sc.dupP, max(sc.reorderK, 2))
				}
				if sc.overlapP > 0 {
					segs = overlap(rng, b, segs, sc.overlapP, max(sc.reorderK, 2))
				}
				s := NewStream(sc.framer, sc.lim)
				var rec recorder
				syn := Segment{Seq: sc.isn - 1, Flags: SYN, Frame: 0, Time: t0}
				s.Push(&syn, &rec)
				for i, sg := range segs {
					seg := Segment{Seq: sc.isn + uint32(sg.off), Flags: ACK, Payload: sg.data, Frame: uint64(i + 1), Time: t0.Add(time.Duration(i) * time.Millisecond)}
					s.Push(&seg, &rec)
					checkAccounting(t, s)
				}
				samePDUs(t, rec.pdus, pdus)
				offs := offsets(pdus)
				for i, m := range rec.meta {
					if m.Seq != sc.isn+uint32(offs[i]) {
						t.Fatalf("seed %d: PDU %d seq %d, want %d", seed, i, m.Seq, sc.isn+uint32(offs[i]))
					}
					if m.FirstFrame < 1 || m.FirstFrame > m.LastFrame || m.LastFrame > uint64(len(segs)) {
						t.Fatalf("seed %d: PDU %d frames %d..%d of %d", seed, i, m.FirstFrame, m.LastFrame, len(segs))
					}
					if m.AfterGap {
						t.Fatalf("seed %d: PDU %d marked after a gap", seed, i)
					}
				}
				st := s.Stats()
				if st.Gaps != 0 || st.Resyncs != 0 || st.BadHeaders != 0 || st.Skipped != 0 || st.OutOfWindow != 0 || s.Buffered() != 0 {
					t.Fatalf("seed %d: clean stream has stats %+v, buffered %d", seed, st, s.Buffered())
				}
				fin := Segment{Seq: sc.isn + uint32(len(b)), Flags: FIN | ACK, Frame: uint64(len(segs) + 1), Time: t0}
				s.Push(&fin, &rec)
				if !s.Closed() || len(rec.pdus) != len(pdus) {
					t.Fatalf("seed %d: after FIN closed=%v pdus=%d", seed, s.Closed(), len(rec.pdus))
				}
				checkAccounting(t, s)
			}
		})
	}
}

// lossCase describes a stream with one segment lost to the capture.
type lossCase struct {
	name    string
	framer  Framer
	gen     func(rng *rand.Rand) [][]byte
	size    func(rng *rand.Rand) func() int
	reorder int
	reverse bool // reverse each block of reorder segments instead of shuffling it
	dupP    float64
	lim     Limits
	decide  string // how the gap gets decided: "flush", "window", "ack", "rst"
}

func TestStreamLostSegment(t *testing.T) {
	lenGen := func(rng *rand.Rand) [][]byte { return genLenPDUs(rng, 60, 256, 2000) }
	dceGen := func(le bool) func(rng *rand.Rand) [][]byte {
		return func(rng *rand.Rand) [][]byte { return genDCEPDUs(rng, 60, 16, 2000, le) }
	}
	cases := []lossCase{
		{name: "len/random/flush", framer: lenFramer, gen: lenGen, size: upTo(1460), reorder: 4, dupP: 0.1, decide: "flush"},
		{name: "len/1-byte/window", framer: lenFramer, gen: lenGen, size: oneByte, lim: Limits{MaxBuffered: 4096}, decide: "window"},
		{name: "len/random/window", framer: lenFramer, gen: lenGen, size: upTo(300), reorder: 4, dupP: 0.1, lim: Limits{MaxBuffered: 4096}, decide: "window"},
		// Reversed blocks of 3 open a second held range right after the
		// loss, one more than MaxHeld allows.
		{name: "len/random/held-ranges", framer: lenFramer, gen: lenGen, size: upTo(300), reorder: 3, reverse: true, lim: Limits{MaxHeld: 1}, decide: "window"},
		{name: "len/random/ack", framer: lenFramer, gen: lenGen, size: upTo(1460), reorder: 4, decide: "ack"},
		{name: "dce-le/random/flush", framer: dceFramer, gen: dceGen(true), size: upTo(1460), reorder: 4, dupP: 0.1, decide: "flush"},
		{name: "dce-be/random/window", framer: dceFramer, gen: dceGen(false), size: upTo(500), reorder: 4, lim: Limits{MaxBuffered: 6000}, decide: "window"},
		{name: "dce-le/1-byte/ack", framer: dceFramer, gen: dceGen(true), size: oneByte, decide: "ack"},
		{name: "dce-be/random/rst", framer: dceFramer, gen: dceGen(false), size: upTo(1460), reorder: 3, decide: "rst"},
	}
	for _, lc := range cases {
		t.Run(lc.name, func(t *testing.T) {
			for seed := int64(1); seed <= 25; seed++ {
				runLoss(t, lc, seed)
			}
		})
	}
}

func runLoss(t *testing.T, lc lossCase, seed int64) {
	rng := rand.New(rand.NewSource(seed))
	pdus := lc.gen(rng)
	b := concat(pdus)
	segs := cutStream(b, lc.size(rng))
	// Lose one segment from the middle third.
	li := len(segs)/3 + rng.Intn(len(segs)/3)
	lost := segs[li]
	segs = append(segs[:li:li], segs[li+1:]...)
	switch {
	case lc.reverse: // from the loss on, so that only the lost hole is old
		for i := li; i < len(segs); i += lc.reorder {
			slices.Reverse(segs[i:min(i+lc.reorder, len(segs))])
		}
	case lc.reorder > 1:
		reorder(rng, segs, lc.reorder)
	}
	if lc.dupP > 0 {
		segs = duplicate(rng, segs, lc.dupP, max(lc.reorder, 2))
	}
	lostStart, lostEnd := lost.off, lost.off+len(lost.data)
	var want [][]byte
	touchedLen := 0
	for i, off := range offsets(pdus) {
		end := off + len(pdus[i])
		if end <= lostStart || off >= lostEnd {
			want = append(want, pdus[i])
		} else {
			touchedLen += len(pdus[i])
		}
	}
	const isn = 1<<32 - 50000 // the stream wraps, too
	s := NewStream(lc.framer, lc.lim)
	var rec recorder
	syn := Segment{Seq: isn - 1, Flags: SYN, Time: t0}
	s.Push(&syn, &rec)
	for i, sg := range segs {
		seg := Segment{Seq: isn + uint32(sg.off), Flags: ACK, Payload: sg.data, Frame: uint64(i + 1), Time: t0}
		s.Push(&seg, &rec)
		checkAccounting(t, s)
	}
	switch lc.decide {
	case "flush":
		s.Flush(&rec)
	case "ack":
		s.Ack(isn+uint32(len(b)), &rec)
	case "rst":
		rst := Segment{Seq: isn + uint32(len(b)), Flags: RST, Frame: uint64(len(segs) + 1)}
		s.Push(&rst, &rec)
	case "window":
		// Decided while the data was arriving.
	}
	checkAccounting(t, s)
	name := fmt.Sprintf("seed %d (lost [%d,%d) of %d)", seed, lostStart, lostEnd, len(b))
	samePDUs(t, rec.pdus, want)
	st := s.Stats()
	if st.Gaps != 1 || st.GapBytes != uint64(len(lost.data)) || st.Resyncs != 1 {
		t.Fatalf("%s: gaps %d (%d bytes), resyncs %d; want 1 (%d bytes), 1", name, st.Gaps, st.GapBytes, st.Resyncs, len(lost.data))
	}
	if st.Skipped != uint64(touchedLen-len(lost.data)) {
		t.Fatalf("%s: skipped %d, want %d (touched PDUs %d - lost %d)", name, st.Skipped, touchedLen-len(lost.data), touchedLen, len(lost.data))
	}
	if s.Buffered() != 0 || st.BadHeaders != 0 {
		t.Fatalf("%s: buffered %d bad headers %d", name, s.Buffered(), st.BadHeaders)
	}
	// Exactly the first PDU after the hole says so.
	n := 0
	for i, m := range rec.meta {
		if m.AfterGap {
			n++
			if off := int(m.Seq - isn); off < lostEnd {
				t.Fatalf("%s: PDU %d at %d marked after gap but before the hole's end", name, i, off)
			}
		}
	}
	if n != 1 && len(want) > 0 && int(rec.meta[len(rec.meta)-1].Seq-isn) >= lostEnd {
		t.Fatalf("%s: %d PDUs marked after a gap, want 1", name, n)
	}
}

func TestStreamMidstreamStart(t *testing.T) {
	for seed := int64(1); seed <= 40; seed++ {
		rng := rand.New(rand.NewSource(seed))
		le := seed%2 == 0
		pdus := genDCEPDUs(rng, 50, 16, 1500, le)
		b := concat(pdus)
		segs := cutStream(b, upTo(1000)(rng))
		first := 1 + rng.Intn(len(segs)/2)
		if seed%5 == 0 { // start exactly at a PDU: pick the segment with a PDU at its start
			for i, sg := range segs[first:] {
				if isPDUStart(pdus, sg.off) {
					first += i
					break
				}
			}
		}
		segs = segs[first:]
		anchor := segs[0].off
		var want [][]byte
		skipped := 0
		for i, off := range offsets(pdus) {
			if off >= anchor {
				want = append(want, pdus[i])
			} else if off+len(pdus[i]) > anchor {
				skipped = off + len(pdus[i]) - anchor
			}
		}
		isn := rng.Uint32()
		s := NewStream(dceFramer, Limits{})
		var rec recorder
		push(s, isn, segs, &rec)
		samePDUs(t, rec.pdus, want)
		st := s.Stats()
		resyncs := uint64(0)
		if skipped > 0 {
			resyncs = 1
		}
		if !s.Midstream() || st.Resyncs != resyncs || st.BadHeaders != resyncs || st.Skipped != uint64(skipped) || st.Gaps != 0 {
			t.Fatalf("seed %d: midstream %v, stats %+v; want %d resyncs, %d skipped", seed, s.Midstream(), st, resyncs, skipped)
		}
		checkAccounting(t, s)
	}
}

func isPDUStart(pdus [][]byte, at int) bool {
	for _, off := range offsets(pdus) {
		if off == at {
			return true
		}
	}
	return false
}

func TestStreamFrames(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	p := genLenPDUs(rng, 6, 100, 100)
	b := concat(p)
	s := NewStream(lenFramer, Limits{})
	var rec recorder
	at := func(frame uint64, off, end int) {
		seg := Segment{Seq: 1000 + uint32(off), Flags: ACK, Payload: b[off:end], Frame: frame, Time: t0.Add(time.Duration(frame) * time.Second)}
		s.Push(&seg, &rec)
	}
	// PDU 0 over frames 1, 2, 3.
	at(1, 0, 30)
	at(2, 30, 60)
	at(3, 60, 100)
	// PDUs 1, 2, 3 whole in frame 4: straight from the segment.
	at(4, 100, 400)
	// PDU 4: second half first (frame 5), then first half (frame 6).
	at(5, 450, 500)
	at(6, 400, 450)
	// PDU 5 in frame 7 with a retransmission of PDU 4's end.
	at(7, 480, 600)
	want := []struct {
		first, last uint64
		copied      bool
	}{{1, 3, true}, {4, 4, false}, {4, 4, false}, {4, 4, false}, {5, 6, true}, {7, 7, false}}
	if len(rec.meta) != len(want) {
		t.Fatalf("%d PDUs, want %d", len(rec.meta), len(want))
	}
	for i, w := range want {
		m := rec.meta[i]
		if m.FirstFrame != w.first || m.LastFrame != w.last || m.Copied != w.copied {
			t.Errorf("PDU %d: frames %d..%d copied %v; want %d..%d copied %v", i, m.FirstFrame, m.LastFrame, m.Copied, w.first, w.last, w.copied)
		}
		if !m.Time.Equal(t0.Add(time.Duration(m.LastFrame) * time.Second)) {
			t.Errorf("PDU %d: time %v is not that of frame %d", i, m.Time, m.LastFrame)
		}
	}
	if st := s.Stats(); st.DupBytes != 20 || st.Held != 1 || st.Copied != 2 {
		t.Errorf("stats %+v; want 20 duplicate bytes, 1 held segment, 2 copied PDUs", st)
	}
}

func TestStreamBadHeaderResyncs(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	pdus := genDCEPDUs(rng, 4, 40, 80, true)
	garbage := []byte{1, 2, 3, 5, 1, 5, 0, 99, 7, 7, 7}
	b := concat([][]byte{pdus[0], pdus[1], garbage, pdus[2], pdus[3]})
	for _, size := range []int{1, 7, 1000} {
		s := NewStream(dceFramer, Limits{})
		var rec recorder
		push(s, 0, cutStream(b, func() int { return size }), &rec)
		samePDUs(t, rec.pdus, pdus)
		st := s.Stats()
		if st.BadHeaders != 1 || st.Resyncs != 1 || st.Skipped != uint64(len(garbage)) || st.Gaps != 0 {
			t.Fatalf("segment size %d: stats %+v", size, st)
		}
		if !rec.meta[2].AfterGap || rec.meta[3].AfterGap {
			t.Fatalf("segment size %d: AfterGap not on exactly the PDU after the garbage", size)
		}
	}
}

func TestStreamOversizePDU(t *testing.T) {
	rng := rand.New(rand.NewSource(4))
	pdus := genLenPDUs(rng, 3, 300, 300)
	big := genLenPDUs(rng, 1, 2000, 2000)[0]
	b := concat([][]byte{pdus[0], big, pdus[1], pdus[2]})
	s := NewStream(lenFramer, Limits{MaxPDU: 1000})
	var rec recorder
	push(s, 0, cutStream(b, func() int { return 500 }), &rec)
	samePDUs(t, rec.pdus, pdus)
	if st := s.Stats(); st.Oversize != 1 || st.BadHeaders != 1 || st.Resyncs != 1 || st.Skipped != 2000 {
		t.Fatalf("stats %+v", st)
	}
}

func TestStreamOutOfWindowAndClosed(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	pdus := genLenPDUs(rng, 2, 100, 100)
	b := concat(pdus)
	s := NewStream(lenFramer, Limits{})
	var rec recorder
	push(s, 500, []tseg{{0, b[:100]}}, &rec)
	far := Segment{Seq: 500 + 100 + 1<<31, Flags: ACK, Payload: b[100:], Frame: 2}
	s.Push(&far, &rec)
	seq := uint32(600)
	back := Segment{Seq: seq - 1<<30 - 10, Flags: ACK, Payload: b[100:], Frame: 3}
	s.Push(&back, &rec)
	if st := s.Stats(); st.OutOfWindow != 2 || st.Ignored != 200 || len(rec.pdus) != 1 {
		t.Fatalf("stats %+v, %d PDUs", st, len(rec.pdus))
	}
	// FIN ends the stream; data after it is ignored.
	fin := Segment{Seq: 600, Flags: FIN | ACK, Payload: b[100:150], Frame: 4}
	s.Push(&fin, &rec)
	late := Segment{Seq: 650, Flags: ACK, Payload: b[150:], Frame: 5}
	s.Push(&late, &rec)
	if st := s.Stats(); !s.Closed() || st.Skipped != 50 || st.Ignored != 250 || len(rec.pdus) != 1 {
		t.Fatalf("after FIN: closed %v stats %+v", s.Closed(), st)
	}
	checkAccounting(t, s)
}

func TestStreamFINWaitsForHole(t *testing.T) {
	rng := rand.New(rand.NewSource(6))
	pdus := genLenPDUs(rng, 3, 300, 300)
	b := concat(pdus)
	s := NewStream(lenFramer, Limits{})
	var rec recorder
	push(s, 0, []tseg{{0, b[:300]}}, &rec)
	// The last segment, with FIN, arrives before the middle one.
	fin := Segment{Seq: 600, Flags: FIN | ACK, Payload: b[600:], Frame: 2}
	s.Push(&fin, &rec)
	if s.Closed() || len(rec.pdus) != 1 {
		t.Fatalf("closed %v with a hole still open", s.Closed())
	}
	mid := Segment{Seq: 300, Flags: ACK, Payload: b[300:600], Frame: 3}
	s.Push(&mid, &rec)
	samePDUs(t, rec.pdus, pdus)
	if !s.Closed() || s.Stats().Gaps != 0 {
		t.Fatalf("closed %v stats %+v", s.Closed(), s.Stats())
	}

	// When the peer acknowledges the FIN, the hole is decided lost.
	s2 := NewStream(lenFramer, Limits{})
	var rec2 recorder
	push(s2, 0, []tseg{{0, b[:300]}}, &rec2)
	s2.Push(&fin, &rec2)
	s2.Ack(901, &rec2) // the FIN occupies sequence number 900
	if !s2.Closed() || len(rec2.pdus) != 2 || s2.Stats().Gaps != 1 || s2.Stats().GapBytes != 300 {
		t.Fatalf("after FIN ack: closed %v, %d PDUs, stats %+v", s2.Closed(), len(rec2.pdus), s2.Stats())
	}
	checkAccounting(t, s2)

	// An acknowledgement past the hole decides it too; the stream then
	// has every byte before its FIN and ends.
	s3 := NewStream(lenFramer, Limits{})
	var rec3 recorder
	push(s3, 0, []tseg{{0, b[:300]}}, &rec3)
	s3.Push(&fin, &rec3)
	s3.Ack(602, &rec3)
	if !s3.Closed() || len(rec3.pdus) != 2 || s3.Stats().Gaps != 1 {
		t.Fatalf("after ack past the hole: closed %v, %d PDUs, stats %+v", s3.Closed(), len(rec3.pdus), s3.Stats())
	}
}

func TestStreamResetKeepsBuffers(t *testing.T) {
	rng := rand.New(rand.NewSource(8))
	b := concat(genLenPDUs(rng, 10, 500, 1500))
	s := NewStream(lenFramer, Limits{})
	var rec recorder
	push(s, 0, cutStream(b, func() int { return 333 }), &rec)
	buf := &s.buf[0]
	s.Reset(dceFramer, Limits{})
	if s.Stats() != (Stats{}) || s.Buffered() != 0 || s.Closed() || &s.buf[0] != buf {
		t.Fatal("Reset did not clear state or dropped the buffer")
	}
	// Decoding A then B into one stream equals decoding B fresh.
	pdus := genDCEPDUs(rng, 10, 16, 900, false)
	var r1, r2 recorder
	segs := cutStream(concat(pdus), func() int { return 100 })
	push(s, 77, segs, &r1)
	fresh := NewStream(dceFramer, Limits{})
	push(fresh, 77, segs, &r2)
	samePDUs(t, r1.pdus, r2.pdus)
	if s.Stats() != fresh.Stats() {
		t.Fatalf("reused stream stats %+v != fresh %+v", s.Stats(), fresh.Stats())
	}
}

func TestLimitsNormalized(t *testing.T) {
	l := Limits{MaxBuffered: 10, MaxHeld: 5000, MaxPDU: 1 << 20}.normalized()
	if l.MaxBuffered != minBuffered || l.MaxHeld != maxHeldCap || l.MaxPDU != minBuffered {
		t.Fatalf("normalized %+v", l)
	}
	if d := DefaultLimits(); d.MaxBuffered != DefaultMaxBuffered || d.MaxHeld != DefaultMaxHeld || d.MaxPDU != DefaultMaxPDU {
		t.Fatalf("defaults %+v", d)
	}
}

func TestFlagsString(t *testing.T) {
	for f, want := range map[Flags]string{0: "none", SYN | ACK: "SYN|ACK", RST | ACK: "RST|ACK", FIN | PSH | ACK: "FIN|PSH|ACK"} {
		if got := f.String(); got != want {
			t.Errorf("%d: %q, want %q", f, got, want)
		}
	}
}

// sliceErr is an error type that == cannot compare (it would panic).
type sliceErr struct{ b []byte }

func (sliceErr) Error() string { return "slice error" }

// wrapNeed wraps ErrNeedMore the way a framer built on fmt.Errorf might.
type wrapNeed struct{}

func (wrapNeed) Error() string { return "wrapped: need more" }
func (wrapNeed) Unwrap() error { return ErrNeedMore }

func TestFramerErrorTypes(t *testing.T) {
	rng := rand.New(rand.NewSource(11))
	pdus := genLenPDUs(rng, 5, 300, 300)
	garbage := []byte{0xff, 0xfe, 0xfd}
	b := concat([][]byte{pdus[0], garbage, pdus[1], pdus[2], garbage, pdus[3], pdus[4]})
	framer := func(b []byte) (int, error) {
		if len(b) < 4 {
			return 0, wrapNeed{}
		}
		n, err := lenFramer(b)
		if err != nil {
			return 0, sliceErr{b: []byte{1}}
		}
		return n, nil
	}
	s := NewStream(framer, Limits{})
	var rec recorder
	push(s, 0, cutStream(b, func() int { return 2 }), &rec)
	samePDUs(t, rec.pdus, pdus)
	if st := s.Stats(); st.Resyncs != 2 || st.Skipped != 6 {
		t.Fatalf("stats %+v", st)
	}
}

func TestStreamJumpsAndEdges(t *testing.T) {
	rng := rand.New(rand.NewSource(12))
	pdus := genLenPDUs(rng, 4, 300, 300)
	b := concat(pdus)
	at := func(s *Stream, h PDUHandler, seq uint32, f Flags, p []byte) {
		seg := Segment{Seq: seq, Flags: f | ACK, Payload: p, Frame: 1}
		s.Push(&seg, h)
	}

	// Ten megabytes lost to the capture: the next segment is far beyond
	// the window, so the hole is decided at once and framing resumes there.
	s := NewStream(lenFramer, Limits{MaxBuffered: 4096})
	var rec recorder
	at(s, &rec, 100, 0, b[:450]) // PDU 0 and half of PDU 1
	at(s, &rec, 100+10<<20, 0, b[600:])
	samePDUs(t, rec.pdus, [][]byte{pdus[0], pdus[2], pdus[3]})
	if st := s.Stats(); st.Gaps != 1 || st.GapBytes != 10<<20-450 || st.Skipped != 150 || st.Resyncs != 1 {
		t.Fatalf("after a jump: %+v", st)
	}
	checkAccounting(t, s)

	// Mid-stream start, then a retransmission of bytes from before the
	// first one seen: ignored, not duplicate.
	s = NewStream(lenFramer, Limits{})
	rec = recorder{}
	at(s, &rec, 5000+300, 0, b[300:600])
	at(s, &rec, 5000, 0, b[:600])
	if st := s.Stats(); st.Ignored != 300 || st.DupBytes != 300 || st.PDUs != 1 {
		t.Fatalf("before the anchor: %+v", st)
	}

	// A FIN seen beyond a hole, then a RST: the hole and the bytes up to
	// the FIN count as lost.
	s = NewStream(lenFramer, Limits{})
	rec = recorder{}
	at(s, &rec, 0, 0, b[:300])
	at(s, &rec, 600, FIN, b[600:900])
	at(s, &rec, 1000, RST, []byte{1, 2, 3})
	samePDUs(t, rec.pdus, [][]byte{pdus[0], pdus[2]})
	if st := s.Stats(); !s.Closed() || st.Gaps != 1 || st.GapBytes != 300 || st.Ignored != 3 {
		t.Fatalf("FIN then RST: closed %v %+v", s.Closed(), st)
	}
	// A Close with the FIN's data missing entirely counts the bytes up to
	// the FIN as a gap.
	s = NewStream(lenFramer, Limits{})
	at(s, nil, 0, 0, b[:300])
	at(s, nil, 900, FIN, nil)
	s.Close(nil)
	if st := s.Stats(); st.Gaps != 1 || st.GapBytes != 600 || st.PDUs != 1 {
		t.Fatalf("Close before FIN's data: %+v", st)
	}
	checkAccounting(t, s)
}
