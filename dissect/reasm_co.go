package dissect

// COLimits bounds a [COReassembler]. A zero field takes the value from
// DefaultCOLimits.
type COLimits struct {
	// MaxCalls is how many fragmented calls may be in progress at once.
	MaxCalls int
	// MaxCallBytes is the largest stub one call may reassemble to.
	MaxCallBytes int
	// MaxTotalBytes bounds the stub bytes buffered across all calls in
	// progress, and the buffer capacity kept for reuse once calls end.
	MaxTotalBytes int
}

// DefaultCOLimits are the limits used for zero COLimits fields.
var DefaultCOLimits = COLimits{MaxCalls: 16, MaxCallBytes: 1 << 20, MaxTotalBytes: 4 << 20}

func (l COLimits) withDefaults() COLimits {
	if l.MaxCalls <= 0 {
		l.MaxCalls = DefaultCOLimits.MaxCalls
	}
	if l.MaxCallBytes <= 0 {
		l.MaxCallBytes = DefaultCOLimits.MaxCallBytes
	}
	if l.MaxTotalBytes <= 0 {
		l.MaxTotalBytes = DefaultCOLimits.MaxTotalBytes
	}
	return l
}

// COReasmStats counts what a [COReassembler] did. Every fragment it drops
// and every call it abandons is counted in exactly one of the drop counters.
type COReasmStats struct {
	Unfragmented uint64 // PDUs with both PFC_FIRST_FRAG and PFC_LAST_FRAG, passed through
	Fragments    uint64 // fragments buffered
	Completed    uint64 // fragmented calls reassembled whole

	Restarted     uint64 // calls abandoned because a new first fragment reused their call_id
	Orphans       uint64 // middle/last fragments of no call in progress, dropped
	Truncated     uint64 // truncated PDUs or PDUs with an inconsistent verifier, dropped (with their call)
	OverCallBytes uint64 // calls abandoned for growing past MaxCallBytes
	EvictedCalls  uint64 // oldest calls abandoned to make room for a new call (MaxCalls)
	EvictedBytes  uint64 // oldest calls abandoned to stay within MaxTotalBytes
	OverTotal     uint64 // fragments dropped (with their call) that alone exceed MaxTotalBytes
}

type coCall struct {
	active bool
	id     uint32
	frags  int
	tick   uint64
	buf    []byte
}

// COReassembler rebuilds the stubs of fragmented connection-oriented calls
// (requests, responses and faults) for one direction of one association,
// keyed by call_id, from PFC_FIRST_FRAG to PFC_LAST_FRAG. All its state is
// owned by the caller; it is not safe for concurrent use.
//
// Policies, each counted in Stats:
//   - A first fragment for a call_id already in progress restarts the call
//     (Restarted).
//   - A middle or last fragment for no call in progress is dropped
//     (Orphans).
//   - A call growing past MaxCallBytes is abandoned (OverCallBytes); its
//     later fragments then count as Orphans.
//   - A new call when MaxCalls are in progress evicts the least recently
//     updated call (EvictedCalls): newer calls are the likelier to finish.
//   - A fragment that would take the buffered total past MaxTotalBytes
//     evicts the least recently updated other calls (EvictedBytes); if that
//     is not enough the fragment's own call is abandoned (OverTotal).
//
// Buffers are kept and reused, so once they have grown to the traffic's size
// Add does not allocate. Retained capacity is bounded by MaxTotalBytes plus
// at most one call's MaxCallBytes.
type COReassembler struct {
	lim      COLimits
	calls    []coCall
	total    int // bytes buffered in active calls
	retained int // capacity held by all call buffers
	tick     uint64
	Stats    COReasmStats
}

// NewCOReassembler returns a reassembler with limits l (zero fields take
// DefaultCOLimits).
func NewCOReassembler(l COLimits) *COReassembler {
	l = l.withDefaults()
	return &COReassembler{lim: l, calls: make([]coCall, l.MaxCalls)}
}

// Limits returns the limits in force.
func (r *COReassembler) Limits() COLimits { return r.lim }

// InProgress returns the number of calls being reassembled.
func (r *COReassembler) InProgress() int {
	n := 0
	for i := range r.calls {
		if r.calls[i].active {
			n++
		}
	}
	return n
}

