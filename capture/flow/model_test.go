package flow

import (
	"hash/maphash"
	"math"
	"net/netip"
	"slices"
	"testing"
	"time"
)

// model is a plain reference for Table: entries in recency order (most
// recent first), each with its last touch, and the hook calls it expects.
type model struct {
	max   int
	idle  int64
	now   int64
	ents  []modelEnt
	out   []hookCall // hook calls, in order
	stats Stats
}

type modelEnt struct {
	key  uint16
	last int64
}

type hookCall struct {
	key  uint16
	init bool
	why  Reason
}

func (m *model) find(k uint16) int {
	return slices.IndexFunc(m.ents, func(e modelEnt) bool { return e.key == k })
}

func (m *model) advance(now int64) { m.now = max(m.now, now) }

func (m *model) drop(i int, why Reason) {
	m.out = append(m.out, hookCall{key: m.ents[i].key, why: why})
	m.ents = slices.Delete(m.ents, i, i+1)
	switch why {
	case Expired:
		m.stats.Expired++
	case Evicted:
		m.stats.Evicted++
	case Removed:
		m.stats.Removed++
	case Flushed:
		m.stats.Flushed++
	}
}

func (m *model) expire(n int) int {
	done := 0
	for done < n && len(m.ents) > 0 && m.now-m.ents[len(m.ents)-1].last > m.idle {
		m.drop(len(m.ents)-1, Expired)
		done++
	}
	return done
}

func (m *model) get(k uint16, now int64) bool {
	m.advance(now)
	m.stats.Lookups++
	if i := m.find(k); i >= 0 {
		m.stats.Hits++
		m.ents = slices.Delete(m.ents, i, i+1)
		m.ents = slices.Insert(m.ents, 0, modelEnt{k, m.now})
		return false
	}
	if m.idle > 0 {
		m.expire(2)
	}
	if len(m.ents) == m.max {
		m.drop(len(m.ents)-1, Evicted)
	}
	m.ents = slices.Insert(m.ents, 0, modelEnt{k, m.now})
	m.out = append(m.out, hookCall{key: k, init: true})
	m.stats.Created++
	return true
}

// FuzzTableModel runs a Table and the model side by side on an operation
// sequence read from the input: Get, Peek, Remove, Expire, Flush and clock
// moves (forwards and backwards) over up to 64 keys. The first bytes choose
// the table's size, its idle timeout, its key type (uint16, or flow keys
// over IPv4, IPv4-mapped, IPv6 and zoned addresses) and its hash: the
// built-in seeded one, or a weak one that makes many keys share a home and
// perhaps a tag (to exercise long runs, wrap-around and backward shifts).
// After every operation the hooks called, the recency order, the counters,
// the answers and the index invariants must match the model.
func FuzzTableModel(f *testing.F) {
	f.Add([]byte{4, 1, 0, 0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 2, 3, 6, 0, 7, 0})
	f.Add([]byte{9, 2, 1, 0, 1, 0, 9, 0, 17, 0, 25, 2, 9, 0, 33, 4, 0, 8, 0})
	f.Add([]byte{33, 3, 2, 0, 5, 5, 200, 0, 5, 6, 0, 3, 5, 7, 1, 0, 6})
	f.Add([]byte{1, 0, 3, 0, 1, 0, 2, 1, 1, 8, 0})
	f.Add([]byte{6, 1, 4, 0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 2, 3, 6, 0, 7, 0})
	f.Add([]byte{6, 0, 6, 0, 1, 0, 9, 0, 17, 0, 25, 2, 9, 0, 33, 4, 0, 8, 0})
	flowKeys := modelKeys()
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) < 3 {
			return
		}
		if len(in) > 3000 {
			in = in[:3000]
		}
		weak := int(in[2] % 4)
		if in[2]/4%2 == 0 {
			id := func(k uint16) uint16 { return k }
			runModel(t, in, func(i uint16) uint16 { return i }, id, weakHash(weak, id))
			return
		}
		ids := make(map[Key]uint16, len(flowKeys))
		for i, k := range flowKeys {
			ids[k] = uint16(i)
		}
		id := func(k Key) uint16 { return ids[k] }
		runModel(t, in, func(i uint16) Key { return flowKeys[i] }, id, weakHash(weak, id))
	})
}

// weakHash returns nil (the built-in hash) for mode 0, else a poor hash of
// the key's id.
func weakHash[K comparable](mode int, id func(K) uint16) func(maphash.Seed, K) uint64 {
	switch mode {
	case 1: // four homes
		return func(_ maphash.Seed, k K) uint64 { return uint64(id(k) % 4) }
	case 2: // one home, one tag: every probe compares keys
		return func(_ maphash.Seed, k K) uint64 { return uint64(id(k))<<32 | 7 }
	case 3: // one home (the index has at least 8 positions), a tag per key
		return func(_ maphash.Seed, k K) uint64 { return uint64(id(k))<<8 | 7 }
	}
	return nil
}

