package capture

import (
	"math/rand"
	"net/netip"
	"sort"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"github.com/rpcwatch/rpcwatch/capture/decode"
	"github.com/rpcwatch/rpcwatch/dissect/event"
	"github.com/rpcwatch/rpcwatch/internal/pcaptest"
)

// The tests in this file take a real capture apart into its TCP segments and
// send the same bytes again cut differently: 1-byte segments, random small
// pieces reordered within a window, every piece duplicated with overlapping
// retransmissions, and one piece lost. The bindings that come out must not
// depend on how the bytes were cut.

const resegCapture = "../testdata/samba-epm-loopback.pcap"

// resegFrame is one frame of the original capture. For TCP frames the layers
// are decoded (and are copied, never modified, when pieces are built).
type resegFrame struct {
	num     int // original frame number
	ts      time.Time
	link    decode.LinkType
	raw     []byte // the frame as captured (sent unchanged when not TCP)
	isTCP   bool
	eth     layers.Ethernet
	ip      layers.IPv4
	tcp     layers.TCP
	payload []byte
	dir     [2]netip.AddrPort // source, destination
}

// resegPiece is payload bytes [off, off+n) of a TCP frame, sent as a segment
// of its own (n == 0 with off == 0: the frame's control segment or bare ACK).
type resegPiece struct {
	f      *resegFrame
	off, n int
}

// resegFrames reads and decodes the capture.
func resegFrames(t *testing.T) []*resegFrame {
	t.Helper()
	frames, _ := pcaptest.Frames(t, resegCapture)
	out := make([]*resegFrame, 0, len(frames))
	for _, fr := range frames {
		f := &resegFrame{num: fr.Number, ts: fr.Time, link: decode.LinkType(fr.Link), raw: fr.Data}
		pkt := gopacket.NewPacket(fr.Data, fr.Link, gopacket.Default)
		eth, _ := pkt.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
		ip, _ := pkt.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
		tcp, _ := pkt.Layer(layers.LayerTypeTCP).(*layers.TCP)
		if eth != nil && ip != nil && tcp != nil && pkt.ErrorLayer() == nil {
			f.isTCP = true
			f.eth, f.ip, f.tcp = *eth, *ip, *tcp
			f.payload = tcp.Payload
			sa, _ := netip.AddrFromSlice(ip.SrcIP)
			da, _ := netip.AddrFromSlice(ip.DstIP)
			f.dir = [2]netip.AddrPort{netip.AddrPortFrom(sa.Unmap(), uint16(tcp.SrcPort)),
				netip.AddrPortFrom(da.Unmap(), uint16(tcp.DstPort))}
			if len(f.payload) > 0 && (tcp.SYN || tcp.RST) {
				t.Fatalf("frame %d: SYN or RST with payload; the re-segmenter does not handle it", f.num)
			}
		}
		out = append(out, f)
	}
	return out
}

// resegOut collects the re-emitted frames (serialised) and, for each, the
// original frame its bytes came from.
type resegOut struct {
	t      *testing.T
	frames [][]byte
	times  []time.Time
	orig   []int
	buf    gopacket.SerializeBuffer
}

func newResegOut(t *testing.T) *resegOut {
	return &resegOut{t: t, buf: gopacket.NewSerializeBuffer()}
}

// raw re-emits a frame unchanged.
func (o *resegOut) raw(f *resegFrame) {
	o.frames = append(o.frames, f.raw)
	o.times = append(o.times, f.ts)
	o.orig = append(o.orig, f.num)
}

// piece builds and emits one segment carrying payload [off, off+n) of f:
// seq moves by off, SYN stays on the first piece, FIN and PSH on the one that
// ends the original payload.
func (o *resegOut) piece(p resegPiece) {
	f := p.f
	eth, ip, tcp := f.eth, f.ip, f.tcp
	tcp.Seq = f.tcp.Seq + uint32(p.off)
	if p.off > 0 {
		tcp.SYN = false
	}
	if p.off+p.n < len(f.payload) {
		tcp.FIN, tcp.PSH = false, false
	}
	if err := tcp.SetNetworkLayerForChecksum(&ip); err != nil {
		o.t.Fatal(err)
	}
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(o.buf, opts, &eth, &ip, &tcp,
		gopacket.Payload(f.payload[p.off:p.off+p.n])); err != nil {
		o.t.Fatalf("frame %d piece %d+%d: %v", f.num, p.off, p.n, err)
	}
	o.frames = append(o.frames, append([]byte(nil), o.buf.Bytes()...))
	o.times = append(o.times, f.ts)
	o.orig = append(o.orig, f.num)
}

