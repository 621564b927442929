package flow

import (
	"strconv"
	"testing"
	"time"
)

func BenchmarkGet(b *testing.B) {
	ks := keys(1 << 16)
	b.Run("hit-last", func(b *testing.B) {
		// The same key again: the memo of the last slot answers.
		t := newFlowTable(b, 1<<10, 0)
		t.Get(ks[0], t0)
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			t.Get(ks[0], t0)
		}
	})
	for _, size := range []int{1 << 10, 1 << 16} {
		b.Run("hit/entries="+strconv.Itoa(size), func(b *testing.B) {
			t := newFlowTable(b, size, 0)
			for _, k := range ks[:size] {
				t.Get(k, t0)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				t.Get(ks[i&(size-1)], t0)
			}
		})
		b.Run("miss-evict/entries="+strconv.Itoa(size), func(b *testing.B) {
			// The table holds half the keys; cycling through all of them
			// misses every time and evicts the least recently used.
			t := newFlowTable(b, size/2, 0)
			for _, k := range ks[:size] {
				t.Get(k, t0)
			}
			b.ReportAllocs()
			b.ResetTimer()
			before := t.Stats().Evicted
			for i := 0; i < b.N; i++ {
				t.Get(ks[i&(size-1)], t0)
			}
			b.ReportMetric(float64(t.Stats().Evicted-before)/float64(b.N), "evicted/op")
		})
		b.Run("miss-expire/entries="+strconv.Itoa(size), func(b *testing.B) {
			// Lookups two seconds apart with a one-second idle timeout over
			// twice as many keys as the table holds: every lookup misses and
			// expires idle entries from the tail instead of evicting.
			t := newFlowTable(b, size/2, time.Second)
			for i, k := range ks[:size] {
				t.Get(k, t0.Add(time.Duration(i)*2*time.Second))
			}
			b.ReportAllocs()
			b.ResetTimer()
			before := t.Stats().Expired
			for i := 0; i < b.N; i++ {
				t.Get(ks[i&(size-1)], t0.Add(time.Duration(size+i)*2*time.Second))
			}
			b.ReportMetric(float64(t.Stats().Expired-before)/float64(b.N), "expired/op")
		})
	}
}

func BenchmarkPeekMiss(b *testing.B) {
	ks := keys(1 << 12)
	t := newFlowTable(b, 1<<10, 0)
	for _, k := range ks[:1<<10] {
		t.Get(k, t0)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t.Peek(ks[1<<10+i&(1<<11-1)])
	}
}

func BenchmarkNewKey(b *testing.B) {
	ks := keys(1 << 10)
	b.ReportAllocs()
	var sink Key
	for i := 0; i < b.N; i++ {
		k := &ks[i&(1<<10-1)]
		if i&1 == 0 {
			sink, _ = NewKey(TCP, k.A, k.PortA, k.B, k.PortB)
		} else {
			sink, _ = NewKey(TCP, k.B, k.PortB, k.A, k.PortA)
		}
	}
	_ = sink
}

func BenchmarkKeyHash(b *testing.B) {
	ks := keys(1 << 10)
	b.ReportAllocs()
	var h uint64
	for i := 0; i < b.N; i++ {
		h += ks[i&(1<<10-1)].Hash()
	}
	_ = h
}