// Buffered returns the stub bytes held for calls in progress.
func (r *COReassembler) Buffered() int { return r.total }

// Reset abandons every call in progress (not counted as drops) and keeps
// the buffers for reuse.
func (r *COReassembler) Reset() {
	for i := range r.calls {
		r.calls[i].active = false
		r.calls[i].buf = r.calls[i].buf[:0]
	}
	r.total = 0
}

// Add feeds one decoded PDU. When p completes a call it returns the whole
// stub, the number of fragments it came in, and done = true. The stub is
// p.Stub itself for an unfragmented PDU (valid as long as p's input), or a
// buffer owned by r, valid until the next call to Add or Reset. PDUs other
// than requests, responses and faults are ignored.
func (r *COReassembler) Add(p *COPDU) (stub []byte, frags int, done bool) {
	switch p.Header.Type {
	case PTypeRequest, PTypeResponse, PTypeFault:
	default:
		return nil, 0, false
	}
	r.tick++
	id := p.Header.CallID
	i := r.find(id)
	if p.Truncated || p.Anomalies.Has(AnomCOAuthTooLong) || p.Anomalies.Has(AnomCOAuthPadTooLong) {
		r.Stats.Truncated++
		if i >= 0 {
			r.free(i)
		}
		return nil, 0, false
	}
	first := p.Header.Flags&PFCFirstFrag != 0
	last := p.Header.Flags&PFCLastFrag != 0
	if first {
		if i >= 0 {
			r.Stats.Restarted++
			r.free(i)
		}
		if last {
			r.Stats.Unfragmented++
			return p.Stub, 1, true
		}
		if len(p.Stub) > r.lim.MaxCallBytes {
			r.Stats.OverCallBytes++
			return nil, 0, false
		}
		i = r.slot()
		c := &r.calls[i]
		c.active, c.id, c.frags, c.tick = true, id, 0, r.tick
		c.buf = c.buf[:0]
	} else if i < 0 {
		r.Stats.Orphans++
		return nil, 0, false
	}
	c := &r.calls[i]
	if len(c.buf)+len(p.Stub) > r.lim.MaxCallBytes {
		r.Stats.OverCallBytes++
		r.free(i)
		return nil, 0, false
	}
	if !r.room(i, len(p.Stub)) {
		r.Stats.OverTotal++
		r.free(i)
		return nil, 0, false
	}
	r.appendTo(c, p.Stub)
	r.total += len(p.Stub)
	c.frags++
	c.tick = r.tick
	r.Stats.Fragments++
	if !last {
		return nil, 0, false
	}
	r.Stats.Completed++
	out, n := c.buf, c.frags
	r.free(i)
	return out, n, true
}

func (r *COReassembler) find(id uint32) int {
	for i := range r.calls {
		if r.calls[i].active && r.calls[i].id == id {
			return i
		}
	}
	return -1
}

// slot returns a free call slot, evicting the least recently updated call
// when none is free.
func (r *COReassembler) slot() int {
	if i := freeSlot(r.calls); i >= 0 {
		return i
	}
	old := oldestCall(r.calls, -1)
	r.Stats.EvictedCalls++
	r.free(old)
	return old
}

// room makes space for n more bytes for call keep by evicting the least
// recently updated other calls; it reports whether the bytes fit.
func (r *COReassembler) room(keep, n int) bool {
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

// appendTo appends s to the call's buffer, growing it at most to
// MaxCallBytes.
func (r *COReassembler) appendTo(c *coCall, s []byte) {
	need := len(c.buf) + len(s)
	if need > cap(c.buf) {
		nc := max(2*cap(c.buf), need, 4096)
		nc = min(nc, r.lim.MaxCallBytes)
		nb := make([]byte, len(c.buf), nc)
		copy(nb, c.buf)
		r.retained += nc - cap(c.buf)
		c.buf = nb
	}
	c.buf = append(c.buf, s...)
}

// free ends call i. Its buffer is kept for reuse unless the capacity held
// by all buffers exceeds MaxTotalBytes.
func (r *COReassembler) free(i int) {
	c := &r.calls[i]
	if !c.active {
		return
	}
	r.total -= len(c.buf)
	c.active = false
	c.buf = c.buf[:0]
	if r.retained > r.lim.MaxTotalBytes {
		r.retained -= cap(c.buf)
		c.buf = nil
	}
}
