package tcpstream

import (
	"errors"
	"reflect"
	"time"
)

// maxJump is how far, in bytes, a segment may start from the next expected
// byte before it is dropped as out of window. TCP's largest window is 2^30
// bytes, so anything farther is from another incarnation of the connection,
// corrupt, or forged.
const maxJump = 1 << 30

// headerChunk is how many bytes the stream copies at a time into an
// incomplete PDU whose length the framer cannot tell yet.
const headerChunk = 64

type streamState uint8

const (
	stIdle   streamState = iota // no byte has anchored the sequence space yet
	stOpen                      // anchored; accepting data
	stClosed                    // after FIN (all data in) or RST: further data is ignored
)

// Stream reassembles one direction of a TCP connection and cuts it into PDUs
// with a [Framer]. Bytes are addressed by their position from the stream's
// first byte (a 64-bit count, so sequence-number wraparound is handled once,
// on the way in). Internally:
//
//	pos0            head=pos0+lo      next=pos0+hi
//	 |   delivered   |  incomplete PDU  |  hole  | held |  hole  | held |
//	 buf[0]          buf[lo]            buf[hi]   ranges in held, sorted
//
// A PDU that lies wholly in one in-order segment, with nothing buffered, is
// delivered straight from the segment; everything else goes through buf.
// The zero Stream is not usable: use [NewStream] or Reset.
type Stream struct {
	framer Framer
	lim    Limits
	role   Role

	pool  *Pool  // where buffers come from and go back to when empty; nil: kept
	buf   []byte // len(buf) == cap(buf); only [lo,hi) and held ranges are meaningful
	held  []span // out-of-order ranges above next: sorted, disjoint, not touching
	marks []mark // which frames supplied the buffered bytes

	notMore error     // the last framer error known not to be ErrNeedMore
	ts      time.Time // time of the segment being (or last) pushed
	pdu     PDU       // handed to the handler; lives here so that passing it does not allocate

	cursor
}

// cursor is the per-connection state of a Stream that holds no pointers,
// kept apart so that Reset clears it as one block of memory, with no write
// barriers and no copy through a temporary (clearing the whole Stream as one
// composite literal took about 160 instructions per stream, more than
// pushing an in-order segment).
type cursor struct {
	stats Stats

	state     streamState
	isn       uint32 // sequence number of position 0
	pos0      int64  // position of buf[0]
	lo, hi    int
	want      int  // length the framer reported for the incomplete PDU at lo, 0 if unknown
	resync    bool // framing lost: scanning for a plausible header
	afterGap  bool // bytes lost or skipped since the last PDU
	hasFin    bool
	midstream bool  // anchored by data rather than by a SYN
	finPos    int64 // position of the FIN (one past the last data byte)

	frame uint64 // frame of the segment being (or last) pushed
}

// NewStream returns a stream that frames with f within lim.
func NewStream(f Framer, lim Limits) *Stream {
	s := new(Stream)
	s.Reset(f, lim)
	return s
}

// Reset clears the stream for a new connection, keeping its buffers (so that
// a stream reused from a flow table slot does not allocate again), or, with
// a Pool, giving them back to it.
func (s *Stream) Reset(f Framer, lim Limits) {
	// s.lim is zero (a Stream never reset) or normalized, and normalizing
	// is idempotent: limits equal to the current ones need no work.
	if lim != s.lim || lim.MaxBuffered == 0 {
		lim = lim.normalized()
	}
	if s.pool != nil {
		s.lo, s.hi, s.held = 0, 0, s.held[:0]
		s.release()
	}
	if len(s.buf) > lim.MaxBuffered {
		s.buf = nil
	}
	if cap(s.held) < lim.MaxHeld {
		s.held = nil
	} else {
		s.held = s.held[:0]
	}
	s.marks = s.marks[:0]
	s.framer, s.lim = f, lim
	s.notMore, s.ts, s.pdu = nil, time.Time{}, PDU{}
	s.cursor = cursor{}
}

// Stats returns the stream's counters.
func (s *Stream) Stats() Stats { return s.stats }

