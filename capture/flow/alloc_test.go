package flow

import (
	"net/netip"
	"testing"
	"time"
)

// keys returns n distinct TCP keys.
func keys(n int) []Key {
	ks := make([]Key, n)
	for i := range ks {
		a := netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)})
		ks[i], _ = NewKey(TCP, a, uint16(40000+i%20000), netip.MustParseAddr("10.1.0.1"), 135)
	}
	return ks
}

type flowVal struct {
	buf  []byte
	pkts int
}

func newFlowTable(tb testing.TB, max int, idle time.Duration) *Table[Key, flowVal] {
	t, err := New(Config[Key, flowVal]{
		Max:   max,
		Idle:  idle,
		Init:  func(_ Key, v *flowVal) { v.buf = v.buf[:0]; v.pkts = 0 },
		Evict: func(_ Key, v *flowVal, _ Reason) { v.pkts = -1 },
	})
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

func TestNoAllocs(t *testing.T) {
	ks := keys(4096)
	c, s := netip.MustParseAddr("10.0.2.15"), netip.MustParseAddr("10.0.2.16")
	hit := newFlowTable(t, 64, 0)
	hit.Get(ks[0], t0)
	hits := newFlowTable(t, 256, 0) // holds ks[:256]: every Get goes through the index
	for _, k := range ks[:256] {
		hits.Get(k, t0)
	}
	ints, err := New(Config[int, int]{Max: 256}) // the maphash.Comparable default hash
	if err != nil {
		t.Fatal(err)
	}
	c6, s6 := netip.MustParseAddr("fe80::1"), netip.MustParseAddr("::ffff:10.0.2.16")
	churn := newFlowTable(t, 256, 0)
	idle := newFlowTable(t, 256, time.Second)
	// Warm-up: fill and churn every table once so that the map has seen
	// deletions and reinsertions at full size.
	for i, k := range ks {
		churn.Get(k, t0)
		idle.Get(k, t0.Add(time.Duration(i)*time.Second))
	}
	var i int
	var sink *flowVal
	var sinkKey Key
	var sinkSide Side
	var sinkHash uint64
	tests := []struct {
		name string
		f    func()
	}{
		{"NewKey", func() { sinkKey, sinkSide = NewKey(TCP, c, 49712, s, 135) }},
		{"NewKey IPv6 and mapped", func() { sinkKey, sinkSide = NewKey(TCP, c6, 49712, s6, 135) }},
		{"Key.Hash", func() { sinkHash = ks[i%len(ks)].Hash(); i++ }},
		{"Get hit", func() { sink, _ = hit.Get(ks[0], t0) }},
		{"Get hit through the index", func() { sink, _ = hits.Get(ks[i%256], t0); i++ }},
		{"Get int keys", func() { _, _ = ints.Get(i%512, t0); i++ }},
		{"Get miss evicts LRU", func() { sink, _ = churn.Get(ks[i%len(ks)], t0); i++ }},
		{"Get miss expires idle", func() {
			sink, _ = idle.Get(ks[i%len(ks)], t0.Add(time.Duration(len(ks)+i)*time.Second))
			i++
		}},
		{"Peek", func() { sink, _ = churn.Peek(ks[i%len(ks)]); i++ }},
		{"Flush and refill", func() {
			hits.Flush()
			for _, k := range ks[i%2*8 : i%2*8+8] {
				sink, _ = hits.Get(k, t0)
			}
			i++
		}},
		{"Remove and Get", func() { k := ks[i%len(ks)]; churn.Remove(k); sink, _ = churn.Get(k, t0); i++ }},
		{"Expire", func() { idle.Expire(t0.Add(time.Duration(2*len(ks)+i)*time.Second), 1); i++ }},
	}
	for _, tt := range tests {
		if n := testing.AllocsPerRun(5000, tt.f); n != 0 {
			t.Errorf("%s: %v allocs per run, want 0", tt.name, n)
		}
	}
	_, _, _, _ = sink, sinkKey, sinkSide, sinkHash
}
