package tcpstream

import (
	"math/rand"
	"reflect"
	"testing"
)

// poolCase builds a garbage-laced DCE/RPC byte stream for seed and cuts it
// into segments, reordered, duplicated or with a loss depending on the seed.
func poolCase(seed int64) []tseg {
	rng := rand.New(rand.NewSource(seed))
	pdus := genDCEPDUs(rng, 10, 16, 3000, seed%2 == 0)
	var parts [][]byte
	for i, p := range pdus {
		parts = append(parts, p)
		if i%4 == 2 {
			g := make([]byte, 1+rng.Intn(200))
			rng.Read(g)
			parts = append(parts, g)
		}
	}
	b := concat(parts)
	segs := cutStream(b, func() int { return 1 + rng.Intn(1+int(seed*53%2000)) })
	if seed%3 == 0 {
		reorder(rng, segs, 5)
	}
	if seed%4 == 0 {
		segs = duplicate(rng, segs, 0.2, 3)
		segs = overlap(rng, b, segs, 0.2, 3)
	}
	if seed%5 == 0 && len(segs) > 3 {
		segs = append(segs[:len(segs)/2], segs[len(segs)/2+1:]...)
	}
	return segs
}

// TestPoolSameResult feeds pairs of streams, interleaved segment by segment,
// with and without a shared Pool: the PDUs, their metadata and the counters
// must be the same, and every pooled stream must hand its buffers back once
// it is flushed.
func TestPoolSameResult(t *testing.T) {
	lim := Limits{MaxBuffered: 16 << 10, MaxHeld: 8, MaxPDU: 4096}
	pool := NewPool(0)
	for seed := int64(1); seed <= 60; seed++ {
		cases := [2][]tseg{poolCase(seed), poolCase(seed + 1000)}
		run := func(p *Pool) ([2]*recorder, [2]Stats) {
			var recs [2]*recorder
			var ss [2]*Stream
			for i := range ss {
				ss[i] = NewStream(dceFramer, lim)
				ss[i].SetPool(p)
				recs[i] = &recorder{}
			}
			for k := 0; k < max(len(cases[0]), len(cases[1])); k++ {
				for i := range ss {
					if k < len(cases[i]) {
						sg := cases[i][k]
						seg := Segment{Seq: 1000 + uint32(sg.off), Flags: ACK, Payload: sg.data, Frame: uint64(k + 1), Time: t0}
						ss[i].Push(&seg, recs[i])
					}
				}
			}
			var st [2]Stats
			for i := range ss {
				ss[i].Flush(recs[i])
				checkAccounting(t, ss[i])
				st[i] = ss[i].Stats()
				if p != nil && (ss[i].buf != nil || ss[i].marks != nil || ss[i].held != nil) {
					t.Fatalf("seed %d: a flushed pooled stream still holds buffers", seed)
				}
			}
			return recs, st
		}
		r0, s0 := run(nil)
		r1, s1 := run(pool)
		for i := range r0 {
			if !reflect.DeepEqual(r0[i].pdus, r1[i].pdus) || !reflect.DeepEqual(r0[i].meta, r1[i].meta) {
				t.Fatalf("seed %d stream %d: with a pool %d PDUs, without %d (or different metadata)", seed, i, len(r1[i].pdus), len(r0[i].pdus))
			}
			if s0[i] != s1[i] {
				t.Fatalf("seed %d stream %d: stats differ:\nwithout %+v\nwith    %+v", seed, i, s0[i], s1[i])
			}
		}
	}
	st := pool.Stats()
	if st.Gets == 0 || st.Puts == 0 || st.News >= st.Gets {
		t.Fatalf("pool not exercised or not reusing: %+v", st)
	}
	t.Logf("pool: %+v, idle %d bytes", st, pool.Idle())
}

// TestPoolNoAllocs: once a pool has served a connection's buffers, further
// connections through it (Reset, then a PDU split across segments, a loss
// and out-of-order data) allocate nothing.
func TestPoolNoAllocs(t *testing.T) {
	pool := NewPool(0)
	segs := poolCase(15)
	c := NewConn(dceFramer, Limits{}, 1)
	c.SetPool(pool)
	var rec nopHandler
	run := func() {
		c.Reset(dceFramer, Limits{}, 1)
		for k, sg := range segs {
			seg := Segment{Seq: 1000 + uint32(sg.off), Flags: ACK, Payload: sg.data, Frame: uint64(k + 1), Time: t0}
			c.Segment(0, &seg, rec)
		}
		c.Flush(rec)
	}
	run()
	if a := testing.AllocsPerRun(20, run); a != 0 {
		t.Fatalf("%.1f allocations per pooled connection", a)
	}
}

// TestPoolBound: idle buffers beyond the bound are discarded, not kept.
func TestPoolBound(t *testing.T) {
	p := NewPool(4 << 10)
	bs := [][]byte{p.buf(1500, 1<<20), p.buf(3000, 1<<20), p.buf(4000, 1<<20)}
	for _, b := range bs {
		if len(b) != cap(b) || len(b) < 1500 {
			t.Fatalf("buffer len %d cap %d", len(b), cap(b))
		}
		p.putBuf(b)
	}
	if p.Idle() > 4<<10 || p.Stats().Discarded == 0 {
		t.Fatalf("idle %d, stats %+v", p.Idle(), p.Stats())
	}
	if b := p.buf(100, 512); len(b) != 100 {
		t.Fatalf("a buffer above the limit class: len %d", len(b))
	}
}

type nopHandler struct{}

func (nopHandler) PDU(*PDU)     {}
func (nopHandler) Event(*Event) {}
