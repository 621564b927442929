package flow

import (
	"errors"
	"hash/maphash"
	"iter"
	"math"
	"time"
)

// ErrConfig is returned by [New] for a configuration it cannot honour.
var ErrConfig = errors.New("flow: invalid table configuration")

// MaxEntries is the largest Config.Max a table accepts (slots are indexed by
// int32).
const MaxEntries = math.MaxInt32

// Reason says why an entry left a [Table].
type Reason uint8

// Reasons passed to Config.Evict.
const (
	// Expired: the entry was idle for longer than Config.Idle (capture time).
	Expired Reason = iota + 1
	// Evicted: the table was full and a new key pushed out the least
	// recently used entry.
	Evicted
	// Removed: the owner called Remove.
	Removed
	// Flushed: the owner called Flush (end of capture).
	Flushed
)

// String returns the lowercase reason name.
func (r Reason) String() string {
	switch r {
	case Expired:
		return "expired"
	case Evicted:
		return "evicted"
	case Removed:
		return "removed"
	case Flushed:
		return "flushed"
	}
	return "reason-" + itoa(int(r))
}

func itoa(v int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	return string(b[i:])
}

// Config sets a table's bounds and the owner's hooks.
type Config[K comparable, V any] struct {
	// Max is the hard cap on entries (1..MaxEntries). Every slot is
	// allocated up front.
	Max int
	// Idle is how long, in capture time, an entry may go untouched before it
	// expires. Zero means entries never expire (they still get evicted when
	// the table is full).
	Idle time.Duration
	// Init, if set, is called when a slot is given to a new key. The value
	// still holds whatever its previous occupant left (or is the zero value
	// for a slot never used): Init should reset it and may keep its buffers.
	Init func(k K, v *V)
	// Evict, if set, is called when an entry leaves the table, before its
	// slot can be reused: flush what the value holds here.
	Evict func(k K, v *V, why Reason)
	// Hash, if set, hashes keys for the table's index. Equal keys must
	// hash equally, and the hash must depend on seed, a random value New
	// draws for each table, so that whoever chooses the keys cannot tell
	// which of them collide (hash/maphash's Bytes, String and Comparable
	// do). It must not use the table. A weak hash makes lookups slow,
	// never wrong. Nil selects the built-in hash: a specialised one for
	// [Key], [maphash.Comparable] for other key types.
	Hash func(seed maphash.Seed, k K) uint64
}

// Stats counts what a table did. Expired+Evicted+Removed+Flushed entries
// left; Created-(those) are present.
type Stats struct {
	Lookups uint64 // Get and Again calls
	Hits    uint64 // Get calls that found the key, and Again calls that were accepted
	Created uint64 // entries created by Get
	Expired uint64 // entries that timed out (capture time)
	Evicted uint64 // entries pushed out because the table was full
	Removed uint64 // entries removed by Remove
	Flushed uint64 // entries removed by Flush
}

// Table is a bounded map from K to values of type V stored in preallocated
// slots, with idle expiry by capture time and least-recently-used eviction.
// It is not safe for concurrent use (see the package doc on sharding), and
// its hooks must not call back into it: doing so panics.
type Table[K comparable, V any] struct {
	cfg   Config[K, V]
	idle  int64          // cfg.Idle in nanoseconds
	hash  func(K) uint64 // seeded for this table
	idx   index
	slots []slot[K, V]
	head  int32 // most recently used entry, or -1
	tail  int32 // least recently used entry, or -1
	free  int32 // first free slot (linked through next), or -1
	// memo is the slot of the last Get, or -1: consecutive packets of one
	// conversation (a request and its ACK, a burst of segments) skip the
	// hash and the index.
	memo  int32
	n     int
	now   int64 // capture clock: the latest time seen, in Unix nanoseconds
	stats Stats
	busy  bool // a hook is running
}

type slot[K comparable, V any] struct {
	key        K
	last       int64 // capture time of the last touch
	prev, next int32
	tag        uint32 // the key's index tag (low 32 bits of its hash)
	val        V
}

// New returns a table with every slot and its whole index allocated, and
// draws the table's hash seed.
func New[K comparable, V any](cfg Config[K, V]) (*Table[K, V], error) {
	if cfg.Max < 1 || cfg.Max > MaxEntries || cfg.Idle < 0 {
		return nil, ErrConfig
	}
	icap := indexCap(cfg.Max)
	if icap == 0 {
		return nil, ErrConfig
	}
	t := &Table[K, V]{
		cfg:   cfg,
		idle:  int64(cfg.Idle),
		hash:  hasher(cfg.Hash, maphash.MakeSeed()),
		idx:   newIndex(icap),
		slots: make([]slot[K, V], cfg.Max),
		head:  -1,
		tail:  -1,
		memo:  -1,
		now:   math.MinInt64,
	}
	for i := range t.slots {
		t.slots[i].next = int32(i + 1)
		t.slots[i].prev = -1
	}
	t.slots[len(t.slots)-1].next = -1
	t.free = 0
	return t, nil
}

