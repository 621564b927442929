package tcpstream

// Pool lends reassembly buffers (and the frame records and out-of-order
// range lists that go with them) to the streams of one worker. A stream with
// a Pool holds buffers only while it has bytes buffered: when it is empty
// again (the usual state between segments of a well-behaved connection) it
// gives them back. Memory then follows the streams with data in flight, not
// every connection ever tracked, and buffers are reused across connections
// without allocating. A stream without a Pool keeps its own buffers, as
// before.
//
// Buffers are kept in power-of-two size classes from 1 KiB; the Pool keeps
// at most maxBytes (NewPool) of idle byte buffers, more being left to the
// garbage collector, and at most maxBytes/4096 idle frame-record lists (3 KiB
// each) and maxBytes/16384 range lists; PoolStats counts what it did. A Pool is not safe for concurrent
// use: give each worker its own.
type Pool struct {
	bufs     [poolClasses][][]byte
	marks    [][]mark
	held     [][]span
	maxBytes int
	idle     int // bytes of idle buffers held
	stats    PoolStats
}

// PoolStats counts a Pool's traffic.
type PoolStats struct {
	Gets      uint64 // buffers lent
	News      uint64 // buffers allocated because none of the size was idle
	Puts      uint64 // buffers given back
	Discarded uint64 // buffers given back beyond the bound (left to the GC)
}

const (
	poolMinBuf  = 1 << 10
	poolClasses = 10 // 1 KiB .. 512 KiB
)

// NewPool returns a Pool that keeps at most maxBytes of idle buffers
// (<= 0: 16 MiB).
func NewPool(maxBytes int) *Pool {
	if maxBytes <= 0 {
		maxBytes = 16 << 20
	}
	return &Pool{maxBytes: maxBytes}
}

// Stats returns the counters.
func (p *Pool) Stats() PoolStats { return p.stats }

// Idle returns the bytes of idle buffers the Pool holds.
func (p *Pool) Idle() int { return p.idle }

// buf returns a buffer of length at least n (n <= limit); its length is its
// capacity. Sizes are rounded up to a class, unless that would exceed limit.
func (p *Pool) buf(n, limit int) []byte {
	p.stats.Gets++
	c := 0
	for c < poolClasses && poolMinBuf<<c < n {
		c++
	}
	if c == poolClasses || poolMinBuf<<c > limit {
		p.stats.News++
		return make([]byte, n)
	}
	if l := p.bufs[c]; len(l) > 0 {
		b := l[len(l)-1]
		l[len(l)-1] = nil
		p.bufs[c] = l[:len(l)-1]
		p.idle -= cap(b)
		return b[:cap(b)]
	}
	p.stats.News++
	return make([]byte, poolMinBuf<<c)
}

// putBuf takes b back (into the largest class it can serve).
func (p *Pool) putBuf(b []byte) {
	if cap(b) < poolMinBuf {
		return
	}
	p.stats.Puts++
	if p.idle+cap(b) > p.maxBytes {
		p.stats.Discarded++
		return
	}
	c := 0
	for c+1 < poolClasses && poolMinBuf<<(c+1) <= cap(b) {
		c++
	}
	p.bufs[c] = append(p.bufs[c], b[:cap(b)])
	p.idle += cap(b)
}

func (p *Pool) markList() []mark {
	if n := len(p.marks); n > 0 {
		m := p.marks[n-1]
		p.marks[n-1] = nil
		p.marks = p.marks[:n-1]
		return m[:0]
	}
	return make([]mark, 0, maxMarks)
}

func (p *Pool) putMarks(m []mark) {
	if cap(m) == maxMarks && len(p.marks) < p.maxBytes/(maxMarks*64) {
		p.marks = append(p.marks, m[:0])
	}
}

func (p *Pool) heldList(max int) []span {
	if n := len(p.held); n > 0 && cap(p.held[n-1]) >= max {
		h := p.held[n-1]
		p.held[n-1] = nil
		p.held = p.held[:n-1]
		return h[:0]
	}
	return make([]span, 0, max)
}

func (p *Pool) putHeld(h []span) {
	if cap(h) > 0 && len(p.held) < p.maxBytes/(maxHeldCap*16) {
		p.held = append(p.held, h[:0])
	}
}

// SetPool makes s draw its buffers from p (nil: keep its own). It survives
// Reset.
func (s *Stream) SetPool(p *Pool) {
	s.release()
	s.pool = p
}

// release gives an empty stream's buffers back to its pool. The test is
// inlined: a stream that holds none (the usual case after an in-order
// segment of whole PDUs) costs no call.
func (s *Stream) release() {
	if s.pool != nil && (s.buf != nil || s.marks != nil || s.held != nil) {
		s.releaseSlow()
	}
}

func (s *Stream) releaseSlow() {
	p := s.pool
	if s.lo != s.hi || len(s.held) > 0 {
		return
	}
	if s.buf != nil {
		p.putBuf(s.buf)
		s.buf = nil
		s.pos0, s.lo, s.hi = s.pos0+int64(s.hi), 0, 0
	}
	if s.marks != nil {
		p.putMarks(s.marks)
		s.marks = nil
	}
	if s.held != nil {
		p.putHeld(s.held)
		s.held = nil
	}
}

// SetPool makes both of c's streams draw their buffers from p (nil: keep
// their own). It survives Reset.
func (c *Conn) SetPool(p *Pool) {
	c.dir[Client].SetPool(p)
	c.dir[Server].SetPool(p)
}
