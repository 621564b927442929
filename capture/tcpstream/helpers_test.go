package tcpstream

import (
	"encoding/binary"
	"errors"
	"math/rand"
	"sort"
	"testing"

	"github.com/rpcwatch/rpcwatch/dissect/dcetest"
)

var errNotHeader = errors.New("test framer: not a header")

// lenFramer frames records that start with their own length (including the
// 4-byte prefix) as a big-endian uint32, plausible from 4 to 65535.
func lenFramer(b []byte) (int, error) {
	if len(b) < 4 {
		// Reject early what can no longer become a plausible length.
		for _, c := range b[:min(len(b), 2)] {
			if c != 0 {
				return 0, errNotHeader
			}
		}
		return 0, ErrNeedMore
	}
	n := binary.BigEndian.Uint32(b)
	if n < 4 || n > 65535 {
		return 0, errNotHeader
	}
	return int(n), nil
}

// dceFramer frames DCE/RPC connection-oriented PDUs by the header facts of
// C706 chapter 12: rpc_vers 5, rpc_vers_minor 0 or 1, a connection-oriented
// PDU type (request 0, response 2, fault 3, bind 11 to orphaned 19, rts 20),
// a drep of 0x00 or 0x10 with floating-point rep 0..3 and zero reserved
// bytes, frag_length (in drep order, at byte 8) of at least the 16-byte
// header, and an auth_length whose 8-byte sec_trailer and token fit in the
// fragment. It rejects as soon as the bytes it has rule a header out, so
// that resynchronisation does not wait for bytes it does not need.
func dceFramer(b []byte) (int, error) {
	switch {
	case len(b) >= 1 && b[0] != 5,
		len(b) >= 2 && b[1] > 1,
		len(b) >= 3 && !coType(b[2]),
		len(b) >= 5 && b[4] != 0x00 && b[4] != 0x10,
		len(b) >= 6 && b[5] > 3,
		len(b) >= 7 && b[6] != 0,
		len(b) >= 8 && b[7] != 0:
		return 0, errNotHeader
	case len(b) < 12:
		return 0, ErrNeedMore
	}
	var n, auth int
	if b[4] == 0x10 {
		n, auth = int(binary.LittleEndian.Uint16(b[8:])), int(binary.LittleEndian.Uint16(b[10:]))
	} else {
		n, auth = int(binary.BigEndian.Uint16(b[8:])), int(binary.BigEndian.Uint16(b[10:]))
	}
	if n < 16 || (auth > 0 && 16+8+auth > n) {
		return 0, errNotHeader
	}
	return n, nil
}

func coType(t byte) bool { return t == 0 || t == 2 || t == 3 || (t >= 11 && t <= 20) }

// genLenPDUs returns n records of lengths in [lo, hi] whose body bytes are
// all >= 0x80: no window that starts inside a body can read as a plausible
// length, and, with lo >= 256, neither can one that starts inside a length
// prefix, so resynchronisation has exactly one answer.
func genLenPDUs(rng *rand.Rand, n, lo, hi int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		l := lo + rng.Intn(hi-lo+1)
		b := make([]byte, l)
		binary.BigEndian.PutUint32(b, uint32(l))
		for j := 4; j < l; j++ {
			b[j] = 0x80 | byte(rng.Intn(128))
		}
		out[i] = b
	}
	return out
}

// noFive returns a random byte other than 5 (the DCE/RPC version), so that
// only byte 0 of each generated PDU can look like a header.
func noFive(rng *rand.Rand) byte {
	for {
		if c := byte(rng.Intn(256)); c != 5 {
			return c
		}
	}
}

// genDCEPDUs returns n request/response-like CO PDUs of lengths in [lo, hi]
// in the byte order le, built with dcetest.
func genDCEPDUs(rng *rand.Rand, n, lo, hi int, le bool) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		var l int
		for {
			l = lo + rng.Intn(hi-lo+1)
			if byte(l) != 5 && byte(l>>8) != 5 {
				break
			}
		}
		e := dcetest.New(le)
		d := e.Drep()
		ptype := uint8(0) // request
		if i%2 == 1 {
			ptype = 2 // response
		}
		e.U8(5).U8(0).U8(ptype).U8(0x03).Bytes(d[:]).U16(uint16(l)).U16(0)
		e.U32(uint32(noFive(rng)) | uint32(noFive(rng))<<8 | 0x01010000)
		for e.Len() < l {
			e.U8(noFive(rng))
		}
		out[i] = e.B
	}
	return out
}