// resegPlan says how to cut and send the traffic.
type resegPlan struct {
	// cut returns the lengths of the pieces payload of length n is cut in.
	cut func(rng *rand.Rand, n int) []int
	// window > 0 reorders the pieces of a batch: each moves at most
	// window places.
	window int
	// dup sends every piece twice and, with probability 1/4, a segment
	// covering a piece and the one before it, after both.
	dup bool
	// drop, when non-zero, is the original frame in which the middle
	// piece is not sent.
	drop int
	// keepFirst sends the first payload-carrying frame of each connection
	// whole and in place. The pipeline decides whether a conversation is
	// DCE/RPC from its first payload segments and drops the payload of
	// those it has not yet recognised, so a connection whose first segment
	// is shorter than a CO header (16 bytes) or not at a header is never
	// reassembled (see TestResegmentSameBindings/Strict*).
	keepFirst bool
}

// resegment re-emits frames according to plan. Pieces of consecutive
// payload-carrying frames sent in one direction of one connection form a
// batch, reordered within the plan's window; any other frame (the other
// direction, a bare ACK, SYN, FIN, RST, another connection, non-TCP) ends
// the batch and keeps its place. So no acknowledgement overtakes the data it
// acknowledges, and control segments stay where they were relative to their
// connection's data.
func resegment(t *testing.T, frames []*resegFrame, plan resegPlan, seed int64) *resegOut {
	rng := rand.New(rand.NewSource(seed))
	o := newResegOut(t)
	var batch []resegPiece
	var batchDir [2]netip.AddrPort
	seen := map[[2]netip.AddrPort]bool{} // connections whose first payload was sent
	flush := func() {
		if plan.window > 0 && len(batch) > 1 {
			keys := make([]float64, len(batch))
			for i := range keys {
				keys[i] = float64(i) + rng.Float64()*float64(plan.window)
			}
			sort.Sort(byKey{batch, keys})
		}
		for _, p := range batch {
			o.piece(p)
		}
		batch = batch[:0]
	}
	for _, f := range frames {
		if !f.isTCP || len(f.payload) == 0 || f.tcp.FIN {
			flush()
			if f.isTCP {
				o.piece(resegPiece{f: f})
			} else {
				o.raw(f)
			}
			continue
		}
		if len(batch) > 0 && batchDir != f.dir {
			flush()
		}
		conn := f.dir
		if conn[1].Compare(conn[0]) < 0 {
			conn[0], conn[1] = conn[1], conn[0]
		}
		if plan.keepFirst && !seen[conn] {
			seen[conn] = true
			flush()
			o.piece(resegPiece{f: f, n: len(f.payload)})
			continue
		}
		batchDir = f.dir
		lens := plan.cut(rng, len(f.payload))
		mid := len(lens) / 2
		off := 0
		for i, n := range lens {
			p := resegPiece{f: f, off: off, n: n}
			off += n
			if plan.drop == f.num && i == mid {
				t.Logf("dropping bytes %d..%d of frame %d (%d bytes)", p.off, p.off+p.n, f.num, len(f.payload))
				continue
			}
			batch = append(batch, p)
			if plan.dup {
				batch = append(batch, p)
				if i > 0 && rng.Intn(4) == 0 {
					batch = append(batch, resegPiece{f: f, off: p.off - lens[i-1], n: lens[i-1] + n})
				}
			}
		}
		if off != len(f.payload) {
			t.Fatalf("frame %d: cut into %d bytes, payload has %d", f.num, off, len(f.payload))
		}
	}
	flush()
	return o
}

type byKey struct {
	p []resegPiece
	k []float64
}

func (b byKey) Len() int           { return len(b.p) }
func (b byKey) Less(i, j int) bool { return b.k[i] < b.k[j] }
func (b byKey) Swap(i, j int) {
	b.p[i], b.p[j] = b.p[j], b.p[i]
	b.k[i], b.k[j] = b.k[j], b.k[i]
}

func cutOnes(_ *rand.Rand, n int) []int {
	l := make([]int, n)
	for i := range l {
		l[i] = 1
	}
	return l
}

func cutRandom(rng *rand.Rand, n int) []int {
	var l []int
	for n > 0 {
		k := min(1+rng.Intn(7), n)
		l = append(l, k)
		n -= k
	}
	return l
}