// Buffered returns how many bytes the stream holds (incomplete PDU plus
// out-of-order data).
func (s *Stream) Buffered() int {
	n := s.hi - s.lo
	for _, r := range s.held {
		n += int(r.end - r.start)
	}
	return n
}

// Closed reports whether the stream has ended (FIN with all data in, RST,
// or Close): later data is counted as ignored.
func (s *Stream) Closed() bool { return s.state == stClosed }

// Midstream reports whether the stream was anchored by data rather than by a
// SYN (the capture started after the handshake).
func (s *Stream) Midstream() bool { return s.midstream }

func (s *Stream) next() int64 { return s.pos0 + int64(s.hi) }
func (s *Stream) head() int64 { return s.pos0 + int64(s.lo) }
func (s *Stream) idx(pos int64) int {
	return int(pos - s.pos0)
}

// posOf maps a sequence number to a stream position near the next expected
// byte, across wraparound.
func (s *Stream) posOf(seq uint32) int64 {
	next := s.next()
	return next + int64(int32(seq-(s.isn+uint32(next))))
}

// Push feeds one segment of this direction and delivers, through h, every
// PDU it completes. h may be nil to discard PDUs (they are still counted).
//
// A SYN anchors the stream at its sequence number + 1. Without one, the
// first segment with payload (or a FIN) anchors it at its own sequence
// number; if that is not at a PDU header, the framer's "no" starts a
// resynchronisation. A FIN ends the stream once every byte before it is in;
// a RST ends it at once. Either way, held data is framed past its holes and
// an incomplete PDU left at the end is discarded (counted in Skipped).
func (s *Stream) Push(seg *Segment, h PDUHandler) {
	k := sink{pdu: h}
	s.push(seg, &k)
}

// sink is where a stream delivers PDUs: the Handler of its Conn, or the
// PDUHandler given to one of its exported methods. Carrying whichever was
// given saves converting a Conn's Handler to a PDUHandler at each call into
// a stream (an interface-table lookup of about 20 instructions, of some 300
// per segment). A sink lives on its creator's stack.
type sink struct {
	conn Handler
	pdu  PDUHandler
}

func (k *sink) deliver(p *PDU) {
	if k.conn != nil {
		k.conn.PDU(p)
	} else if k.pdu != nil {
		k.pdu.PDU(p)
	}
}

func (s *Stream) push(seg *Segment, h *sink) {
	n := len(seg.Payload)
	s.stats.Segments++
	s.stats.Bytes += uint64(n)
	f := seg.Flags
	if s.state == stClosed {
		s.stats.Ignored += uint64(n)
		return
	}
	s.frame, s.ts = seg.Frame, seg.Time
	if f&RST != 0 {
		s.stats.Ignored += uint64(n)
		if s.state == stOpen {
			s.close(h)
		}
		s.state = stClosed
		return
	}
	if s.state == stIdle {
		switch {
		case f&SYN != 0:
			s.anchor(seg.Seq + 1)
		case n > 0 || f&FIN != 0:
			s.anchor(seg.Seq)
			s.midstream = true
		default:
			return // a bare ACK anchors nothing
		}
	}
	p := s.posOf(seg.Seq)
	if f&SYN != 0 {
		p++
	}
	if d := p - s.next(); d > maxJump || d < -maxJump {
		s.stats.OutOfWindow++
		s.stats.Ignored += uint64(n)
		return
	}
	end := p + int64(n)
	if f&FIN != 0 && !s.hasFin && end >= s.next() {
		s.hasFin, s.finPos = true, end
	}
	if n > 0 {
		if p == s.next() && s.lo == s.hi && len(s.held) == 0 && p >= 0 && (!s.hasFin || end <= s.finPos) {
			// In order with nothing buffered or held, nothing to trim:
			// what insert would do, without its checks.
			s.inOrder(p, seg.Payload, h)
		} else {
			s.insert(p, seg.Payload, h)
		}
	}
	s.checkFin(h)
}

// checkFin ends the stream once every byte before its FIN is in. The test
// of hasFin is inlined into the callers; the rest runs for a FIN only.
func (s *Stream) checkFin(h *sink) {
	if s.hasFin {
		s.finIn(h)
	}
}

