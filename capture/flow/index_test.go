package flow

import (
	"hash/maphash"
	"math/rand"
	"net/netip"
	"slices"
	"testing"
)

// TestIndexLayout checks the index alone on a hand-built run that wraps
// around the end: entries land at the first empty position from their
// home, and removing one shifts back exactly the later entries whose home
// allows it.
func TestIndexLayout(t *testing.T) {
	x := newIndex(8) // mask 7
	// tag -> home: 6, 6, 7, 6, 1
	x.insert(0x106, 0) // at 6
	x.insert(0x206, 1) // at 7
	x.insert(0x307, 2) // at 0 (wrapped)
	x.insert(0x406, 3) // at 1
	x.insert(0x501, 4) // home 1 taken: at 2
	layout := func() []int32 {
		var s []int32
		for _, e := range x.pos {
			if e == 0 {
				s = append(s, -1)
			} else {
				s = append(s, entrySlot(e))
			}
		}
		return s
	}
	if got, want := layout(), []int32{2, 3, 4, -1, -1, -1, 0, 1}; !slices.Equal(got, want) {
		t.Fatalf("layout %v, want %v", got, want)
	}
	// Removing slot 1 (at 7): slot 2 (home 7) moves to 7, slot 3 (home 6)
	// to 0, slot 4 (home 1) to 1.
	x.remove(0x206, 1)
	if got, want := layout(), []int32{3, 4, -1, -1, -1, -1, 0, 2}; !slices.Equal(got, want) {
		t.Fatalf("after removing slot 1: layout %v, want %v", got, want)
	}
	// Removing slot 0 (at 6): slot 2 (home 7) stays, slot 3 (home 6)
	// moves to 6; slot 4 (home 1) stays at 1 even though 0 is now empty.
	x.remove(0x106, 0)
	if got, want := layout(), []int32{-1, 4, -1, -1, -1, -1, 3, 2}; !slices.Equal(got, want) {
		t.Fatalf("after removing slot 0: layout %v, want %v", got, want)
	}
	// Removing an absent entry (right tag, wrong slot) changes nothing.
	x.remove(0x307, 9)
	if got, want := layout(), []int32{-1, 4, -1, -1, -1, -1, 3, 2}; !slices.Equal(got, want) {
		t.Fatalf("after removing an absent entry: layout %v, want %v", got, want)
	}
}

func TestIndexCap(t *testing.T) {
	for _, tt := range []struct {
		max  int
		want uint64
	}{{1, 8}, {4, 8}, {5, 16}, {16384, 32768}, {16385, 65536}, {MaxEntries, 1 << 32}} {
		want := tt.want
		if want > uint64(maxInt) {
			want = 0 // does not fit in an int here
		}
		if got := indexCap(tt.max); uint64(got) != want {
			t.Errorf("indexCap(%d) = %d, want %d", tt.max, got, want)
		}
	}
}

// churn drives tb with random Get and Remove calls over keys (Evict keeps
// present up to date) and checks it against present: Len, Peek for every
// key, and the index invariants every so often.
func churn[K comparable](t *testing.T, tb *Table[K, int], keys []K, present map[K]bool, ops int, seed int64) {
	t.Helper()
	rng := rand.New(rand.NewSource(seed))
	for op := 0; op < ops; op++ {
		k := keys[rng.Intn(len(keys))]
		switch rng.Intn(4) {
		case 0:
			was := present[k]
			if tb.Remove(k) != was || present[k] {
				t.Fatalf("op %d: Remove(%v) disagrees with the model", op, k)
			}
		default:
			was := present[k]
			_, created := tb.Get(k, t0)
			if created == was {
				t.Fatalf("op %d: Get(%v) created %v, was present %v", op, k, created, was)
			}
			present[k] = true
		}
		if tb.Len() != len(present) {
			t.Fatalf("op %d: Len %d, model %d", op, tb.Len(), len(present))
		}
		if op%97 == 0 {
			checkIndex(t, tb)
			for _, k := range keys {
				if _, ok := tb.Peek(k); ok != present[k] {
					t.Fatalf("op %d: Peek(%v) = %v, model %v", op, k, ok, present[k])
				}
			}
		}
	}
	checkIndex(t, tb)
}