func concat(pdus [][]byte) []byte {
	var b []byte
	for _, p := range pdus {
		b = append(b, p...)
	}
	return b
}

// tseg is a test segment: a piece of the stream at byte offset off.
type tseg struct {
	off  int
	data []byte
}

// cutStream cuts b into segments of sizes drawn by size.
func cutStream(b []byte, size func() int) []tseg {
	var out []tseg
	for off := 0; off < len(b); {
		n := min(max(size(), 1), len(b)-off)
		out = append(out, tseg{off, b[off : off+n]})
		off += n
	}
	return out
}

// reorder permutes the segments within consecutive blocks of k, so that no
// segment moves more than k-1 places and at most k-1 holes are open at once.
func reorder(rng *rand.Rand, segs []tseg, k int) {
	for i := 0; i < len(segs); i += k {
		b := segs[i:min(i+k, len(segs))]
		rng.Shuffle(len(b), func(x, y int) { b[x], b[y] = b[y], b[x] })
	}
}

// keyed orders test segments: originals at their index, inserted copies
// between two originals.
type keyed struct {
	key float64
	seg tseg
}

func place(ks []keyed) []tseg {
	sort.SliceStable(ks, func(i, j int) bool { return ks[i].key < ks[j].key })
	out := make([]tseg, len(ks))
	for i, k := range ks {
		out[i] = k.seg
	}
	return out
}

// duplicate inserts, with probability p each, a copy of a segment up to k
// places after it (a retransmission).
func duplicate(rng *rand.Rand, segs []tseg, p float64, k int) []tseg {
	ks := make([]keyed, 0, len(segs)*2)
	for i, sg := range segs {
		ks = append(ks, keyed{float64(i), sg})
		if rng.Float64() < p {
			ks = append(ks, keyed{float64(i+1+rng.Intn(k)) - 0.5, sg})
		}
	}
	return place(ks)
}

// overlap inserts, with probability p each, a segment that repacketizes the
// stream across a segment boundary (it covers the end of one segment and the
// start of the next), up to k places later.
func overlap(rng *rand.Rand, b []byte, segs []tseg, p float64, k int) []tseg {
	ks := make([]keyed, 0, len(segs)*2)
	for i, sg := range segs {
		ks = append(ks, keyed{float64(i), sg})
		if rng.Float64() >= p || sg.off+len(sg.data) >= len(b) {
			continue
		}
		start := sg.off + rng.Intn(len(sg.data))
		end := min(sg.off+len(sg.data)+1+rng.Intn(64), len(b))
		ks = append(ks, keyed{float64(i+1+rng.Intn(k)) - 0.25, tseg{start, b[start:end]}})
	}
	return place(ks)
}

// recorder keeps copies of what a stream or conn delivered.
type recorder struct {
	pdus   [][]byte
	meta   []PDU
	events []Event
}

func (r *recorder) PDU(p *PDU) {
	r.pdus = append(r.pdus, append([]byte(nil), p.Data...))
	m := *p
	m.Data = nil
	r.meta = append(r.meta, m)
}

func (r *recorder) Event(e *Event) { r.events = append(r.events, *e) }

// push feeds test segments to s with frame numbers from 1, at sequence
// numbers isn+off.
func push(s *Stream, isn uint32, segs []tseg, h PDUHandler) {
	for i, sg := range segs {
		seg := Segment{Seq: isn + uint32(sg.off), Flags: ACK, Payload: sg.data, Frame: uint64(i + 1), Time: t0}
		s.Push(&seg, h)
	}
}

// checkAccounting asserts that every pushed byte is accounted for.
func checkAccounting(t testing.TB, s *Stream) {
	t.Helper()
	st := s.Stats()
	if got := st.PDUBytes + st.DupBytes + st.Skipped + st.Ignored + uint64(s.Buffered()); got != st.Bytes {
		t.Fatalf("accounting: pdu %d + dup %d + skipped %d + ignored %d + buffered %d = %d, pushed %d",
			st.PDUBytes, st.DupBytes, st.Skipped, st.Ignored, s.Buffered(), got, st.Bytes)
	}
}

func samePDUs(t *testing.T, got, want [][]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d PDUs, want %d", len(got), len(want))
	}
	for i := range got {
		if string(got[i]) != string(want[i]) {
			t.Fatalf("PDU %d differs: got %d bytes %x..., want %d bytes %x...", i, len(got[i]), got[i][:min(16, len(got[i]))], len(want[i]), want[i][:min(16, len(want[i]))])
		}
	}
}