// hasher returns the table's index hash: h with the table's seed, or the
// built-in hash for K.
func hasher[K comparable](h func(maphash.Seed, K) uint64, seed maphash.Seed) func(K) uint64 {
	if h != nil {
		return func(k K) uint64 { return h(seed, k) }
	}
	// When K is Key, keyHasher's function has exactly the wanted type.
	var k K
	if _, ok := any(k).(Key); ok {
		return any(keyHasher(seed)).(func(K) uint64)
	}
	return func(k K) uint64 { return maphash.Comparable(seed, k) }
}

// same reports whether *a == *b. For Key it compares field by field: ==
// on the whole struct calls an equality function that runs memeqbody over
// 53 bytes, several times the cost of the three words, two ports and a
// protocol compared here (ports first: they differ most often).
func same[K comparable](a, b *K) bool {
	if x, ok := any(a).(*Key); ok {
		y := any(b).(*Key)
		return x.PortA == y.PortA && x.PortB == y.PortB && x.A == y.A && x.B == y.B && x.Proto == y.Proto
	}
	return *a == *b
}

// find returns the slot holding k, whose hash has the low 32 bits tag, or
// -1.
func (t *Table[K, V]) find(k K, tag uint32) int32 {
	x := &t.idx
	for p := tag & x.mask; ; p = (p + 1) & x.mask {
		e := x.pos[p]
		if e == 0 {
			return -1
		}
		if entryTag(e) == tag {
			if i := entrySlot(e); same(&t.slots[i].key, &k) {
				return i
			}
		}
	}
}

// Len returns the number of entries.
func (t *Table[K, V]) Len() int { return t.n }

// Cap returns Config.Max.
func (t *Table[K, V]) Cap() int { return len(t.slots) }

// Stats returns the counters.
func (t *Table[K, V]) Stats() Stats { return t.stats }

// Now returns the table's capture clock: the latest time passed to Get or
// Expire (the zero Time before any).
func (t *Table[K, V]) Now() time.Time {
	if t.now == math.MinInt64 {
		return time.Time{}
	}
	return time.Unix(0, t.now)
}

// advance moves the capture clock forward (never back).
func (t *Table[K, V]) advance(now time.Time) {
	if ns := now.UnixNano(); ns > t.now {
		t.now = ns
	}
}

func (t *Table[K, V]) enter() {
	if t.busy {
		panic("flow: Table used from one of its own hooks")
	}
}

// Get returns the value for k, creating the entry if k is new, and marks it
// most recently used at capture time now. created reports a new entry (Init
// has run on it). When the table is full, the least recently used entry is
// evicted to make room; before that, up to two entries idle for longer than
// Config.Idle are expired, so expiry keeps pace with new flows without a
// scan. The pointer stays valid until the entry leaves the table.
func (t *Table[K, V]) Get(k K, now time.Time) (v *V, created bool) {
	t.enter()
	t.advance(now)
	t.stats.Lookups++
	if i := t.memo; i >= 0 && same(&t.slots[i].key, &k) {
		t.stats.Hits++
		s := &t.slots[i]
		s.last = t.now
		t.moveToFront(i)
		return &s.val, false
	}
	tag := uint32(t.hash(k))
	if i := t.find(k, tag); i >= 0 {
		t.stats.Hits++
		s := &t.slots[i]
		s.last = t.now
		t.moveToFront(i)
		t.memo = i
		return &s.val, false
	}
	if t.idle > 0 {
		t.expire(2)
	}
	if t.free < 0 {
		t.drop(t.tail, Evicted)
	}
	i := t.free
	s := &t.slots[i]
	t.free = s.next
	s.key = k
	s.last = t.now
	s.tag = tag
	t.pushFront(i)
	t.idx.insert(tag, i)
	t.memo = i
	t.n++
	t.stats.Created++
	if t.cfg.Init != nil {
		t.busy = true
		t.cfg.Init(k, &s.val)
		t.busy = false
	}
	return &s.val, true
}