func newChurnTable[K comparable](t *testing.T, max int, hash func(maphash.Seed, K) uint64, present map[K]bool) *Table[K, int] {
	t.Helper()
	tb, err := New(Config[K, int]{
		Max:  max,
		Hash: hash,
		Evict: func(k K, _ *int, _ Reason) {
			if !present[k] {
				t.Fatalf("Evict(%v) for an absent key", k)
			}
			delete(present, k)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

// TestIndexChurn inserts, evicts and removes flow keys at random against a
// reference map, with the table full most of the time.
func TestIndexChurn(t *testing.T) {
	ks := keys(3000)
	present := map[Key]bool{}
	tb := newChurnTable[Key](t, 1000, nil, present)
	churn(t, tb, ks, present, 100000, 1)
	if st := tb.Stats(); st.Evicted == 0 || st.Removed == 0 {
		t.Fatalf("churn did not evict and remove: %+v", st)
	}
}

// TestIndexFullEviction fills a table three times over: the last Max keys
// stay, every earlier one was evicted, and the index holds exactly them.
func TestIndexFullEviction(t *testing.T) {
	const max = 777
	ks := keys(3 * max)
	present := map[Key]bool{}
	tb := newChurnTable[Key](t, max, nil, present)
	for _, k := range ks {
		tb.Get(k, t0)
		present[k] = true
	}
	checkIndex(t, tb)
	for i, k := range ks {
		if _, ok := tb.Peek(k); ok != (i >= 2*max) {
			t.Fatalf("key %d present %v", i, ok)
		}
	}
	if st := tb.Stats(); st.Evicted != 2*max || tb.Len() != max {
		t.Fatalf("stats %+v len %d", st, tb.Len())
	}
	tb.Flush()
	checkIndex(t, tb)
	for _, e := range tb.idx.pos {
		if e != 0 {
			t.Fatal("index not empty after Flush")
		}
	}
}

// TestIndexAllCollide gives every key the same hash: the index degrades to
// one long run (lookups scan it) but stays correct through churn, removal
// from the middle of the run and Flush, both bulk and entry by entry.
func TestIndexAllCollide(t *testing.T) {
	ks := make([]int, 600)
	for i := range ks {
		ks[i] = i * 7
	}
	same := func(maphash.Seed, int) uint64 { return 0xdead_beef_0000_0003 }
	for _, max := range []int{5, 200} {
		present := map[int]bool{}
		tb := newChurnTable(t, max, same, present)
		churn(t, tb, ks, present, 20000, int64(max))
		tb.Flush()
		checkIndex(t, tb)
		if tb.Len() != 0 {
			t.Fatal("not empty after Flush")
		}
	}
}

// TestIndexFlood feeds a full table keys that look alike to a fixed hash:
// all share their addresses and differ only in the client port, or all fall
// in one bucket of the deterministic Key.Hash. The seeded index still
// spreads them: no key is far from its home, and two tables lay the same
// keys out differently.
func TestIndexFlood(t *testing.T) {
	c, s := netip.MustParseAddr("10.9.8.7"), netip.MustParseAddr("10.1.0.1")
	var ports, bucket []Key
	for p := 0; p < 4096; p++ {
		k, _ := NewKey(TCP, c, uint16(p), s, 135)
		ports = append(ports, k)
	}
	for i := 0; len(bucket) < 4096; i++ {
		a := netip.AddrFrom4([4]byte{172, 16, byte(i >> 8), byte(i)})
		k, _ := NewKey(TCP, a, uint16(i>>16)+1024, s, 135)
		if k.Hash()&0x3ff == 0 {
			bucket = append(bucket, k)
		}
	}
	for name, set := range map[string][]Key{"ports": ports, "Key.Hash bucket": bucket} {
		t.Run(name, func(t *testing.T) {
			var layouts [2][]uint64
			for n := range layouts {
				present := map[Key]bool{}
				tb := newChurnTable[Key](t, len(set), nil, present)
				for _, k := range set {
					tb.Get(k, t0)
					present[k] = true
				}
				checkIndex(t, tb)
				if d := maxProbe(tb); d > 40 {
					t.Errorf("a key sits %d positions after its home", d)
				} else {
					t.Logf("table %d: farthest key %d positions from its home", n, d)
				}
				layouts[n] = slices.Clone(tb.idx.pos)
				churn(t, tb, set, present, 20000, 3)
			}
			if slices.Equal(layouts[0], layouts[1]) {
				t.Error("two tables share a layout: the index hash is not seeded")
			}
		})
	}
}

// maxProbe returns the largest distance of an indexed key from its home.
func maxProbe[K comparable, V any](tb *Table[K, V]) uint32 {
	x := &tb.idx
	var d uint32
	for p, e := range x.pos {
		if e != 0 {
			d = max(d, (uint32(p)-entryTag(e))&x.mask)
		}
	}
	return d
}

// TestConfigHash checks that a Config.Hash gets the table's seed, one seed
// per table.
func TestConfigHash(t *testing.T) {
	var seeds []maphash.Seed
	h := func(s maphash.Seed, k int) uint64 {
		if len(seeds) == 0 || seeds[len(seeds)-1] != s {
			seeds = append(seeds, s)
		}
		return maphash.Comparable(s, k)
	}
	for range 2 {
		tb, err := New(Config[int, int]{Max: 4, Hash: h})
		if err != nil {
			t.Fatal(err)
		}
		tb.Get(1, t0)
		tb.Get(2, t0)
		if _, ok := tb.Peek(1); !ok {
			t.Fatal("Peek(1) missed")
		}
	}
	if len(seeds) != 2 || seeds[0] == seeds[1] {
		t.Fatalf("%d distinct seeds seen over two tables, want 2", len(seeds))
	}
}

// TestSame checks the field-by-field Key comparison against == on keys
// that differ in one field each, zones included, and on other key types.
func TestSame(t *testing.T) {
	base, _ := NewKey(TCP, netip.MustParseAddr("fe80::1"), 49712, netip.MustParseAddr("fe80::2"), 135)
	variants := []Key{base}
	for _, mod := range []func(*Key){
		func(k *Key) { k.Proto = UDP },
		func(k *Key) { k.PortA++ },
		func(k *Key) { k.PortB++ },
		func(k *Key) { k.A = k.A.WithZone("eth0") },
		func(k *Key) { k.B = k.B.WithZone("eth1") },
		func(k *Key) { k.A = netip.Addr{} },
		func(k *Key) { k.B = netip.AddrFrom16(k.B.Next().As16()) },
		func(k *Key) { k.A = netip.MustParseAddr("10.0.0.1") },
		func(k *Key) { k.A = netip.MustParseAddr("::ffff:10.0.0.1") },
	} {
		k := base
		mod(&k)
		variants = append(variants, k)
	}
	for i := range variants {
		for j := range variants {
			a, b := variants[i], variants[j]
			if got := same(&a, &b); got != (a == b) || got != (i == j) {
				t.Errorf("same(%d, %d) = %v, == says %v", i, j, got, a == b)
			}
		}
	}
	x, y := 3, 4
	if !same(&x, &x) || same(&x, &y) {
		t.Error("same on ints")
	}
}

// TestIndexZones keeps keys that differ only in their zones apart: they
// hash alike (zones are not hashed) but are different keys.
func TestIndexZones(t *testing.T) {
	tb, err := New(Config[Key, int]{Max: 8})
	if err != nil {
		t.Fatal(err)
	}
	var ks []Key
	for _, z := range []string{"", "eth0", "eth1", "wlan0"} {
		a := netip.MustParseAddr("fe80::1").WithZone(z)
		k, _ := NewKey(UDP, a, 135, netip.MustParseAddr("fe80::9"), 135)
		ks = append(ks, k)
		v, created := tb.Get(k, t0)
		if !created {
			t.Fatalf("zone %q: found another zone's entry", z)
		}
		*v = len(ks)
	}
	for i, k := range ks {
		if v, ok := tb.Peek(k); !ok || *v != i+1 {
			t.Fatalf("key %d: Peek = %v, %v", i, v, ok)
		}
	}
	tb.Remove(ks[1])
	checkIndex(t, tb)
	if _, ok := tb.Peek(ks[1]); ok {
		t.Fatal("removed key still found")
	}
	if v, ok := tb.Peek(ks[2]); !ok || *v != 3 {
		t.Fatal("removing one zone lost another")
	}
}
