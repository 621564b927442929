package dissect

// CLLimits bounds a [CLReassembler]. A zero field takes the value from
// DefaultCLLimits.
type CLLimits struct {
	// MaxCalls is how many fragmented calls may be in progress at once.
	MaxCalls int
	// MaxFrags bounds the fragments of one call: fragment numbers at or
	// above it are refused.
	MaxFrags int
	// MaxCallBytes is the largest body one call may reassemble to.
	MaxCallBytes int
	// MaxTotalBytes bounds the body bytes buffered across all calls in
	// progress, and the buffer capacity kept for reuse once calls end.
	MaxTotalBytes int
}

// DefaultCLLimits are the limits used for zero CLLimits fields.
var DefaultCLLimits = CLLimits{MaxCalls: 16, MaxFrags: 256, MaxCallBytes: 1 << 20, MaxTotalBytes: 4 << 20}

func (l CLLimits) withDefaults() CLLimits {
	d := DefaultCLLimits
	if l.MaxCalls <= 0 {
		l.MaxCalls = d.MaxCalls
	}
	if l.MaxFrags <= 0 {
		l.MaxFrags = d.MaxFrags
	}
	if l.MaxFrags > 1<<16 {
		l.MaxFrags = 1 << 16
	}
	if l.MaxCallBytes <= 0 {
		l.MaxCallBytes = d.MaxCallBytes
	}
	if l.MaxTotalBytes <= 0 {
		l.MaxTotalBytes = d.MaxTotalBytes
	}
	return l
}

// CLKey identifies one connectionless call's fragment stream: the client's
// activity, the call's sequence number, and the PDU type (a request and its
// response share activity and sequence number).
type CLKey struct {
	Activity UUID
	Seq      uint32
	Type     PType
}

// CLReasmStats counts what a [CLReassembler] did. Every fragment it drops
// and every call it abandons is counted in exactly one of the drop counters.
type CLReasmStats struct {
	Unfragmented uint64 // PDUs without the frag flag, passed through
	Fragments    uint64 // fragments buffered
	Completed    uint64 // fragmented calls reassembled whole

	Duplicates    uint64 // fragments whose number was already buffered, dropped
	Inconsistent  uint64 // fragments past the call's last fragment, or a second different last fragment, dropped
	Truncated     uint64 // fragments whose body ran past the datagram, dropped
	OverFrags     uint64 // fragments numbered at or above MaxFrags, dropped
	OverCallBytes uint64 // calls abandoned for growing past MaxCallBytes
	EvictedCalls  uint64 // oldest calls abandoned to make room for a new call (MaxCalls)
	EvictedBytes  uint64 // oldest calls abandoned to stay within MaxTotalBytes
	OverTotal     uint64 // fragments dropped (with their call) that alone exceed MaxTotalBytes
}

type clFrag struct {
	num uint16
	off int32
	n   int32
}

type clCall struct {
	active bool
	key    CLKey
	last   int // fragment number of the lastfrag fragment, -1 until seen
	high   int // highest fragment number buffered
	tick   uint64
	buf    []byte   // fragment bodies in arrival order
	frags  []clFrag // where each fragment is in buf
	have   []uint64 // bitmap of fragment numbers buffered
}

// CLReassembler rebuilds the bodies of fragmented connectionless requests
// and responses, keyed by [CLKey] and ordered by fragment number. It
// tolerates duplicates and reordering; a call is complete when its lastfrag
// fragment and every fragment numbered below it are present. All its state
// is owned by the caller; it is not safe for concurrent use.
//
// Policies, each counted in Stats: duplicates are dropped (Duplicates);
// fragments numbered above the call's lastfrag fragment are dropped
// (Inconsistent); a new call when MaxCalls are in progress evicts the least
// recently updated call (EvictedCalls); a call growing past MaxCallBytes is
// abandoned (OverCallBytes; later fragments start a new, doomed call that
// MaxCalls eviction eventually clears); bytes past MaxTotalBytes evict the
// least recently updated other calls (EvictedBytes) or, failing that,
// abandon the fragment's own call (OverTotal).
//
// Buffers are kept and reused, so once they have grown to the traffic's size
// Add does not allocate.
type CLReassembler struct {
	lim      CLLimits
	calls    []clCall
	order    []int32 // scratch: fragment number -> index in frags
	out      []byte  // scratch: a reordered body
	total    int
	retained int
	tick     uint64
	Stats    CLReasmStats
}

// NewCLReassembler returns a reassembler with limits l (zero fields take
// DefaultCLLimits).
func NewCLReassembler(l CLLimits) *CLReassembler {
	l = l.withDefaults()
	return &CLReassembler{lim: l, calls: make([]clCall, l.MaxCalls), order: make([]int32, l.MaxFrags)}
}

// Limits returns the limits in force.
func (r *CLReassembler) Limits() CLLimits { return r.lim }

// InProgress returns the number of calls being reassembled.
func (r *CLReassembler) InProgress() int {
	n := 0
	for i := range r.calls {
		if r.calls[i].active {
			n++
		}
	}
	return n
}

// Buffered returns the body bytes held for calls in progress.
func (r *CLReassembler) Buffered() int { return r.total }

// Reset abandons every call in progress (not counted as drops) and keeps
// the buffers for reuse.
func (r *CLReassembler) Reset() {
	for i := range r.calls {
		if r.calls[i].active {
			r.free(i)
		}
	}
	r.total = 0
}

