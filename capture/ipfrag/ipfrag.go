// Package ipfrag reassembles IPv4 and IPv6 fragments (for rpcwatch: UDP
// datagrams of connectionless RPC whose answers, with many towers, exceed
// the path MTU) into reused buffers, within fixed bounds.
//
// The pipeline hands every decode.Packet with Proto == decode.ProtoFragment
// to Reassembler.Add, together with its frame number and capture time. When
// a fragment completes a datagram, Add returns a Datagram with the
// reassembled transport bytes (UDP header and payload, for example), the
// addresses and protocol, and the frames of the first fragment received and
// of the one that completed it; Datagram.Decode runs them through
// decode.Decoder.DecodeTransport.
//
// Policy:
//   - Datagrams are keyed by source, destination and identification, plus
//     the protocol for IPv4 (RFC 791) — IPv6 keys omit it (RFC 8200).
//   - Overlaps: first wins. Bytes already held are kept; a later fragment
//     only fills gaps. A fragment whose overlapping bytes differ from the
//     held ones is counted in Stats.Overlaps and marks the Datagram
//     (Overlap), so the detector can flag it; an exact duplicate is counted
//     in Stats.Duplicates and otherwise ignored. (Hosts differ here: Linux
//     drops datagrams with overlapping fragments, older Windows kept the
//     first copy; a passive monitor reports rather than guesses.)
//   - A non-final fragment whose length is not a multiple of 8, an empty
//     fragment, a fragment past a known end, and a second final fragment with
//     a different end are malformed: the fragment (or, for conflicting ends,
//     the datagram) is dropped and counted.
//   - Fragments cut by the capture's snap length cannot be reassembled and
//     are counted in Stats.Truncated.
//
// Bounds (Config): datagrams in progress (the oldest is evicted to admit a
// new one), bytes per datagram (65535, the IPv4/IPv6 maximum without
// jumbograms; larger datagrams are dropped), buffer bytes held by all
// datagrams (idle buffers are released first, then the oldest datagrams are
// evicted), and a timeout in capture time from a datagram's first fragment
// (checked on Add at most once per second of capture time, and by Expire).
// Every drop is counted in Stats.
//
// # Allocation
//
// Slots and their coverage bitmaps are allocated by New. A datagram buffer
// grows (doubling, from 2 KiB) the first times a slot needs it and is then
// reused; in steady state Add does not allocate. TestNoAllocs checks
// testing.AllocsPerRun == 0 for IPv4 and IPv6 reassembly after warm-up.
// Datagram and Datagram.Data are owned by the Reassembler and valid only
// until the next call to Add or Expire.
//
// # Security
//
// Fragments are untrusted: offsets and lengths are checked against
// MaxDatagramBytes before any buffer grows, the work per fragment is bounded
// by its length and MaxDatagrams, and the memory held never exceeds
// MaxDatagrams slots plus MaxTotalBytes of buffers. FuzzIPFrag feeds random
// fragment sequences and checks these bounds and the reassembled bytes.
package ipfrag

import (
	"math/bits"
	"net/netip"
	"time"

	"github.com/rpcwatch/rpcwatch/capture/decode"
)

// Config bounds a Reassembler; zero fields take the defaults.
type Config struct {
	// MaxDatagrams is how many datagrams may be in reassembly at once
	// (default 256). Lookup is a linear scan, so keep it in the hundreds.
	MaxDatagrams int
	// MaxDatagramBytes is the largest reassembled payload (default and
	// maximum 65535).
	MaxDatagramBytes int
	// MaxTotalBytes bounds the buffer memory held (default 4 MiB).
	MaxTotalBytes int
	// Timeout is how long, in capture time, an incomplete datagram is kept
	// after its first fragment (default 30 s).
	Timeout time.Duration
}

// Defaults for Config.
const (
	DefaultMaxDatagrams  = 256
	MaxDatagramBytes     = 65535
	DefaultMaxTotalBytes = 4 << 20
	DefaultTimeout       = 30 * time.Second
	minBuf               = 2048
	blocksPerDatagram    = (MaxDatagramBytes + 7) / 8
	bitmapWords          = (blocksPerDatagram + 63) / 64
)