// Again touches the entry the last Get (or Again) returned, as Get with
// its key would, provided v is that entry's value: callers that recognise a
// packet of the same conversation as the last one skip building its key.
// ok is false, and nothing is touched, when that entry has left the table
// or another Get has returned a different one since; call Get then.
func (t *Table[K, V]) Again(v *V, now time.Time) (ok bool) {
	t.enter()
	i := t.memo
	if i < 0 || &t.slots[i].val != v {
		return false
	}
	t.advance(now)
	t.stats.Lookups++
	t.stats.Hits++
	s := &t.slots[i]
	s.last = t.now
	t.moveToFront(i)
	return true
}

// Peek returns the value for k without creating or touching it.
func (t *Table[K, V]) Peek(k K) (*V, bool) {
	if i := t.find(k, uint32(t.hash(k))); i >= 0 {
		return &t.slots[i].val, true
	}
	return nil, false
}

// Remove deletes k's entry (running Evict with Removed) and reports whether
// it was present.
func (t *Table[K, V]) Remove(k K) bool {
	t.enter()
	i := t.find(k, uint32(t.hash(k)))
	if i >= 0 {
		t.drop(i, Removed)
	}
	return i >= 0
}

// Expire advances the capture clock to now and removes up to max entries
// that have been idle for longer than Config.Idle, oldest first; max <= 0
// means no limit. It returns how many expired. Calling it once per packet
// with a small max keeps expiry amortized.
func (t *Table[K, V]) Expire(now time.Time, max int) int {
	t.enter()
	t.advance(now)
	if t.idle <= 0 {
		return 0
	}
	if max <= 0 {
		max = t.n
	}
	return t.expire(max)
}

func (t *Table[K, V]) expire(max int) int {
	n := 0
	for n < max && t.tail >= 0 && t.now-t.slots[t.tail].last > t.idle {
		t.drop(t.tail, Expired)
		n++
	}
	return n
}

// Flush removes every entry, least recently used first, running Evict with
// Flushed on each (at the end of a capture).
//
// The index is cleared at once when the table is more than a sixteenth
// full, entry by entry otherwise.
func (t *Table[K, V]) Flush() {
	t.enter()
	bulk := t.n > len(t.idx.pos)/16
	var zero K
	for i := t.tail; i >= 0; {
		s := &t.slots[i]
		if t.cfg.Evict != nil {
			t.busy = true
			t.cfg.Evict(s.key, &s.val, Flushed)
			t.busy = false
		}
		t.stats.Flushed++
		if !bulk {
			t.idx.remove(s.tag, i)
		}
		prev := s.prev
		s.key = zero
		s.prev = -1
		s.next = t.free
		t.free = i
		i = prev
	}
	if bulk {
		t.idx.clear()
	}
	t.head, t.tail, t.n, t.memo = -1, -1, 0, -1
}

// All iterates over the entries from most to least recently used. The table
// must not be changed during the iteration.
func (t *Table[K, V]) All() iter.Seq2[K, *V] {
	return func(yield func(K, *V) bool) {
		t.enter()
		t.busy = true
		defer func() { t.busy = false }()
		for i := t.head; i >= 0; i = t.slots[i].next {
			if !yield(t.slots[i].key, &t.slots[i].val) {
				return
			}
		}
	}
}

// drop runs the Evict hook, then unlinks slot i and puts it on the free list.
func (t *Table[K, V]) drop(i int32, why Reason) {
	s := &t.slots[i]
	if t.cfg.Evict != nil {
		t.busy = true
		t.cfg.Evict(s.key, &s.val, why)
		t.busy = false
	}
	switch why {
	case Expired:
		t.stats.Expired++
	case Evicted:
		t.stats.Evicted++
	case Removed:
		t.stats.Removed++
	case Flushed:
		t.stats.Flushed++
	}
	t.idx.remove(s.tag, i)
	if t.memo == i {
		t.memo = -1
	}
	t.unlink(i)
	var zero K
	s.key = zero
	s.next = t.free
	s.prev = -1
	t.free = i
	t.n--
}

func (t *Table[K, V]) unlink(i int32) {
	s := &t.slots[i]
	if s.prev >= 0 {
		t.slots[s.prev].next = s.next
	} else {
		t.head = s.next
	}
	if s.next >= 0 {
		t.slots[s.next].prev = s.prev
	} else {
		t.tail = s.prev
	}
	s.prev, s.next = -1, -1
}

func (t *Table[K, V]) pushFront(i int32) {
	s := &t.slots[i]
	s.prev = -1
	s.next = t.head
	if t.head >= 0 {
		t.slots[t.head].prev = i
	} else {
		t.tail = i
	}
	t.head = i
}

func (t *Table[K, V]) moveToFront(i int32) {
	if t.head == i {
		return
	}
	t.unlink(i)
	t.pushFront(i)
}
