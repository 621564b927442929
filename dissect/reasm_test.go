package dissect_test

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/rpcwatch/rpcwatch/dissect"
	"github.com/rpcwatch/rpcwatch/dissect/dcetest"
)

func randBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 7))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// coFrags cuts stub into CO response fragments of the given stub sizes
// (the last takes the rest) and decodes them.
func coFrags(t testing.TB, le bool, callID uint32, stub []byte, sizes ...int) []*dissect.COPDU {
	t.Helper()
	var out []*dissect.COPDU
	off := 0
	for i := 0; off < len(stub) || i == 0; i++ {
		n := len(stub) - off
		if i < len(sizes) && sizes[i] < n {
			n = sizes[i]
		}
		var f dissect.PFCFlags
		if i == 0 {
			f |= dissect.PFCFirstFrag
		}
		if off+n == len(stub) {
			f |= dissect.PFCLastFrag
		}
		var p dissect.COPDU
		if _, err := p.Decode(dcetest.COResponse(le, callID, 0, f, stub[off:off+n], nil)); err != nil {
			t.Fatal(err)
		}
		out = append(out, &p)
		off += n
	}
	return out
}

func coFeed(r *dissect.COReassembler, ps ...*dissect.COPDU) (stub []byte, frags int, done bool) {
	for _, p := range ps {
		stub, frags, done = r.Add(p)
	}
	return
}

func TestCOReasmInOrder(t *testing.T) {
	dcetest.BothOrders(func(name string, le bool) {
		t.Run(name, func(t *testing.T) {
			r := dissect.NewCOReassembler(dissect.COLimits{})
			// Samba's rpcdump answer: 4828 stub bytes as 4256 + 572 (PEERS.md §5).
			stub := randBytes(1, 4828)
			fs := coFrags(t, le, 2, stub, 4256)
			if len(fs) != 2 || len(fs[1].Stub) != 572 {
				t.Fatalf("fixture: %d fragments", len(fs))
			}
			if s, n, done := r.Add(fs[0]); done || s != nil || n != 0 {
				t.Fatalf("first fragment completed")
			}
			if r.InProgress() != 1 || r.Buffered() != 4256 {
				t.Errorf("in progress %d buffered %d", r.InProgress(), r.Buffered())
			}
			s, n, done := r.Add(fs[1])
			if !done || n != 2 || !bytes.Equal(s, stub) {
				t.Fatalf("done %v frags %d len %d", done, n, len(s))
			}
			if r.InProgress() != 0 || r.Buffered() != 0 {
				t.Errorf("after completion: in progress %d buffered %d", r.InProgress(), r.Buffered())
			}
			// 11 fragments, as in sbousseaden-Discovery_impacket_rpcdump.pcapng
			stub = randBytes(2, 11*1000-300)
			s, n, done = coFeed(r, coFrags(t, le, 3, stub, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000)...)
			if !done || n != 11 || !bytes.Equal(s, stub) {
				t.Fatalf("11 fragments: done %v frags %d", done, n)
			}
			want := dissect.COReasmStats{Fragments: 13, Completed: 2}
			if r.Stats != want {
				t.Errorf("stats %+v, want %+v", r.Stats, want)
			}
		})
	})
}

func TestCOReasmUnfragmented(t *testing.T) {
	r := dissect.NewCOReassembler(dissect.COLimits{})
	fs := coFrags(t, true, 1, []byte("whole"))
	s, n, done := r.Add(fs[0])
	if !done || n != 1 || &s[0] != &fs[0].Stub[0] {
		t.Errorf("unfragmented PDU not passed through: %v %d", done, n)
	}
	var bind dissect.COPDU
	bind.Decode(dcetest.COBind(true, 1, dcetest.Bind{Contexts: []dcetest.Ctx{{Abstract: synEPM}}}, nil))
	if s, n, done := r.Add(&bind); s != nil || n != 0 || done {
		t.Errorf("bind not ignored")
	}
	if r.Stats != (dissect.COReasmStats{Unfragmented: 1}) {
		t.Errorf("stats %+v", r.Stats)
	}
}

func TestCOReasmInterleaved(t *testing.T) {
	r := dissect.NewCOReassembler(dissect.COLimits{})
	a, b := randBytes(3, 300), randBytes(4, 300)
	fa, fb := coFrags(t, true, 10, a, 100, 100), coFrags(t, true, 11, b, 100, 100)
	coFeed(r, fa[0], fb[0], fa[1], fb[1])
	if s, _, done := r.Add(fb[2]); !done || !bytes.Equal(s, b) {
		t.Errorf("call 11 wrong")
	}
	if s, n, done := r.Add(fa[2]); !done || n != 3 || !bytes.Equal(s, a) {
		t.Errorf("call 10 wrong")
	}
}

