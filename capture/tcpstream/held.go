package tcpstream

import (
	"math"
	"time"
)

// span is a range [start, end) of stream positions held out of order.
type span struct{ start, end int64 }

// canHold reports whether [p, e) can join the held ranges: it touches one,
// or there is room for another.
func (s *Stream) canHold(p, e int64) bool {
	if len(s.held) < s.lim.MaxHeld {
		return true
	}
	for _, r := range s.held {
		if r.start <= e && p <= r.end {
			return true
		}
	}
	return false
}

// addHeld merges [p, e) into the sorted held ranges; canHold has approved it.
func (s *Stream) addHeld(p, e int64) {
	if s.held == nil {
		if s.pool != nil {
			s.held = s.pool.heldList(s.lim.MaxHeld)
		} else {
			s.held = make([]span, 0, s.lim.MaxHeld)
		}
	}
	h := s.held
	i := 0
	for i < len(h) && h[i].end < p {
		i++
	}
	j := i
	for j < len(h) && h[j].start <= e {
		j++
	}
	if i == j {
		h = append(h, span{})
		copy(h[i+1:], h[i:])
		h[i] = span{p, e}
		s.held = h
		return
	}
	h[i] = span{min(p, h[i].start), max(e, h[j-1].end)}
	s.held = append(h[:i+1], h[j:]...)
}

// promote joins the held ranges that the in-order data now reaches.
func (s *Stream) promote() {
	n := 0
	for n < len(s.held) && s.held[n].start <= s.next() {
		if e := s.idx(s.held[n].end); e > s.hi {
			s.hi = e
		}
		n++
	}
	if n > 0 {
		s.held = append(s.held[:0], s.held[n:]...)
	}
}

// write copies d to position p, which lies at or after next, into the bytes
// no earlier segment supplied (the first copy of a byte wins), and returns
// how many bytes were new. The overlap is counted as duplicate.
func (s *Stream) write(p int64, d []byte) int {
	e := p + int64(len(d))
	cur := p
	fresh := 0
	for _, r := range s.held {
		if r.end <= cur {
			continue
		}
		if r.start >= e {
			break
		}
		if r.start > cur {
			fresh += copy(s.buf[s.idx(cur):], d[cur-p:r.start-p])
		}
		s.stats.DupBytes += uint64(min(r.end, e) - max(r.start, cur))
		cur = r.end
		if cur >= e {
			break
		}
	}
	if cur < e {
		fresh += copy(s.buf[s.idx(cur):], d[cur-p:])
	}
	return fresh
}

// mark records which frames supplied the buffered bytes from pos up to the
// next mark: the lowest and the highest frame number, and the time of the
// highest.
type mark struct {
	pos         int64
	first, last uint64
	lastTime    time.Time
}

// maxMarks bounds the frame records per direction. Past it, a new record is
// merged into the one covering its position (FirstFrame may then be early).
const maxMarks = 64

// addMark records that the segment being pushed supplied bytes at pos.
func (s *Stream) addMark(pos int64) {
	if s.marks == nil {
		if s.pool != nil {
			s.marks = s.pool.markList()
		} else {
			s.marks = make([]mark, 0, maxMarks)
		}
	}
	m := s.marks
	i := len(m)
	for i > 0 && m[i-1].pos > pos {
		i--
	}
	merge := -1
	switch {
	case i > 0 && (m[i-1].pos == pos || (m[i-1].first == s.frame && m[i-1].last == s.frame)):
		merge = i - 1 // same start, or the covering record is this frame alone
	case len(m) == maxMarks && i > 0:
		merge = i - 1 // full: widen the covering record
	case len(m) == maxMarks:
		merge = 0 // full, and pos comes first: widen the first record down
		m[0].pos = pos
	}
	if merge >= 0 {
		c := &m[merge]
		c.first = min(c.first, s.frame)
		if s.frame > c.last {
			c.last, c.lastTime = s.frame, s.ts
		}
		return
	}
	m = append(m, mark{})
	copy(m[i+1:], m[i:])
	m[i] = mark{pos: pos, first: s.frame, last: s.frame, lastTime: s.ts}
	s.marks = m
}

// consumeMarks drops the records for bytes before head, keeping the one
// that covers head.
func (s *Stream) consumeMarks(head int64) {
	m := s.marks
	k := 0
	for k+1 < len(m) && m[k+1].pos <= head {
		k++
	}
	if k > 0 {
		s.marks = append(m[:0], m[k:]...)
	}
	if len(s.marks) > 0 && s.marks[0].pos < head {
		s.marks[0].pos = head
	}
}

// frames returns the lowest and highest frame numbers that supplied bytes in
// [start, end), and the time of the highest.
func (s *Stream) frames(start, end int64) (first, last uint64, t time.Time) {
	first = math.MaxUint64
	for i, m := range s.marks {
		if m.pos >= end {
			break
		}
		if i+1 < len(s.marks) && s.marks[i+1].pos <= start {
			continue // ends before start
		}
		first = min(first, m.first)
		if m.last >= last {
			last, t = m.last, m.lastTime
		}
	}
	if first == math.MaxUint64 { // no record: the segment being pushed
		return s.frame, s.frame, s.ts
	}
	return first, last, t
}