func (s *Stream) finIn(h *sink) {
	if s.state == stOpen && s.next() >= s.finPos {
		s.close(h)
	}
}

// Ack tells the stream that its peer acknowledged every byte before sequence
// number ack. An acknowledgement that reaches past a hole into data the
// stream holds proves the hole was delivered to the peer and lost only to
// the capture: the hole is declared lost at once rather than when a bound is
// hit. An acknowledgement of the FIN ends the stream the same way.
func (s *Stream) Ack(ack uint32, h PDUHandler) {
	if s.acking() {
		k := sink{pdu: h}
		s.ackHeld(ack, &k)
	}
}

// ack is Ack for a Conn.
func (s *Stream) ack(ack uint32, h *sink) {
	if s.acking() {
		s.ackHeld(ack, h)
	}
}

// acking reports whether an acknowledgement can change anything. Most find
// nothing held and no FIN: this test is inlined into the callers, the rest
// (ackHeld) is not.
func (s *Stream) acking() bool {
	return s.state == stOpen && (len(s.held) > 0 || s.hasFin)
}

func (s *Stream) ackHeld(ack uint32, h *sink) {
	a := s.posOf(ack)
	if d := a - s.next(); d > maxJump || d < -maxJump {
		return
	}
	if s.hasFin && a > s.finPos {
		s.close(h)
		return
	}
	for len(s.held) > 0 && a >= s.held[0].start {
		s.skipTo(s.held[0].start, h)
	}
	s.checkFin(h)
}

// Flush declares every hole lost, delivers the PDUs that held data then
// completes, and discards an incomplete PDU at the end (the caller decided
// the stream has gone idle, or the capture ended). The stream stays open:
// data that arrives later resynchronises.
func (s *Stream) Flush(h PDUHandler) {
	if s.state == stOpen {
		k := sink{pdu: h}
		s.flushOpen(&k)
	}
}

// flush is Flush for a Conn. The test is inlined: a stream that never
// opened, or closed, costs no call.
func (s *Stream) flush(h *sink) {
	if s.state == stOpen {
		s.flushOpen(h)
	}
}

func (s *Stream) flushOpen(h *sink) {
	for len(s.held) > 0 {
		s.skipTo(s.held[0].start, h)
	}
	if s.hi > s.lo {
		s.stats.Skipped += uint64(s.hi - s.lo)
		s.lo = s.hi
		s.resync, s.afterGap = true, true
	}
	s.want = 0
	s.settle()
}

// Close flushes the stream and ends it: later data is ignored.
func (s *Stream) Close(h PDUHandler) {
	k := sink{pdu: h}
	s.close(&k)
}

func (s *Stream) close(h *sink) {
	s.flush(h)
	if s.state == stOpen && s.hasFin && s.finPos > s.next() {
		s.countGap(s.finPos - s.next())
	}
	s.state = stClosed
}

func (s *Stream) anchor(isn uint32) {
	s.state = stOpen
	s.isn = isn
	s.pos0, s.lo, s.hi = 0, 0, 0
}