func TestCOReasmOrphanRestart(t *testing.T) {
	r := dissect.NewCOReassembler(dissect.COLimits{})
	a, b := randBytes(5, 300), randBytes(6, 300)
	fa, fb := coFrags(t, true, 7, a, 100, 100), coFrags(t, true, 7, b, 100, 100)
	// middle and last fragments of an unknown call
	if _, _, done := coFeed(r, fa[1], fa[2]); done || r.Stats.Orphans != 2 {
		t.Errorf("orphans: %+v", r.Stats)
	}
	// a first fragment for a call in progress restarts it
	coFeed(r, fa[0], fa[1], fb[0], fb[1])
	s, n, done := r.Add(fb[2])
	if !done || n != 3 || !bytes.Equal(s, b) || r.Stats.Restarted != 1 {
		t.Errorf("restart: done %v n %d stats %+v", done, n, r.Stats)
	}
	// a truncated fragment is dropped with its call
	var cut dissect.COPDU
	full := dcetest.COResponse(true, 8, 0, 0, []byte("middle"), nil)
	cut.Decode(full[:len(full)-2])
	fc := coFrags(t, true, 8, randBytes(7, 300), 100, 100)
	coFeed(r, fc[0], &cut)
	if r.Stats.Truncated != 1 || r.InProgress() != 0 {
		t.Errorf("truncated: %+v in progress %d", r.Stats, r.InProgress())
	}
	if _, _, done := coFeed(r, fc[1], fc[2]); done || r.Stats.Orphans != 4 {
		t.Errorf("after truncation: %+v", r.Stats)
	}
}

func TestCOReasmLimits(t *testing.T) {
	t.Run("call bytes", func(t *testing.T) {
		r := dissect.NewCOReassembler(dissect.COLimits{MaxCallBytes: 1000})
		fs := coFrags(t, true, 1, randBytes(8, 1500), 600, 600)
		coFeed(r, fs...)
		if r.Stats.OverCallBytes != 1 || r.Stats.Orphans != 1 || r.InProgress() != 0 || r.Buffered() != 0 {
			t.Errorf("stats %+v", r.Stats)
		}
		// a first fragment alone too large
		fs = coFrags(t, true, 2, randBytes(8, 1500), 1200)
		coFeed(r, fs[0])
		if r.Stats.OverCallBytes != 2 || r.InProgress() != 0 {
			t.Errorf("stats %+v", r.Stats)
		}
	})
	t.Run("calls", func(t *testing.T) {
		r := dissect.NewCOReassembler(dissect.COLimits{MaxCalls: 2})
		var stubs [3][]byte
		var fs [3][]*dissect.COPDU
		for i := range fs {
			stubs[i] = randBytes(uint64(10+i), 200)
			fs[i] = coFrags(t, true, uint32(i), stubs[i], 100)
		}
		coFeed(r, fs[0][0], fs[1][0], fs[2][0]) // call 0 is the oldest: evicted
		if r.Stats.EvictedCalls != 1 || r.InProgress() != 2 {
			t.Fatalf("stats %+v", r.Stats)
		}
		if _, _, done := r.Add(fs[0][1]); done || r.Stats.Orphans != 1 {
			t.Errorf("evicted call completed")
		}
		for i := 1; i < 3; i++ {
			if s, _, done := r.Add(fs[i][1]); !done || !bytes.Equal(s, stubs[i]) {
				t.Errorf("call %d", i)
			}
		}
	})
	t.Run("total bytes", func(t *testing.T) {
		r := dissect.NewCOReassembler(dissect.COLimits{MaxCallBytes: 2000, MaxTotalBytes: 1000})
		a, b := coFrags(t, true, 1, randBytes(20, 1200), 600), coFrags(t, true, 2, randBytes(21, 1200), 600)
		coFeed(r, a[0], b[0]) // 1200 > 1000: call 1 evicted
		if r.Stats.EvictedBytes != 1 || r.InProgress() != 1 || r.Buffered() != 600 {
			t.Fatalf("stats %+v buffered %d", r.Stats, r.Buffered())
		}
		// call 2 alone needs 1200 > 1000: dropped
		if _, _, done := r.Add(b[1]); done || r.Stats.OverTotal != 1 || r.InProgress() != 0 || r.Buffered() != 0 {
			t.Errorf("stats %+v", r.Stats)
		}
	})
	t.Run("reset", func(t *testing.T) {
		r := dissect.NewCOReassembler(dissect.COLimits{})
		fs := coFrags(t, true, 1, randBytes(22, 300), 100)
		r.Add(fs[0])
		r.Reset()
		if r.InProgress() != 0 || r.Buffered() != 0 {
			t.Errorf("reset left state")
		}
		if r.Limits() != dissect.DefaultCOLimits {
			t.Errorf("limits %+v", r.Limits())
		}
	})
}