// Stats counts what happened to fragments and datagrams. InProgress and
// BytesHeld are gauges; the rest only grow.
type Stats struct {
	Fragments  uint64 // fragments given to Add
	Completed  uint64 // datagrams reassembled
	Duplicates uint64 // fragments that added nothing and matched the held bytes
	Overlaps   uint64 // fragments whose overlapping bytes differed from the held ones (held kept)
	Malformed  uint64 // fragments (or datagrams, for conflicting ends) dropped as malformed
	Truncated  uint64 // fragments cut by the snap length, ignored
	TooBig     uint64 // datagrams dropped for exceeding MaxDatagramBytes
	TimedOut   uint64 // incomplete datagrams dropped after Timeout
	Evicted    uint64 // incomplete datagrams dropped to stay within MaxDatagrams or MaxTotalBytes
	InProgress int    // datagrams currently held
	BytesHeld  int    // buffer bytes currently allocated (held or idle)
}

// Datagram is a reassembled IP payload.
type Datagram struct {
	Net      decode.Net
	Src, Dst netip.Addr
	IPProto  uint8  // the upper-layer protocol (UDP 17, ...)
	ID       uint32 // the IP identification
	// Data is the reassembled payload: the transport header and its data.
	Data []byte
	// FirstFrame is the frame of the first fragment received (not
	// necessarily offset 0); LastFrame is the frame that completed it.
	FirstFrame, LastFrame int
	// First and Last are their capture times.
	First, Last time.Time
	Fragments   int  // fragments that contributed (duplicates included)
	Overlap     bool // fragments overlapped with differing bytes; the first received were kept
}

// Decode decodes the datagram's transport header and payload into p with
// dec (see decode.Decoder.DecodeTransport). p.Payload aliases d.Data.
func (d *Datagram) Decode(dec *decode.Decoder, p *decode.Packet) error {
	return dec.DecodeTransport(d.Net, d.Src, d.Dst, d.IPProto, d.Data, p)
}

type key struct {
	src, dst netip.Addr
	id       uint32
	proto    uint8 // 0 for IPv6
	v6       bool
}

type slot struct {
	used       bool
	k          key
	h          uint64
	first      int64 // capture time of the first fragment, ns
	firstFrame int
	buf        []byte // len = highest end received
	total      int    // -1 until the final fragment is seen
	covered    int    // 8-byte blocks held
	hiWord     int    // bitmap words touched (for clearing)
	nfrags     int
	overlap    bool
	proto      uint8 // upper-layer protocol, from the offset-0 fragment once seen
	bits       [bitmapWords]uint64
}

// Reassembler reassembles fragments. It is not safe for concurrent use.
type Reassembler struct {
	cfg       Config
	slots     []slot
	stats     Stats
	lastSweep int64
	out       Datagram
}