// modelKeys returns 64 distinct flow keys, some alike but for a zone, a
// port or the mapped form of an address.
func modelKeys() []Key {
	addrs := []netip.Addr{
		netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2"),
		netip.MustParseAddr("::ffff:10.0.0.1"), netip.MustParseAddr("fe80::1"),
		netip.MustParseAddr("fe80::1%eth0"), netip.MustParseAddr("fe80::1%eth1"),
		netip.MustParseAddr("2001:db8::1"), {},
	}
	var ks []Key
	for i := 0; len(ks) < 64; i++ {
		k := Key{A: addrs[i%len(addrs)], B: addrs[(i/len(addrs)+1)%len(addrs)], PortA: 135, PortB: 49152, Proto: TCP}
		if i >= 56 {
			k.PortB += uint16(i)
		}
		ks = append(ks, k)
	}
	return ks
}

// runModel runs one input against a table with keys of type K: key(i)
// is the key of model id i, id its inverse.
func runModel[K comparable](t *testing.T, in []byte, key func(uint16) K, id func(K) uint16, hash func(maphash.Seed, K) uint64) {
	m := &model{max: int(in[0])%40 + 1, idle: int64(in[1]%4) * int64(time.Second), now: math.MinInt64}
	var got []hookCall
	tb, err := New(Config[K, uint16]{
		Max:  m.max,
		Idle: time.Duration(m.idle),
		Hash: hash,
		Init: func(k K, v *uint16) {
			*v = id(k)
			got = append(got, hookCall{key: id(k), init: true})
		},
		Evict: func(k K, v *uint16, why Reason) {
			if *v != id(k) {
				t.Fatalf("Evict(%d) with the value of %d", id(k), *v)
			}
			got = append(got, hookCall{key: id(k), why: why})
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	now := t0
	for i := 3; i+1 < len(in); i += 2 {
		op, arg := in[i]%8, in[i+1]
		k := uint16(arg % 64)
		switch op {
		case 0, 1:
			v, created := tb.Get(key(k), now)
			if want := m.get(k, now.UnixNano()); created != want || *v != k {
				t.Fatalf("op %d: Get(%d) = %d created %v, model created %v", i, k, *v, created, want)
			}
		case 2:
			_, ok := tb.Peek(key(k))
			if want := m.find(k) >= 0; ok != want {
				t.Fatalf("op %d: Peek(%d) = %v, model %v", i, k, ok, want)
			}
		case 3:
			ok := tb.Remove(key(k))
			want := m.find(k)
			if want >= 0 {
				m.drop(want, Removed)
			}
			if ok != (want >= 0) {
				t.Fatalf("op %d: Remove(%d) = %v", i, k, ok)
			}
		case 4:
			now = now.Add(time.Duration(arg) * 50 * time.Millisecond)
		case 5:
			now = now.Add(-time.Duration(arg) * time.Second)
		case 6:
			n := tb.Expire(now, int(arg%4))
			m.advance(now.UnixNano())
			want := 0
			if m.idle > 0 {
				lim := int(arg % 4)
				if lim <= 0 {
					lim = len(m.ents)
				}
				want = m.expire(lim)
			}
			if n != want {
				t.Fatalf("op %d: Expire = %d, model %d", i, n, want)
			}
		case 7:
			tb.Flush()
			for len(m.ents) > 0 {
				m.drop(len(m.ents)-1, Flushed)
			}
		}
		compareModel(t, i, tb, m, got, key, id)
	}
}

func compareModel[K comparable](t *testing.T, op int, tb *Table[K, uint16], m *model, got []hookCall, key func(uint16) K, id func(K) uint16) {
	t.Helper()
	if !slices.Equal(got, m.out) {
		t.Fatalf("op %d: hook calls %v, model %v", op, got, m.out)
	}
	var keys []uint16
	for k := range tb.All() {
		keys = append(keys, id(k))
	}
	var want []uint16
	for _, e := range m.ents {
		want = append(want, e.key)
	}
	if !slices.Equal(keys, want) {
		t.Fatalf("op %d: recency order %v, model %v", op, keys, want)
	}
	if tb.Stats() != m.stats || tb.Len() != len(m.ents) {
		t.Fatalf("op %d: stats %+v len %d, model %+v len %d", op, tb.Stats(), tb.Len(), m.stats, len(m.ents))
	}
	n := checkIndex(t, tb)
	if n != len(m.ents) {
		t.Fatalf("op %d: index holds %d, model %d", op, n, len(m.ents))
	}
	for j, e := range m.ents {
		k := key(e.key)
		i := tb.find(k, uint32(tb.hash(k)))
		if i < 0 || tb.slots[i].last != e.last {
			t.Fatalf("op %d: entry %d (key %d): slot %d, model last touch %d", op, j, e.key, i, e.last)
		}
	}
}