// resegRun feeds the frames through a fresh pipeline; frames are numbered by
// their index.
func resegRun(t *testing.T, frames [][]byte, times []time.Time) ([]event.Event, Stats) {
	t.Helper()
	c := &collected{}
	p, err := New(Config{}, c.handle)
	if err != nil {
		t.Fatal(err)
	}
	for i, fr := range frames {
		p.Packet(decode.LinkTypeEthernet, fr, int64(i+1), times[i])
	}
	return c.events, p.Finish()
}

// bindingKey identifies a binding event for comparison across runs.
func bindingKey(e *event.Event) string {
	return e.Binding.String() + "|" + e.BindingIface.UUID.String() + "|" + e.Server.String()
}

func bindingSet(evs []event.Event) map[string]int {
	m := map[string]int{}
	for i := range evs {
		if evs[i].Kind == event.KindBinding {
			m[bindingKey(&evs[i])]++
		}
	}
	return m
}

// diffSets reports every key whose count differs.
func diffSets(t *testing.T, got, want map[string]int) {
	t.Helper()
	n := 0
	for k, w := range want {
		if g := got[k]; g != w {
			if n++; n <= 10 {
				t.Errorf("binding %s: %d, want %d", k, g, w)
			}
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			if n++; n <= 10 {
				t.Errorf("binding %s: %d, not in the original", k, g)
			}
		}
	}
	if n > 10 {
		t.Errorf("... %d differing bindings in all", n)
	}
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// resegOriginal runs the capture as it is.
func resegOriginal(t *testing.T, frames []*resegFrame) ([]event.Event, Stats) {
	t.Helper()
	raw := make([][]byte, len(frames))
	times := make([]time.Time, len(frames))
	for i, f := range frames {
		if f.link != decode.LinkTypeEthernet {
			t.Fatalf("frame %d: link type %d, want Ethernet", f.num, f.link)
		}
		raw[i], times[i] = f.raw, f.ts
	}
	return resegRun(t, raw, times)
}

// skipIfMisjudged fails a strict variant when the pipeline judged
// conversations not DCE/RPC that the original capture showed were (the
// pipeline once decided from the first segments alone and lost 1-byte and
// reordered starts).
func skipIfMisjudged(t *testing.T, st, orig Stats) {
	t.Helper()
	if st.NonRPCFlows > orig.NonRPCFlows {
		t.Fatalf("%d conversations judged not DCE/RPC (original: %d); stream stats %+v",
			st.NonRPCFlows, orig.NonRPCFlows, st.Streams)
	}
}

var resegVariants = []struct {
	name string
	plan resegPlan
}{
	{"OneByte", resegPlan{cut: cutOnes}},
	{"RandomReordered", resegPlan{cut: cutRandom, window: 4}},
	{"Duplicated", resegPlan{cut: cutRandom, window: 4, dup: true}},
}

// TestResegmentSameBindings checks that 1-byte segments, random small
// pieces reordered within a window, and duplicated pieces with overlapping
// retransmissions give the bindings of the original capture, with no gap.
// Each variant runs strictly (every payload cut) and with the first payload
// segment of each connection kept whole (which isolates reassembly from the
// pipeline's RPC recognition).
func TestResegmentSameBindings(t *testing.T) {
	frames := resegFrames(t)
	if len(frames) != 545 {
		t.Fatalf("%d frames, want 545", len(frames))
	}
	origEv, origSt := resegOriginal(t, frames)
	want := bindingSet(origEv)
	if total(want) < 38 {
		t.Fatalf("original capture gave %d bindings, want at least 38", total(want))
	}
	if origSt.Streams.Gaps != 0 {
		t.Fatalf("original capture: %d gaps", origSt.Streams.Gaps)
	}
	t.Logf("original: %d frames, %d bindings (%d distinct), %d PDUs", len(frames), total(want), len(want), origSt.PDUs)

	for _, tc := range resegVariants {
		for _, keepFirst := range []bool{false, true} {
			name := tc.name + "/Strict"
			if keepFirst {
				name = tc.name + "/FirstWhole"
			}
			plan := tc.plan
			plan.keepFirst = keepFirst
			t.Run(name, func(t *testing.T) {
				for seed := int64(1); seed <= 2; seed++ {
					o := resegment(t, frames, plan, seed)
					evs, st := resegRun(t, o.frames, o.times)
					if !keepFirst {
						skipIfMisjudged(t, st, origSt)
					}
					got := bindingSet(evs)
					diffSets(t, got, want)
					s := st.Streams
					if s.Gaps != 0 || s.GapBytes != 0 || s.Skipped != 0 || s.Resyncs != 0 || s.BadHeaders != 0 {
						t.Errorf("seed %d: stream stats show loss: %+v", seed, s)
					}
					if st.PDUs != origSt.PDUs || st.PDUErrors != 0 || st.DecodeErrors != 0 {
						t.Errorf("seed %d: %d PDUs (%d errors, %d decode errors), original %d",
							seed, st.PDUs, st.PDUErrors, st.DecodeErrors, origSt.PDUs)
					}
					t.Logf("seed %d: %d frames, %d bindings; streams %+v", seed, len(o.frames), total(got), s)
					if t.Failed() || plan.window == 0 && !plan.dup {
						break // a failure, or a cut that does not use the seed
					}
				}
			})
		}
	}
}

// TestResegmentLostSegment drops one piece in the middle of the first
// fragment of the 38-entry ept_lookup response: that call's bindings must
// be lost, every other binding must come out, none may be invented, and the
// stream must count one gap and one resynchronisation.
func TestResegmentLostSegment(t *testing.T) {
	frames := resegFrames(t)
	origEv, origSt := resegOriginal(t, frames)
	// Frame 10 holds the first fragment (4280 bytes) of the 38-entry
	// ept_lookup response; frame 11 the second.
	const lost = 10
	if n := len(frames[lost-1].payload); n < 1000 {
		t.Fatalf("frame %d carries %d bytes, want a long response", lost, n)
	}
	want := map[string]int{}    // bindings the loss does not touch
	missing := map[string]int{} // bindings of the call the loss cut
	for i := range origEv {
		e := &origEv[i]
		if e.Kind != event.KindBinding {
			continue
		}
		if e.FirstFrame <= lost && lost <= e.Frame {
			missing[bindingKey(e)]++
		} else {
			want[bindingKey(e)]++
		}
	}
	if total(missing) != 38 {
		t.Fatalf("the original response through frame %d gave %d bindings, want 38", lost, total(missing))
	}
	for _, keepFirst := range []bool{false, true} {
		name := "Strict"
		if keepFirst {
			name = "FirstWhole"
		}
		t.Run(name, func(t *testing.T) {
			for seed := int64(1); seed <= 3; seed++ {
				o := resegment(t, frames, resegPlan{cut: cutRandom, drop: lost, keepFirst: keepFirst}, seed)
				evs, st := resegRun(t, o.frames, o.times)
				if !keepFirst {
					skipIfMisjudged(t, st, origSt)
				}
				got := bindingSet(evs)
				diffSets(t, got, want)
				for i := range evs {
					if e := &evs[i]; e.Kind == event.KindBinding && o.orig[e.FirstFrame-1] <= lost+1 && lost <= o.orig[e.Frame-1] {
						t.Errorf("seed %d: binding %s from the response cut by the loss", seed, bindingKey(e))
					}
				}
				s := st.Streams
				// Exactly one hole, the dropped piece (1..7 bytes). The
				// rest of the cut fragment is skipped while scanning
				// for a header, and framing is re-acquired once, at
				// the second fragment, which arrives without its first.
				if s.Gaps != 1 || s.GapBytes < 1 || s.GapBytes > 7 {
					t.Errorf("seed %d: gaps %d (%d bytes), want 1 of 1..7 bytes", seed, s.Gaps, s.GapBytes)
				}
				if s.Resyncs != 1 {
					t.Errorf("seed %d: resyncs %d, want 1", seed, s.Resyncs)
				}
				// Every byte of the cut fragment is either lost or
				// skipped (the prefix before the hole is discarded,
				// the rest scanned over), and only that fragment's
				// PDU is missing.
				if n := len(frames[lost-1].payload); s.Skipped+s.GapBytes != uint64(n) {
					t.Errorf("seed %d: skipped %d + lost %d bytes, want the cut fragment's %d", seed, s.Skipped, s.GapBytes, n)
				}
				if s.PDUs != origSt.Streams.PDUs-1 || s.BadHeaders != 0 {
					t.Errorf("seed %d: %d stream PDUs (%d bad headers), want the original %d less the cut one",
						seed, s.PDUs, s.BadHeaders, origSt.Streams.PDUs)
				}
				if st.COReasm.Orphans == 0 {
					t.Errorf("seed %d: no orphan fragment counted; the second fragment should arrive alone", seed)
				}
				t.Logf("seed %d: %d frames, %d bindings (original %d); streams %+v; CO %+v",
					seed, len(o.frames), total(got), total(want)+total(missing), s, st.COReasm)
			}
		})
	}
}
