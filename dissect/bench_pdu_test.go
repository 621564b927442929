package dissect_test

import (
	"go/parser"
	"go/token"
	"strconv"
	"testing"

	"github.com/rpcwatch/rpcwatch/dissect"
	"github.com/rpcwatch/rpcwatch/dissect/dcetest"
)

// Sinks keep the compiler from discarding the work measured.
var (
	sinkInt  int
	sinkErr  error
	sinkB    []byte
	sinkBool bool
)

// TestNoAllocsPDU enforces the package doc's promise for the PDU decoders
// and reassemblers: no allocation per PDU (reassembly once its buffers have
// grown).
func TestNoAllocsPDU(t *testing.T) {
	var co dissect.COPDU
	var cl dissect.CLPDU
	var coh dissect.COHeader
	var clh dissect.CLHeader
	type tc struct {
		name string
		f    func()
	}
	var tests []tc
	for _, le := range []bool{true, false} {
		for _, fx := range coFixtures(le) {
			b := fx.b
			tests = append(tests, tc{"co " + fx.name + " le=" + strconv.FormatBool(le), func() { sinkInt, sinkErr = co.Decode(b) }})
		}
		for _, fx := range clFixtures(le) {
			b := fx.b
			tests = append(tests, tc{"cl " + fx.name + " le=" + strconv.FormatBool(le), func() { sinkInt, sinkErr = cl.Decode(b) }})
		}
	}
	req := dcetest.CORequest(true, 1, 0, 0, nil, firstLast, []byte("stub"), nil)
	clReq := clFixtures(true)[0].b
	bad := append([]byte(nil), req...)
	dcetest.PutAuthLen(bad, true, 0xffff)
	tests = append(tests,
		tc{"PeekCO", func() { sinkInt, sinkErr = dissect.PeekCO(req) }},
		tc{"PeekCO error", func() { sinkInt, sinkErr = dissect.PeekCO(clReq) }},
		tc{"PeekCL", func() { sinkInt, sinkErr = dissect.PeekCL(clReq) }},
		tc{"COHeader", func() { sinkInt, sinkErr = coh.Decode(req) }},
		tc{"CLHeader", func() { sinkInt, sinkErr = clh.Decode(clReq) }},
		tc{"co error short", func() { sinkInt, sinkErr = co.Decode(req[:10]) }},
		tc{"co anomalies", func() { sinkInt, sinkErr = co.Decode(bad) }},
		tc{"cl error", func() { sinkInt, sinkErr = cl.Decode(req) }},
	)

	// Reassembly in steady state: a warm-up call grows the buffers first.
	cor := dissect.NewCOReassembler(dissect.COLimits{})
	cfs := coFrags(t, true, 1, randBytes(60, 4828), 4256)
	clr := dissect.NewCLReassembler(dissect.CLLimits{})
	cls := clCut(t, true, dissect.PTypeResponse, 1, randBytes(61, 4000), 4)
	shuffled := []*dissect.CLPDU{cls[2], cls[0], cls[3], cls[1]}
	tests = append(tests,
		tc{"co reassembly", func() { sinkB, sinkInt, sinkBool = coFeed(cor, cfs...) }},
		tc{"cl reassembly", func() { sinkB, sinkInt, sinkBool = clFeed(clr, cls...) }},
		tc{"cl reassembly reordered", func() { sinkB, sinkInt, sinkBool = clFeed(clr, shuffled...) }},
	)
	for _, tt := range tests {
		tt.f() // warm up
		if n := testing.AllocsPerRun(100, tt.f); n != 0 {
			t.Errorf("%s: %v allocations per run, want 0", tt.name, n)
		}
	}
	if cor.Stats.Completed == 0 || clr.Stats.Completed == 0 || !sinkBool {
		t.Errorf("reassembly closures did not complete calls")
	}
}

// TestPDUFilesNoFmt keeps fmt (and other allocating helpers) out of the
// non-test files of this part of the package.
func TestPDUFilesNoFmt(t *testing.T) {
	for _, f := range []string{"co.go", "cl.go", "ptype.go", "reasm_co.go", "reasm_cl.go", "anomaly_co.go", "anomaly_cl.go"} {
		af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range af.Imports {
			switch p, _ := strconv.Unquote(imp.Path.Value); p {
			case "errors":
			default:
				t.Errorf("%s imports %s", f, p)
			}
		}
	}
}

func coFixture1(le bool, name string) []byte {
	for _, f := range coFixtures(le) {
		if f.name == name {
			return f.b
		}
	}
	panic("no fixture " + name)
}

func BenchmarkPeekCO(b *testing.B) {
	req := dcetest.CORequest(true, 1, 0, 0, nil, firstLast, make([]byte, 64), nil)
	b.ReportAllocs()
	for b.Loop() {
		sinkInt, sinkErr = dissect.PeekCO(req)
	}
}