// insert accepts payload d at position p.
func (s *Stream) insert(p int64, d []byte, h *sink) {
	if p < 0 { // before the stream's first byte (it started mid-conversation)
		k := min(-p, int64(len(d)))
		s.stats.Ignored += uint64(k)
		d, p = d[k:], p+k
	}
	if s.hasFin && p+int64(len(d)) > s.finPos {
		k := max(s.finPos-p, 0)
		s.stats.Ignored += uint64(int64(len(d)) - k)
		d = d[:k]
	}
	for len(d) > 0 {
		next := s.next()
		if p < next {
			k := min(next-p, int64(len(d)))
			s.stats.DupBytes += uint64(k)
			d, p = d[k:], p+k
			continue
		}
		if p == next && len(s.held) == 0 {
			if s.lo == s.hi {
				s.inOrder(p, d, h)
				return
			}
			// An incomplete PDU is buffered: copy only what it needs.
			have := s.hi - s.lo
			take := len(d)
			if s.want > 0 {
				take = min(take, s.want-have)
			} else {
				take = min(take, headerChunk, s.lim.MaxPDU-have)
			}
			s.ensure(p + int64(take))
			copy(s.buf[s.hi:], d[:take])
			s.hi += take
			s.addMark(p)
			d, p = d[take:], p+int64(take)
			s.drain(h)
			continue
		}
		// Out-of-order data, or in-order data while out-of-order data
		// is held: everything goes through the buffer.
		limit := s.head() + int64(s.lim.MaxBuffered)
		if p >= limit {
			s.skipOldest(p, h)
			continue
		}
		e := min(p+int64(len(d)), limit)
		if p > next && !s.canHold(p, e) {
			s.skipOldest(p, h)
			continue
		}
		piece := d[:e-p]
		s.ensure(e)
		if s.write(p, piece) > 0 {
			s.addMark(p)
			if p > next {
				s.stats.Held++
			}
		}
		if p == next {
			s.hi = s.idx(e)
			s.promote()
			s.drain(h)
		} else {
			s.addHeld(p, e)
		}
		d, p = d[len(piece):], e
	}
}

// inOrder is the fast path: d starts at the next expected position p with
// nothing buffered or held. PDUs are cut and delivered straight from the
// segment's bytes; only an incomplete tail is copied to the buffer. A
// segment of whole PDUs touches no buffer.
func (s *Stream) inOrder(p int64, d []byte, h *sink) {
	k := 0
	for k < len(d) {
		b := d[k:]
		n, err := s.framer(b)
		if err != nil || n <= 0 || n > s.lim.MaxPDU || n > len(b) {
			// Anything but a whole PDU: step's judgement.
			if n = s.judge(b, n, err); n == 0 {
				break
			}
			if n < 0 {
				k += -n
				s.stats.Skipped += uint64(-n)
				continue
			}
		}
		s.want = 0
		s.emit(h, b[:n], p+int64(k), false)
		k += n
	}
	d, p = d[k:], p+int64(k)
	s.pos0, s.lo, s.hi = p, 0, 0
	s.marks = s.marks[:0]
	if len(d) > 0 {
		s.ensure(p + int64(len(d)))
		s.hi = copy(s.buf, d)
		s.addMark(p)
	} else {
		s.release()
	}
}

// drain cuts PDUs from the in-order bytes in the buffer.
func (s *Stream) drain(h *sink) {
	for s.lo < s.hi {
		b := s.buf[s.lo:s.hi]
		n := s.step(b)
		if n > 0 {
			s.emit(h, b[:n], s.head(), true)
			s.lo += n
			continue
		}
		if n < 0 {
			s.lo += -n
			s.stats.Skipped += uint64(-n)
			continue
		}
		break
	}
	s.settle()
}

// step asks the framer about the bytes at the framing position. It returns
// the length of a complete PDU at b[0]; 0 when more bytes are needed (with
// want set when the length is known); -k when none of b[0:k] can start a
// PDU (k is 1 unless the framer said more, see Framer).
func (s *Stream) step(b []byte) int {
	n, err := s.framer(b)
	return s.judge(b, n, err)
}

// judge is step given the framer's answer (n, err) for b.
func (s *Stream) judge(b []byte, n int, err error) int {
	skip := 1
	switch {
	case err == nil && n > 0 && n <= s.lim.MaxPDU:
		if n <= len(b) {
			s.want = 0
			return n
		}
		s.want = n
		return 0
	case err == nil && n > s.lim.MaxPDU:
		s.stats.Oversize++
	case err != nil && s.needMore(err):
		if len(b) < s.lim.MaxPDU {
			s.want = 0
			return 0
		}
		// The framer cannot decide within MaxPDU bytes: not a header.
	case err != nil && n > 1:
		skip = min(n, len(b))
	}
	s.want = 0
	if !s.resync {
		s.resync = true
		s.afterGap = true
		s.stats.BadHeaders++
	}
	return -skip
}