// Add feeds one decoded PDU. When p completes a call it returns the whole
// body in fragment order, the number of fragments, and done = true. The body
// is p.Body itself for an unfragmented PDU (valid as long as p's input), or
// a buffer owned by r, valid until the next call to Add or Reset. PDUs other
// than requests and responses are ignored.
func (r *CLReassembler) Add(p *CLPDU) (body []byte, frags int, done bool) {
	h := &p.Header
	if h.Type != PTypeRequest && h.Type != PTypeResponse {
		return nil, 0, false
	}
	if h.Flags1&CLFrag == 0 {
		if p.Truncated {
			r.Stats.Truncated++
			return nil, 0, false
		}
		r.Stats.Unfragmented++
		return p.Body, 1, true
	}
	if p.Truncated {
		// Keep the call: a connectionless sender retransmits fragments.
		r.Stats.Truncated++
		return nil, 0, false
	}
	r.tick++
	key := CLKey{Activity: h.Activity, Seq: h.Seq, Type: h.Type}
	i := r.find(key)
	num := int(h.FragNum)
	if num >= r.lim.MaxFrags {
		r.Stats.OverFrags++
		return nil, 0, false
	}
	isLast := h.Flags1&CLLastFrag != 0
	if i < 0 {
		i = r.slot()
		c := &r.calls[i]
		c.active, c.key, c.last, c.high, c.tick = true, key, -1, -1, r.tick
		c.buf, c.frags = c.buf[:0], c.frags[:0]
		if c.have == nil {
			c.have = make([]uint64, (r.lim.MaxFrags+63)/64)
		}
	}
	c := &r.calls[i]
	if c.have[num>>6]&(1<<(num&63)) != 0 {
		r.Stats.Duplicates++
		return nil, 0, false
	}
	if (c.last >= 0 && num > c.last) || (isLast && (c.last >= 0 || c.high > num)) {
		r.Stats.Inconsistent++
		return nil, 0, false
	}
	if len(c.buf)+len(p.Body) > r.lim.MaxCallBytes {
		r.Stats.OverCallBytes++
		r.free(i)
		return nil, 0, false
	}
	if !r.room(i, len(p.Body)) {
		r.Stats.OverTotal++
		r.free(i)
		return nil, 0, false
	}
	off := len(c.buf)
	c.buf = r.grow(c.buf, len(p.Body), r.lim.MaxCallBytes)
	c.buf = append(c.buf, p.Body...)
	c.frags = append(c.frags, clFrag{num: uint16(num), off: int32(off), n: int32(len(p.Body))})
	c.have[num>>6] |= 1 << (num & 63)
	r.total += len(p.Body)
	c.tick = r.tick
	c.high = max(c.high, num)
	if isLast {
		c.last = num
	}
	r.Stats.Fragments++
	if c.last < 0 || len(c.frags) != c.last+1 {
		return nil, 0, false
	}
	// Complete: fragment numbers are distinct and all <= last, so 0..last
	// are all present.
	r.Stats.Completed++
	n := len(c.frags)
	inOrder := true
	for k, f := range c.frags {
		r.order[f.num] = int32(k)
		if int(f.num) != k {
			inOrder = false
		}
	}
	if inOrder {
		out := c.buf
		r.free(i)
		return out, n, true
	}
	r.out = r.grow(r.out[:0], len(c.buf), r.lim.MaxCallBytes)
	for k := 0; k < n; k++ {
		f := c.frags[r.order[k]]
		r.out = append(r.out, c.buf[f.off:f.off+f.n]...)
	}
	r.free(i)
	return r.out, n, true
}

func (r *CLReassembler) find(k CLKey) int {
	for i := range r.calls {
		if r.calls[i].active && r.calls[i].key == k {
			return i
		}
	}
	return -1
}

func (r *CLReassembler) slot() int {
	if i := freeSlot(r.calls); i >= 0 {
		return i
	}
	old := oldestCall(r.calls, -1)
	r.Stats.EvictedCalls++
	r.free(old)
	return old
}

func (r *CLReassembler) room(keep, n int) bool {
	for r.total+n > r.lim.MaxTotalBytes {
		old := oldestCall(r.calls, keep)
		if old < 0 {
			return false
		}
		r.Stats.EvictedBytes++
		r.free(old)
	}
	return true
}

// grow returns b with room for n more bytes, its capacity capped at limit
// (the caller has checked len(b)+n <= limit).
func (r *CLReassembler) grow(b []byte, n, limit int) []byte {
	need := len(b) + n
	if need <= cap(b) {
		return b
	}
	nc := min(max(2*cap(b), need, 2048), limit)
	nb := make([]byte, len(b), nc)
	copy(nb, b)
	r.retained += nc - cap(b)
	return nb
}

func (r *CLReassembler) free(i int) {
	c := &r.calls[i]
	if !c.active {
		return
	}
	r.total -= len(c.buf)
	c.active = false
	if c.high >= 0 {
		clear(c.have[:c.high>>6+1])
	}
	c.buf, c.frags = c.buf[:0], c.frags[:0]
	if r.retained > r.lim.MaxTotalBytes {
		r.retained -= cap(c.buf)
		c.buf = nil
	}
}