// clFrag builds and decodes one CL fragment.
func clFrag(t testing.TB, le bool, typ dissect.PType, act dissect.UUID, seq uint32, num uint16, last bool, body []byte) *dissect.CLPDU {
	t.Helper()
	h := clHeader(le, typ)
	h.Activity, h.Seq, h.FragNum = act, seq, num
	h.Flags1 = dissect.CLFrag
	if last {
		h.Flags1 |= dissect.CLLastFrag
	}
	var p dissect.CLPDU
	if _, err := p.Decode(h.Build(body, nil)); err != nil {
		t.Fatal(err)
	}
	return &p
}

// clCut cuts body into n fragments of a CL call.
func clCut(t testing.TB, le bool, typ dissect.PType, seq uint32, body []byte, n int) []*dissect.CLPDU {
	t.Helper()
	var out []*dissect.CLPDU
	size := (len(body) + n - 1) / n
	for i := 0; i < n; i++ {
		lo, hi := i*size, min((i+1)*size, len(body))
		out = append(out, clFrag(t, le, typ, clActivity, seq, uint16(i), i == n-1, body[lo:hi]))
	}
	return out
}

func clFeed(r *dissect.CLReassembler, ps ...*dissect.CLPDU) (body []byte, frags int, done bool) {
	for _, p := range ps {
		body, frags, done = r.Add(p)
	}
	return
}

func TestCLReasmOrders(t *testing.T) {
	dcetest.BothOrders(func(name string, le bool) {
		t.Run(name, func(t *testing.T) {
			body := randBytes(30, 4000)
			fs := clCut(t, le, dissect.PTypeResponse, 1, body, 4)
			for _, tc := range []struct {
				name  string
				order []int
			}{
				{"in order", []int{0, 1, 2, 3}},
				{"reversed", []int{3, 2, 1, 0}},
				{"shuffled", []int{2, 0, 3, 1}},
				{"duplicates", []int{0, 0, 2, 1, 2, 3}},
			} {
				r := dissect.NewCLReassembler(dissect.CLLimits{})
				var got []byte
				var n int
				var done bool
				for k, i := range tc.order {
					got, n, done = r.Add(fs[i])
					if done != (k == len(tc.order)-1) {
						t.Fatalf("%s: done %v after %d fragments", tc.name, done, k+1)
					}
				}
				if !bytes.Equal(got, body) || n != 4 {
					t.Errorf("%s: body differs (%d bytes, %d frags)", tc.name, len(got), n)
				}
				if r.Stats.Duplicates != uint64(len(tc.order)-4) || r.Stats.Completed != 1 || r.InProgress() != 0 || r.Buffered() != 0 {
					t.Errorf("%s: stats %+v", tc.name, r.Stats)
				}
			}
		})
	})
}

func TestCLReasmMissingAndInconsistent(t *testing.T) {
	body := randBytes(31, 3000)
	fs := clCut(t, true, dissect.PTypeRequest, 9, body, 3)
	r := dissect.NewCLReassembler(dissect.CLLimits{})
	if _, _, done := clFeed(r, fs[0], fs[2]); done || r.InProgress() != 1 {
		t.Fatalf("completed with a fragment missing")
	}
	// a fragment past the last one
	if _, _, done := r.Add(clFrag(t, true, dissect.PTypeRequest, clActivity, 9, 5, false, []byte("x"))); done || r.Stats.Inconsistent != 1 {
		t.Errorf("fragment past lastfrag: %+v", r.Stats)
	}
	// a second lastfrag fragment with another number
	if _, _, done := r.Add(clFrag(t, true, dissect.PTypeRequest, clActivity, 9, 1, true, []byte("x"))); done || r.Stats.Inconsistent != 2 {
		t.Errorf("second lastfrag: %+v", r.Stats)
	}
	// the response of the same activity and sequence is another stream
	resp := clFrag(t, true, dissect.PTypeResponse, clActivity, 9, 1, false, []byte("x"))
	if r.Add(resp); r.InProgress() != 2 {
		t.Errorf("request and response mixed")
	}
	got, n, done := r.Add(fs[1])
	if !done || n != 3 || !bytes.Equal(got, body) {
		t.Errorf("late fragment did not complete the call")
	}
	// lastfrag numbered below a fragment already held
	r = dissect.NewCLReassembler(dissect.CLLimits{})
	clFeed(r, clFrag(t, true, dissect.PTypeRequest, clActivity, 1, 4, false, []byte("x")), clFrag(t, true, dissect.PTypeRequest, clActivity, 1, 2, true, []byte("y")))
	if r.Stats.Inconsistent != 1 {
		t.Errorf("low lastfrag: %+v", r.Stats)
	}
	// unfragmented and non-request PDUs
	var ping dissect.CLPDU
	ping.Decode(clHeader(true, dissect.PTypePing).Build(nil, nil))
	if _, _, done := r.Add(&ping); done {
		t.Errorf("ping reassembled")
	}
	var whole dissect.CLPDU
	whole.Decode(clHeader(true, dissect.PTypeRequest).Build([]byte("whole"), nil))
	if b, n, done := r.Add(&whole); !done || n != 1 || &b[0] != &whole.Body[0] || r.Stats.Unfragmented != 1 {
		t.Errorf("unfragmented not passed through")
	}
}