// needMore reports whether err is ErrNeedMore, wrapped or not. Framers
// usually answer "no" with one sentinel error; the last one seen is
// remembered so that scanning byte by byte does not unwrap it every time.
func (s *Stream) needMore(err error) bool {
	if err == ErrNeedMore {
		return true
	}
	if err == s.notMore {
		return false
	}
	if errors.Is(err, ErrNeedMore) {
		return true
	}
	if reflect.TypeOf(err).Comparable() { // == on it cannot panic
		s.notMore = err
	}
	return false
}

// emit hands one PDU to h.
func (s *Stream) emit(h *sink, b []byte, pos int64, copied bool) {
	// Every field of the PDU is assigned, one by one: a composite literal
	// went through a temporary (TestPDUFields lists the fields).
	p := &s.pdu
	p.Data, p.Seq, p.From, p.Copied, p.AfterGap = b, s.isn+uint32(pos), s.role, copied, s.afterGap
	if copied {
		p.FirstFrame, p.LastFrame, p.Time = s.frames(pos, pos+int64(len(b)))
		s.stats.Copied++
	} else {
		p.FirstFrame, p.LastFrame, p.Time = s.frame, s.frame, s.ts
	}
	if s.resync {
		s.resync = false
		s.stats.Resyncs++
	}
	s.afterGap = false
	s.stats.PDUs++
	s.stats.PDUBytes += uint64(len(b))
	h.deliver(p)
	p.Data = nil
}

// skipOldest declares the oldest hole lost to make room for data at p: the
// stream resumes at the first held range, or at p when nothing is held.
func (s *Stream) skipOldest(p int64, h *sink) {
	if len(s.held) > 0 {
		s.skipTo(s.held[0].start, h)
		return
	}
	s.skipTo(p, h)
}

// skipTo declares the bytes from the next expected position up to `to` lost,
// discards the incomplete PDU before them, and resumes framing at `to` (the
// start of the first held range, or any position when nothing is held) in
// resynchronisation mode.
func (s *Stream) skipTo(to int64, h *sink) {
	s.countGap(to - s.next())
	s.stats.Skipped += uint64(s.hi - s.lo)
	s.want = 0
	s.resync, s.afterGap = true, true
	if len(s.held) > 0 && s.held[0].start == to {
		s.lo = s.idx(to)
		s.hi = s.lo
		s.promote()
		s.drain(h)
		return
	}
	s.pos0, s.lo, s.hi = to, 0, 0
	s.marks = s.marks[:0]
}

func (s *Stream) countGap(n int64) {
	if n > 0 {
		s.stats.Gaps++
		s.stats.GapBytes += uint64(n)
	}
}

// settle resets the buffer when it is empty and forgets frame records for
// bytes already gone.
func (s *Stream) settle() {
	if s.lo == s.hi && len(s.held) == 0 {
		s.pos0, s.lo, s.hi = s.next(), 0, 0
		s.marks = s.marks[:0]
		s.release()
		return
	}
	s.consumeMarks(s.head())
}

// ensure makes the buffer cover positions up to e (exclusive). The caller
// has checked that e - head <= MaxBuffered.
func (s *Stream) ensure(e int64) {
	need := s.idx(e)
	if need <= len(s.buf) {
		return
	}
	live := s.hi
	if n := len(s.held); n > 0 {
		live = s.idx(s.held[n-1].end)
	}
	if s.lo > 0 { // compact: move the live bytes to the front
		copy(s.buf, s.buf[s.lo:live])
		s.pos0 += int64(s.lo)
		s.hi -= s.lo
		live -= s.lo
		need -= s.lo
		s.lo = 0
		if need <= len(s.buf) {
			return
		}
	}
	c := max(need, 2*len(s.buf), 1024)
	c = min(c, s.lim.MaxBuffered)
	var nb []byte
	if s.pool != nil {
		nb = s.pool.buf(c, s.lim.MaxBuffered)
	} else {
		nb = make([]byte, c)
	}
	copy(nb, s.buf[:live])
	if s.pool != nil && s.buf != nil {
		s.pool.putBuf(s.buf)
	}
	s.buf = nb
}
