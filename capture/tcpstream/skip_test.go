package tcpstream

import (
	"bytes"
	"math/rand"
	"reflect"
	"testing"
)

// skipDCEFramer is dceFramer with the skip hint of Framer: when b[0] is not
// 5, no PDU starts before the next 5.
func skipDCEFramer(b []byte) (int, error) {
	if len(b) > 0 && b[0] != 5 {
		if i := bytes.IndexByte(b[1:], 5); i >= 0 {
			return i + 1, errNotHeader
		}
		return len(b), errNotHeader
	}
	return dceFramer(b)
}

// TestFramerSkipHint checks that a framer's skip hint changes nothing but
// the number of framer calls: the same PDUs, metadata and counters as the
// byte-by-byte framer, over streams with garbage between PDUs, cut small and
// large, reordered, duplicated and overlapping, and with a lost segment.
func TestFramerSkipHint(t *testing.T) {
	for seed := int64(1); seed <= 40; seed++ {
		rng := rand.New(rand.NewSource(seed))
		pdus := genDCEPDUs(rng, 12, 16, 700, seed%2 == 0)
		var parts [][]byte
		for i, p := range pdus {
			parts = append(parts, p)
			if i%3 == 1 { // garbage, some of it with fives that are not headers
				g := make([]byte, 1+rng.Intn(300))
				for j := range g {
					g[j] = byte(rng.Intn(256))
				}
				parts = append(parts, g)
			}
		}
		b := concat(parts)
		segs := cutStream(b, func() int { return 1 + rng.Intn(int(1+seed*37%1500)) })
		if seed%3 == 0 {
			reorder(rng, segs, 4)
		}
		if seed%4 == 0 {
			segs = duplicate(rng, segs, 0.2, 3)
			segs = overlap(rng, b, segs, 0.2, 3)
		}
		if seed%5 == 0 && len(segs) > 3 {
			segs = append(segs[:len(segs)/2], segs[len(segs)/2+1:]...)
		}
		lim := Limits{MaxBuffered: 4096, MaxPDU: 2048}
		var calls [2]int
		run := func(f Framer, n *int) (*recorder, Stats) {
			s := NewStream(func(b []byte) (int, error) { *n++; return f(b) }, lim)
			var rec recorder
			push(s, uint32(seed)*0x9e3779b9, segs, &rec)
			s.Flush(&rec)
			checkAccounting(t, s)
			return &rec, s.Stats()
		}
		r0, s0 := run(dceFramer, &calls[0])
		r1, s1 := run(skipDCEFramer, &calls[1])
		if !reflect.DeepEqual(r0.pdus, r1.pdus) || !reflect.DeepEqual(r0.meta, r1.meta) {
			t.Fatalf("seed %d: skipping framer delivered %d PDUs, byte-by-byte %d (or different metadata)", seed, len(r1.pdus), len(r0.pdus))
		}
		if s0 != s1 {
			t.Fatalf("seed %d: stats differ:\nbyte-by-byte %+v\nskipping     %+v", seed, s0, s1)
		}
		if s0.Skipped > 64 && calls[1] >= calls[0] {
			t.Errorf("seed %d: skipping framer called %d times, byte-by-byte %d", seed, calls[1], calls[0])
		}
	}
}
