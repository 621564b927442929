package dcom_test

import (
	"testing"

	"github.com/rpcwatch/rpcwatch/dissect/dcetest"
	"github.com/rpcwatch/rpcwatch/dissect/dcom"
)

// Fuzz targets: every decoder must return without panicking on any input,
// keep its counts within what the input can hold, and leave iterators that
// terminate. Seeds are the fixtures in both byte orders plus the stubs of
// the real captures (realStubs, when the shared captures are present).

// walk drains both iterators of d and checks that they agree with Decode.
func walk(t *testing.T, d *dcom.DualStringArray) {
	t.Helper()
	n := 0
	it := d.StringBindings()
	for it.Next() {
		e := it.Entry()
		buf := e.Binding.AppendTo(nil)
		if len(buf) == 0 {
			t.Fatal("empty rendering")
		}
		n++
	}
	if n != d.NumStrings {
		t.Fatalf("iterator found %d string bindings, Decode %d", n, d.NumStrings)
	}
	m := 0
	si := d.SecurityBindings()
	for si.Next() {
		si.Entry().AppendPrincName(nil)
		m++
	}
	if m != d.NumSecurity {
		t.Fatalf("iterator found %d security bindings, Decode %d", m, d.NumSecurity)
	}
	// a string binding takes 2 units at least, a security binding 3; the
	// two walks may cover the same units when wSecurityOffset points into
	// the string bindings
	if units := len(d.Array) / 2; 2*d.NumStrings > units || 3*d.NumSecurity > units {
		t.Fatalf("%d strings, %d security bindings in %d units", d.NumStrings, d.NumSecurity, units)
	}
}

func addOrders(f *testing.F, build func(le bool) []byte) {
	f.Add(build(true), true)
	f.Add(build(false), false)
}

func FuzzDualStringArray(f *testing.F) {
	for _, x := range []dcetest.DSA{
		{Strings: seedStrings(), Security: dcetest.DefaultSecurity},
		{Raw: []uint16{0, 0, 0, 0}, SecurityOffset: dcetest.Ptr(uint16(2))},
		{Strings: dcetest.KB224460Fused, NoStringTerminator: true},
		{Strings: []dcetest.SB{{Tower: 0x0f, Addr: `\\HOST[\PIPE\atsvc]`}}, Security: dcetest.DefaultSecurity, Extra: []uint16{1, 2}},
	} {
		addOrders(f, func(le bool) []byte { return dsaNDR(le, x) })
		f.Add(dcetest.DualStringArrayPacked(x), true)
	}
	for _, s := range realStubs(f, kindDSA) {
		f.Add(s.stub, s.le)
	}
	f.Fuzz(func(t *testing.T, b []byte, le bool) {
		for _, form := range []dcom.Form{dcom.FormNDR, dcom.FormPacked} {
			var d dcom.DualStringArray
			n, err := d.Decode(b, le, form)
			if err != nil {
				continue
			}
			if n > len(b) {
				t.Fatalf("consumed %d of %d", n, len(b))
			}
			walk(t, &d)
		}
	})
}

func FuzzServerAlive2Response(f *testing.F) {
	addOrders(f, func(le bool) []byte { return dcetest.ServerAlive2Response(le, seedStrings(), dcetest.DefaultSecurity) })
	addOrders(f, func(le bool) []byte { return dcetest.ServerAlive2ResponseOf(le, dcetest.OXIDReply{}) })
	for _, s := range realStubs(f, kindServerAlive2) {
		f.Add(s.stub, s.le)
	}
	f.Fuzz(func(t *testing.T, b []byte, le bool) {
		var p dcom.ServerAlive2Response
		if n, _ := p.Decode(b, le); n > len(b) {
			t.Fatalf("consumed %d of %d", n, len(b))
		}
		walk(t, &p.Bindings)
	})
}

func FuzzResolveOxid2Response(f *testing.F) {
	addOrders(f, func(le bool) []byte { return dcetest.ResolveOxid2Response(le, seedStrings(), dcetest.DefaultSecurity) })
	addOrders(f, func(le bool) []byte { return dcetest.ResolveOxid2ResponseOf(le, dcetest.OXIDReply{Status: 5}) })
	addOrders(f, func(le bool) []byte { return dcetest.ResolveOxidRequest(le, 1, []uint16{7, 8}, -1) })
	for _, s := range realStubs(f, kindResolveOxid2) {
		f.Add(s.stub, s.le)
	}
	f.Fuzz(func(t *testing.T, b []byte, le bool) {
		var p dcom.ResolveOxid2Response
		if n, _ := p.Decode(b, le); n > len(b) {
			t.Fatalf("consumed %d of %d", n, len(b))
		}
		walk(t, &p.Bindings)
		var p0 dcom.ResolveOxidResponse
		p0.Decode(b, le)
		walk(t, &p0.Bindings)
		var q dcom.ResolveOxidRequest
		if n, _ := q.Decode(b, le); n > len(b) || q.NumKept > dcom.MaxRequestedProtseqs {
			t.Fatalf("request: consumed %d of %d, kept %d", n, len(b), q.NumKept)
		}
	})
}

func FuzzRemoteCreateInstanceResponse(f *testing.F) {
	addOrders(f, func(le bool) []byte { return dcetest.RemoteCreateInstanceResponse(le, dcetest.SeedActivationReply()) })
	addOrders(f, func(le bool) []byte {
		r := dcetest.SeedActivationReply()
		r.PropsBE = true
		r.Extents = []dcetest.Extent{{Data: []byte{1, 2, 3}}}
		return dcetest.RemoteCreateInstanceResponse(le, r)
	})
	for _, s := range realStubs(f, kindActivation) {
		f.Add(s.stub, s.le)
	}
	f.Fuzz(func(t *testing.T, b []byte, le bool) {
		var p dcom.ActivationResponse
		if n, _ := p.Decode(b, le); n > len(b) {
			t.Fatalf("consumed %d of %d", n, len(b))
		}
		walk(t, &p.Props.Bindings)
		for i := range p.Props.Interfaces {
			walk(t, &p.Props.Interfaces[i].ObjRef.Resolver)
		}
		var a dcom.ActivationPropertiesOut
		a.Decode(b)
		var o dcom.ObjRef
		o.Decode(b)
		walk(t, &o.Resolver)
	})
}

func FuzzRemoteActivationResponse(f *testing.F) {
	addOrders(f, func(le bool) []byte { return dcetest.RemoteActivationResponse(le, remactReply()) })
	addOrders(f, func(le bool) []byte { return dcetest.RemoteActivationResponse(le, dcetest.RemoteActivationReply{}) })
	f.Fuzz(func(t *testing.T, b []byte, le bool) {
		var p dcom.RemoteActivationResponse
		if n, _ := p.Decode(b, le); n > len(b) {
			t.Fatalf("consumed %d of %d", n, len(b))
		}
		walk(t, &p.Bindings)
		for i := range p.Interfaces {
			walk(t, &p.Interfaces[i].ObjRef.Resolver)
		}
	})
}