func TestCLReasmTruncated(t *testing.T) {
	body := randBytes(32, 2000)
	fs := clCut(t, true, dissect.PTypeRequest, 3, body, 2)
	h := clHeader(true, dissect.PTypeRequest)
	h.Flags1, h.Activity, h.Seq, h.FragNum = dissect.CLFrag|dissect.CLLastFrag, clActivity, 3, 1
	wire := h.Build(body[1000:], nil)
	var cut dissect.CLPDU
	cut.Decode(wire[:500])
	r := dissect.NewCLReassembler(dissect.CLLimits{})
	if _, _, done := clFeed(r, fs[0], &cut); done || r.Stats.Truncated != 1 {
		t.Fatalf("truncated fragment accepted: %+v", r.Stats)
	}
	// the retransmission completes the call
	if got, _, done := r.Add(fs[1]); !done || !bytes.Equal(got, body) {
		t.Errorf("retransmission did not complete the call")
	}
}

func TestCLReasmLimits(t *testing.T) {
	t.Run("frags", func(t *testing.T) {
		r := dissect.NewCLReassembler(dissect.CLLimits{MaxFrags: 4})
		r.Add(clFrag(t, true, dissect.PTypeRequest, clActivity, 1, 4, true, []byte("x")))
		if r.Stats.OverFrags != 1 || r.InProgress() != 0 {
			t.Errorf("stats %+v", r.Stats)
		}
		if r.Limits().MaxFrags != 4 || r.Limits().MaxCalls != dissect.DefaultCLLimits.MaxCalls {
			t.Errorf("limits %+v", r.Limits())
		}
	})
	t.Run("call bytes", func(t *testing.T) {
		r := dissect.NewCLReassembler(dissect.CLLimits{MaxCallBytes: 1000})
		clFeed(r, clCut(t, true, dissect.PTypeRequest, 1, randBytes(33, 1500), 3)...)
		if r.Stats.OverCallBytes != 1 || r.Stats.Completed != 0 {
			t.Errorf("stats %+v", r.Stats)
		}
	})
	t.Run("calls", func(t *testing.T) {
		r := dissect.NewCLReassembler(dissect.CLLimits{MaxCalls: 2})
		var bodies [3][]byte
		var fs [3][]*dissect.CLPDU
		for i := range fs {
			bodies[i] = randBytes(uint64(40+i), 100)
			fs[i] = clCut(t, true, dissect.PTypeRequest, uint32(i), bodies[i], 2)
		}
		clFeed(r, fs[0][0], fs[1][0], fs[2][0])
		if r.Stats.EvictedCalls != 1 || r.InProgress() != 2 {
			t.Fatalf("stats %+v", r.Stats)
		}
		for i := 1; i < 3; i++ {
			if b, _, done := r.Add(fs[i][1]); !done || !bytes.Equal(b, bodies[i]) {
				t.Errorf("call %d", i)
			}
		}
		if _, _, done := r.Add(fs[0][1]); done {
			t.Errorf("evicted call completed from one fragment")
		}
	})
	t.Run("total bytes", func(t *testing.T) {
		r := dissect.NewCLReassembler(dissect.CLLimits{MaxCallBytes: 2000, MaxTotalBytes: 1000})
		a := clCut(t, true, dissect.PTypeRequest, 1, randBytes(50, 1200), 2)
		b := clCut(t, true, dissect.PTypeRequest, 2, randBytes(51, 1200), 2)
		clFeed(r, a[0], b[0])
		if r.Stats.EvictedBytes != 1 || r.Buffered() != 600 {
			t.Fatalf("stats %+v", r.Stats)
		}
		if _, _, done := r.Add(b[1]); done || r.Stats.OverTotal != 1 || r.Buffered() != 0 {
			t.Errorf("stats %+v", r.Stats)
		}
		r.Reset()
		if r.InProgress() != 0 {
			t.Errorf("reset")
		}
	})
}