func BenchmarkCOHeader(b *testing.B) {
	req := dcetest.CORequest(true, 1, 0, 0, nil, firstLast, make([]byte, 64), nil)
	var h dissect.COHeader
	b.ReportAllocs()
	b.SetBytes(dissect.COHeaderLen)
	for b.Loop() {
		sinkInt, sinkErr = h.Decode(req)
	}
}

func BenchmarkCORequest(b *testing.B) {
	for _, size := range []int{64, 4256} {
		b.Run(strconv.Itoa(size), func(b *testing.B) {
			for _, tc := range []struct {
				name string
				auth *dcetest.Auth
			}{{"plain", nil}, {"ntlmssp", ntlmAuth}} {
				b.Run(tc.name, func(b *testing.B) {
					req := dcetest.CORequest(true, 1, 0, 2, nil, firstLast, make([]byte, size), tc.auth)
					var p dissect.COPDU
					b.ReportAllocs()
					b.SetBytes(int64(len(req)))
					for b.Loop() {
						sinkInt, sinkErr = p.Decode(req)
					}
				})
			}
		})
	}
}

func BenchmarkCOBind(b *testing.B) {
	for _, le := range []bool{true, false} {
		b.Run("le="+strconv.FormatBool(le), func(b *testing.B) {
			bind := coFixture1(le, "bind") // 3 contexts
			var p dissect.COPDU
			b.ReportAllocs()
			b.SetBytes(int64(len(bind)))
			for b.Loop() {
				sinkInt, sinkErr = p.Decode(bind)
			}
		})
	}
}

func BenchmarkCOBindAck(b *testing.B) {
	ack := coFixture1(true, "bind_ack")
	var p dissect.COPDU
	b.ReportAllocs()
	b.SetBytes(int64(len(ack)))
	for b.Loop() {
		sinkInt, sinkErr = p.Decode(ack)
	}
}

func BenchmarkCLHeader(b *testing.B) {
	req := clFixtures(true)[0].b
	var h dissect.CLHeader
	b.ReportAllocs()
	b.SetBytes(dissect.CLHeaderLen)
	for b.Loop() {
		sinkInt, sinkErr = h.Decode(req)
	}
}

func BenchmarkCLDecode(b *testing.B) {
	for _, fx := range clFixtures(true) {
		if fx.name != "request" && fx.name != "fack" {
			continue
		}
		b.Run(fx.name, func(b *testing.B) {
			var p dissect.CLPDU
			b.ReportAllocs()
			b.SetBytes(int64(len(fx.b)))
			for b.Loop() {
				sinkInt, sinkErr = p.Decode(fx.b)
			}
		})
	}
}

// BenchmarkCOReassembly2Frags feeds Samba's 4256 + 572 byte answer
// (PEERS.md §5), decoded beforehand.
func BenchmarkCOReassembly2Frags(b *testing.B) {
	r := dissect.NewCOReassembler(dissect.COLimits{})
	fs := coFrags(b, true, 1, randBytes(70, 4828), 4256)
	b.ReportAllocs()
	b.SetBytes(4828)
	for b.Loop() {
		sinkB, sinkInt, sinkBool = coFeed(r, fs...)
	}
}

// BenchmarkCODecodeAndReassemble includes decoding the two fragments.
func BenchmarkCODecodeAndReassemble(b *testing.B) {
	stub := randBytes(71, 4828)
	w1 := dcetest.COResponse(true, 1, 0, dissect.PFCFirstFrag, stub[:4256], nil)
	w2 := dcetest.COResponse(true, 1, 0, dissect.PFCLastFrag, stub[4256:], nil)
	r := dissect.NewCOReassembler(dissect.COLimits{})
	var p1, p2 dissect.COPDU
	b.ReportAllocs()
	b.SetBytes(int64(len(w1) + len(w2)))
	for b.Loop() {
		p1.Decode(w1)
		r.Add(&p1)
		p2.Decode(w2)
		sinkB, sinkInt, sinkBool = r.Add(&p2)
	}
}

func BenchmarkCLReassembly(b *testing.B) {
	for _, tc := range []struct {
		name  string
		order []int
	}{{"in-order", []int{0, 1}}, {"reordered", []int{1, 0}}} {
		b.Run(tc.name, func(b *testing.B) {
			r := dissect.NewCLReassembler(dissect.CLLimits{})
			fs := clCut(b, true, dissect.PTypeResponse, 1, randBytes(72, 2900), 2)
			ps := []*dissect.CLPDU{fs[tc.order[0]], fs[tc.order[1]]}
			b.ReportAllocs()
			b.SetBytes(2900)
			for b.Loop() {
				sinkB, sinkInt, sinkBool = clFeed(r, ps...)
			}
		})
	}
}
