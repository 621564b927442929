package dcom_test

import (
	"go/parser"
	"go/token"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rpcwatch/rpcwatch/dissect"
	"github.com/rpcwatch/rpcwatch/dissect/dcetest"
	"github.com/rpcwatch/rpcwatch/dissect/dcom"
)

var (
	sinkInt   int
	sinkBool  bool
	sinkBytes []byte
	sinkAddr  netip.Addr
	sinkKind  dcom.AddrKind
	sinkProt  dissect.Protseq
)

// TestNoAllocs runs every decoder, iterator and renderer on the seed
// fixtures and requires zero allocations per run.
func TestNoAllocs(t *testing.T) {
	le := true
	dsaB := dsaNDR(le, dcetest.DSA{Strings: seedStrings(), Security: dcetest.DefaultSecurity})
	packed := dcetest.DualStringArrayPacked(dcetest.DSA{Strings: seedStrings(), Security: dcetest.DefaultSecurity})
	sa2 := dcetest.ServerAlive2Response(le, seedStrings(), dcetest.DefaultSecurity)
	ro2 := dcetest.ResolveOxid2Response(le, seedStrings(), dcetest.DefaultSecurity)
	ro := dcetest.ResolveOxidResponseOf(le, dcetest.OXIDReply{Bindings: &dcetest.DSA{Strings: seedStrings()}})
	sa := dcetest.ServerAliveResponse(le, 0)
	req := dcetest.ResolveOxidRequest(le, 7, []uint16{7, 8}, -1)
	ra := dcetest.RemoteActivationResponse(le, remactReply())
	rci := dcetest.RemoteCreateInstanceResponse(le, dcetest.SeedActivationReply())
	objref := dcetest.ObjRefStandard(dcom.IIDIActivationPropertiesOut, dcetest.StdObjRef{}, dcetest.DSA{Strings: seedStrings()})
	blob := dcetest.ActivationPropertiesOut(dcetest.SeedActivationReply())[48:]

	var (
		dsa  dcom.DualStringArray
		psa2 dcom.ServerAlive2Response
		pro2 dcom.ResolveOxid2Response
		pro  dcom.ResolveOxidResponse
		psa  dcom.ServerAliveResponse
		preq dcom.ResolveOxidRequest
		pra  dcom.RemoteActivationResponse
		prci dcom.ActivationResponse
		pobj dcom.ObjRef
		pact dcom.ActivationPropertiesOut
		buf  = make([]byte, 0, 1024)
		out  [dcom.MaxFusedParts]netip.Addr
	)
	dsa.Decode(dsaB, le, dcom.FormNDR)
	fused := []byte("157.61.239.61157.61.239.5")

	tests := []struct {
		name string
		f    func()
	}{
		{"DualStringArray.Decode/ndr", func() { sinkInt, _ = dsa.Decode(dsaB, le, dcom.FormNDR) }},
		{"DualStringArray.Decode/packed", func() {
			var d dcom.DualStringArray
			sinkInt, _ = d.Decode(packed, le, dcom.FormPacked)
		}},
		{"StringBindings", func() {
			it := dsa.StringBindings()
			for it.Next() {
				sinkBool = it.Entry().Valid()
			}
		}},
		{"SecurityBindings", func() {
			it := dsa.SecurityBindings()
			for it.Next() {
				sinkBytes = it.Entry().AppendPrincName(buf[:0])
			}
		}},
		{"Binding.AppendTo", func() {
			it := dsa.StringBindings()
			for it.Next() {
				sinkBytes = it.Entry().Binding.AppendTo(buf[:0])
			}
		}},
		{"ServerAlive2Response", func() { sinkInt, _ = psa2.Decode(sa2, le) }},
		{"ResolveOxid2Response", func() { sinkInt, _ = pro2.Decode(ro2, le) }},
		{"ResolveOxidResponse", func() { sinkInt, _ = pro.Decode(ro, le) }},
		{"ServerAliveResponse", func() { sinkInt, _ = psa.Decode(sa, le) }},
		{"ResolveOxidRequest", func() { sinkInt, _ = preq.Decode(req, le) }},
		{"RemoteActivationResponse", func() { sinkInt, _ = pra.Decode(ra, le) }},
		{"ActivationResponse", func() { sinkInt, _ = prci.Decode(rci, le) }},
		{"ObjRef", func() { sinkInt, _ = pobj.Decode(objref) }},
		{"ActivationPropertiesOut", func() { sinkInt, _ = pact.Decode(blob) }},
		{"ClassifyAddress", func() { sinkKind, sinkAddr = dcom.ClassifyAddress(fused) }},
		{"ParseIP", func() { sinkAddr, sinkBool = dcom.ParseIP([]byte("fe80::1:2")) }},
		{"SplitFused", func() { sinkInt = dcom.SplitFused(fused, &out) }},
		{"TowerID.Protseq", func() { sinkProt = dcom.TowerNcadgIPUDP.Protseq() }},
	}
	for _, tc := range tests {
		if n := testing.AllocsPerRun(50, tc.f); n != 0 {
			t.Errorf("%s: %v allocs per run", tc.name, n)
		}
	}
	if !pact.HasBindings || !prci.HasProperties || pra.OXID == 0 {
		t.Fatal("fixtures did not decode")
	}
}

// TestNoFmt keeps fmt out of the package's non-test files.
func TestNoFmt(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil || len(files) == 0 {
		t.Fatal("no Go files", err)
	}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range af.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); p == "fmt" {
				t.Errorf("%s imports fmt", f)
			}
		}
	}
}