// New returns a Reassembler with cfg's bounds (defaults for zero fields).
func New(cfg Config) *Reassembler {
	if cfg.MaxDatagrams <= 0 {
		cfg.MaxDatagrams = DefaultMaxDatagrams
	}
	if cfg.MaxDatagramBytes <= 0 || cfg.MaxDatagramBytes > MaxDatagramBytes {
		cfg.MaxDatagramBytes = MaxDatagramBytes
	}
	if cfg.MaxTotalBytes <= 0 {
		cfg.MaxTotalBytes = DefaultMaxTotalBytes
	}
	if cfg.MaxTotalBytes < minBuf {
		cfg.MaxTotalBytes = minBuf
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	r := &Reassembler{cfg: cfg, slots: make([]slot, cfg.MaxDatagrams)}
	for i := range r.slots {
		r.slots[i].total = -1
	}
	return r
}

// Config returns the bounds in effect.
func (r *Reassembler) Config() Config { return r.cfg }

// Stats returns the counters.
func (r *Reassembler) Stats() Stats { return r.stats }

func hashKey(k *key) uint64 {
	a, b := k.src.As16(), k.dst.As16()
	h := uint64(14695981039346656037)
	for _, c := range a {
		h = (h ^ uint64(c)) * 1099511628211
	}
	for _, c := range b {
		h = (h ^ uint64(c)) * 1099511628211
	}
	h = (h ^ uint64(k.id)) * 1099511628211
	h = (h ^ uint64(k.proto)) * 1099511628211
	if k.v6 {
		h = (h ^ 1) * 1099511628211
	}
	return h
}

// Add offers one fragment (p.Proto must be decode.ProtoFragment; other
// packets are ignored). frame and ts are the fragment's frame number and
// capture time. When the fragment completes a datagram, Add returns it and
// true; the Datagram is valid until the next Add or Expire.
func (r *Reassembler) Add(p *decode.Packet, frame int, ts time.Time) (*Datagram, bool) {
	if p.Proto != decode.ProtoFragment || p.Net == decode.NetNone {
		return nil, false
	}
	r.stats.Fragments++
	now := ts.UnixNano()
	if now-r.lastSweep >= int64(time.Second) || now < r.lastSweep {
		r.Expire(ts)
	}
	if p.Truncated || len(p.Payload) < p.PayloadLen {
		r.stats.Truncated++
		return nil, false
	}
	k := key{src: p.Src, dst: p.Dst, id: p.Frag.ID, v6: p.Net == decode.NetIPv6}
	if !k.v6 {
		k.proto = p.IPProto
	}
	h := hashKey(&k)
	i := r.find(&k, h)
	off, n, more := p.Frag.Offset, len(p.Payload), p.Frag.More
	end := off + n
	if n == 0 || (more && n%8 != 0) || off < 0 || off%8 != 0 {
		r.stats.Malformed++
		return nil, false
	}
	if end > r.cfg.MaxDatagramBytes {
		if i >= 0 {
			r.free(i)
		}
		r.stats.TooBig++
		return nil, false
	}
	if i < 0 {
		i = r.alloc(&k, h, now, frame)
		r.slots[i].proto = p.IPProto
	}
	s := &r.slots[i]
	if off == 0 {
		// RFC 8200: the next header of the offset-0 fragment is the one
		// that counts (IPv4 keys on the protocol anyway).
		s.proto = p.IPProto
	}
	if !more {
		if (s.total >= 0 && s.total != end) || len(s.buf) > end {
			// Two different ends, or data already held past this end.
			r.free(i)
			r.stats.Malformed++
			return nil, false
		}
		s.total = end
	} else if s.total >= 0 && end > s.total {
		r.stats.Malformed++
		return nil, false
	}
	if !r.grow(i, end) {
		r.free(i)
		r.stats.Evicted++
		return nil, false
	}
	added, differ := r.copyIn(s, off, p.Payload)
	s.nfrags++
	switch {
	case differ:
		r.stats.Overlaps++
		s.overlap = true
	case !added:
		r.stats.Duplicates++
	}
	if s.total < 0 || s.covered != (s.total+7)/8 {
		return nil, false
	}
	r.out = Datagram{
		Net: p.Net, Src: s.k.src, Dst: s.k.dst, IPProto: s.proto, ID: s.k.id,
		Data:       s.buf[:s.total],
		FirstFrame: s.firstFrame, LastFrame: frame,
		First: time.Unix(0, s.first).UTC(), Last: ts,
		Fragments: s.nfrags, Overlap: s.overlap,
	}
	r.stats.Completed++
	r.free(i)
	return &r.out, true
}

// find returns the slot holding k, or -1.
func (r *Reassembler) find(k *key, h uint64) int {
	for i := range r.slots {
		s := &r.slots[i]
		if s.used && s.h == h && s.k == *k {
			return i
		}
	}
	return -1
}

// alloc takes a free slot for k (evicting the oldest datagram if all are
// in use), preferring one that already has a buffer.
func (r *Reassembler) alloc(k *key, h uint64, now int64, frame int) int {
	free, withBuf, oldest := -1, -1, -1
	for i := range r.slots {
		s := &r.slots[i]
		if !s.used {
			if free < 0 {
				free = i
			}
			if withBuf < 0 && cap(s.buf) > 0 {
				withBuf = i
			}
			continue
		}
		if oldest < 0 || s.first < r.slots[oldest].first {
			oldest = i
		}
	}
	i := withBuf
	if i < 0 {
		i = free
	}
	if i < 0 {
		r.free(oldest)
		r.stats.Evicted++
		i = oldest
	}
	s := &r.slots[i]
	s.used, s.k, s.h, s.first, s.firstFrame = true, *k, h, now, frame
	r.stats.InProgress++
	return i
}

// free ends the datagram in slot i, keeping its buffer for reuse.
func (r *Reassembler) free(i int) {
	s := &r.slots[i]
	if !s.used {
		return
	}
	clear(s.bits[:s.hiWord])
	s.used, s.buf, s.total, s.covered, s.hiWord, s.nfrags, s.overlap = false, s.buf[:0], -1, 0, 0, 0, false
	r.stats.InProgress--
}

// grow makes slot i's buffer hold at least end bytes within
// MaxTotalBytes, releasing idle buffers and then evicting the oldest other
// datagrams if needed. It reports false if the datagram cannot be held.
func (r *Reassembler) grow(i, end int) bool {
	s := &r.slots[i]
	if end <= cap(s.buf) {
		if end > len(s.buf) {
			s.buf = s.buf[:end]
		}
		return true
	}
	newCap := max(minBuf, 2*cap(s.buf), end)
	newCap = min(newCap, r.cfg.MaxDatagramBytes)
	extra := newCap - cap(s.buf)
	for r.stats.BytesHeld+extra > r.cfg.MaxTotalBytes {
		if !r.release(i) {
			return false
		}
	}
	nb := make([]byte, end, newCap)
	copy(nb, s.buf)
	r.stats.BytesHeld += extra
	s.buf = nb
	return true
}

// release frees memory for slot keep: first an idle buffer, then the
// oldest other datagram's buffer (counted as evicted).
func (r *Reassembler) release(keep int) bool {
	oldest := -1
	for j := range r.slots {
		s := &r.slots[j]
		if j == keep || cap(s.buf) == 0 {
			continue
		}
		if !s.used {
			r.stats.BytesHeld -= cap(s.buf)
			s.buf = nil
			return true
		}
		if oldest < 0 || s.first < r.slots[oldest].first {
			oldest = j
		}
	}
	if oldest < 0 {
		return false
	}
	r.free(oldest)
	r.stats.Evicted++
	s := &r.slots[oldest]
	r.stats.BytesHeld -= cap(s.buf)
	s.buf = nil
	return true
}

// copyIn copies data at byte offset off into s, first wins, in 8-byte
// blocks. It reports whether any block was new and whether any already
// held bytes differed from data.
func (r *Reassembler) copyIn(s *slot, off int, data []byte) (added, differ bool) {
	end := off + len(data)
	b0, b1 := off/8, (end+7)/8 // blocks [b0, b1)
	for w := b0 / 64; w <= (b1-1)/64; w++ {
		lo, hi := max(b0, w*64), min(b1, w*64+64) // blocks of this word in range
		var mask uint64
		if hi-lo == 64 {
			mask = ^uint64(0)
		} else {
			mask = ((uint64(1) << uint(hi-lo)) - 1) << uint(lo-w*64)
		}
		held := s.bits[w] & mask
		if held == 0 {
			from, to := lo*8, min(hi*8, end)
			copy(s.buf[from:to], data[from-off:to-off])
		} else {
			for blk := lo; blk < hi; blk++ {
				from, to := blk*8, min(blk*8+8, end)
				if s.bits[w]&(uint64(1)<<uint(blk-w*64)) != 0 {
					if string(s.buf[from:to]) != string(data[from-off:to-off]) {
						differ = true
					}
					continue
				}
				copy(s.buf[from:to], data[from-off:to-off])
			}
		}
		if nw := mask &^ held; nw != 0 {
			added = true
			s.covered += bits.OnesCount64(nw)
			s.bits[w] |= nw
		}
		if w+1 > s.hiWord {
			s.hiWord = w + 1
		}
	}
	return added, differ
}

// Expire drops the incomplete datagrams whose first fragment is older than
// Timeout at capture time now, and returns how many it dropped. Add calls
// it at most once per second of capture time; call it when no fragments
// arrive (at the end of a capture there is no need: incomplete datagrams
// are simply abandoned).
func (r *Reassembler) Expire(now time.Time) int {
	t := now.UnixNano()
	r.lastSweep = t
	limit := t - int64(r.cfg.Timeout)
	n := 0
	for i := range r.slots {
		if s := &r.slots[i]; s.used && s.first < limit {
			r.free(i)
			r.stats.TimedOut++
			n++
		}
	}
	return n
}
