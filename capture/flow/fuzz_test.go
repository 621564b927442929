package flow

import (
	"testing"
	"time"
)

// FuzzFlow drives a small table with an operation sequence read from the
// input and checks the table's invariants after every operation: the
// recency list and the index agree, capture times never increase from head
// to tail, the counters add up, and Evict only ever sees present keys.
func FuzzFlow(f *testing.F) {
	f.Add([]byte{0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 3, 200, 2, 0})
	f.Add([]byte{0, 1, 0, 1, 1, 1, 0, 1, 4})
	f.Add([]byte{3, 255, 0, 9, 3, 1, 0, 8, 2, 1, 5, 0, 6})
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) > 4096 {
			ops = ops[:4096]
		}
		var present map[uint8]bool
		tb, err := New(Config[uint8, uint8]{
			Max:  4,
			Idle: 10 * time.Second,
			Init: func(k uint8, v *uint8) {
				if present[k] {
					t.Fatalf("Init for present key %d", k)
				}
				present[k] = true
				*v = k
			},
			Evict: func(k uint8, v *uint8, why Reason) {
				if !present[k] || *v != k {
					t.Fatalf("Evict(%d, %d, %v) for an absent key or a foreign value", k, *v, why)
				}
				delete(present, k)
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		present = map[uint8]bool{}
		now := t0
		for i := 0; i+1 < len(ops); i += 2 {
			op, arg := ops[i]%7, ops[i+1]
			k := arg % 8
			switch op {
			case 0, 1:
				v, _ := tb.Get(k, now)
				if *v != k {
					t.Fatalf("Get(%d) returned the value of %d", k, *v)
				}
			case 2:
				tb.Remove(k)
			case 3:
				now = now.Add(time.Duration(arg) * 100 * time.Millisecond)
			case 4:
				now = now.Add(-time.Duration(arg) * time.Second) // capture time running backwards
			case 5:
				tb.Expire(now, int(arg%3))
			case 6:
				if arg%16 == 0 {
					tb.Flush()
				} else if _, ok := tb.Peek(k); ok != present[k] {
					t.Fatalf("Peek(%d) = %v, want %v", k, ok, present[k])
				}
			}
			checkTable(t, tb, present)
		}
	})
}

func checkTable(t *testing.T, tb *Table[uint8, uint8], present map[uint8]bool) {
	t.Helper()
	if n := checkIndex(t, tb); tb.Len() > tb.Cap() || tb.Len() != n || tb.Len() != len(present) {
		t.Fatalf("len %d cap %d index %d hooks %d", tb.Len(), tb.Cap(), n, len(present))
	}
	n := 0
	prev := int32(-1)
	last := int64(1<<63 - 1)
	for i := tb.head; i >= 0; i = tb.slots[i].next {
		s := &tb.slots[i]
		if s.prev != prev {
			t.Fatalf("slot %d prev %d, want %d", i, s.prev, prev)
		}
		if j := tb.find(s.key, uint32(tb.hash(s.key))); j != i {
			t.Fatalf("listed key %d found at slot %d, want %d", s.key, j, i)
		}
		if s.last > last {
			t.Fatal("recency list out of capture-time order")
		}
		last = s.last
		prev = i
		n++
		if n > tb.Cap() {
			t.Fatal("recency list has a cycle")
		}
	}
	if prev != tb.tail || n != tb.Len() {
		t.Fatalf("list walk: %d entries ending at %d; len %d tail %d", n, prev, tb.Len(), tb.tail)
	}
	free := 0
	for i := tb.free; i >= 0; i = tb.slots[i].next {
		free++
		if free > tb.Cap() {
			t.Fatal("free list has a cycle")
		}
	}
	if free+n != tb.Cap() {
		t.Fatalf("%d free + %d used != cap %d", free, n, tb.Cap())
	}
	st := tb.Stats()
	if st.Created-st.Expired-st.Evicted-st.Removed-st.Flushed != uint64(tb.Len()) {
		t.Fatalf("counters do not add up: %+v len %d", st, tb.Len())
	}
}

// checkIndex checks the index's invariants and returns how many entries it
// holds: every entry names a listed slot whose stored tag it carries, no
// slot is indexed twice, no empty position lies between an entry and its
// home, and the index is at most half full.
func checkIndex[K comparable, V any](t *testing.T, tb *Table[K, V]) int {
	t.Helper()
	x := &tb.idx
	if len(x.pos)&(len(x.pos)-1) != 0 || uint32(len(x.pos)-1) != x.mask || len(x.pos) < 2*tb.Cap() {
		t.Fatalf("index capacity %d mask %#x for cap %d", len(x.pos), x.mask, tb.Cap())
	}
	seen := make([]bool, tb.Cap())
	n := 0
	for p, e := range x.pos {
		if e == 0 {
			continue
		}
		n++
		i := entrySlot(e)
		if i < 0 || int(i) >= tb.Cap() || seen[i] {
			t.Fatalf("position %d: slot %d out of range or indexed twice", p, i)
		}
		seen[i] = true
		s := &tb.slots[i]
		if s.tag != entryTag(e) || uint32(tb.hash(s.key)) != s.tag {
			t.Fatalf("position %d: tag %#x, slot tag %#x", p, entryTag(e), s.tag)
		}
		for q := entryTag(e) & x.mask; q != uint32(p); q = (q + 1) & x.mask {
			if x.pos[q] == 0 {
				t.Fatalf("position %d: empty position %d between the entry and its home", p, q)
			}
		}
	}
	if 2*n > len(x.pos) {
		t.Fatalf("index holds %d of %d positions", n, len(x.pos))
	}
	return n
}
