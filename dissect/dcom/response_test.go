package dcom_test

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/rpcwatch/rpcwatch/dissect"
	"github.com/rpcwatch/rpcwatch/dissect/dcetest"
	"github.com/rpcwatch/rpcwatch/dissect/dcom"
)

// seedStrings is the seed scenario's full list: host names, the two fused
// entries of KB Q224460 and the correct separate entries.
func seedStrings() []dcetest.SB {
	var s []dcetest.SB
	s = append(s, dcetest.KB224460Names...)
	s = append(s, dcetest.KB224460Fused...)
	s = append(s, dcetest.KB224460Correct...)
	return s
}

var seedRendered = []string{
	"ncacn_ip_tcp:SRV20[1038]",
	"ncadg_ip_udp:SRV20[1039]",
	"ncadg_ip_udp:157.61.239.61157.61.239.5[1039]",
	"ncacn_ip_tcp:157.61.239.61157.61.239.5[1038]",
	"ncacn_ip_tcp:157.61.239.61[1038]",
	"ncacn_ip_tcp:157.61.239.5[1038]",
}

// utf16At returns the offsets in b of the UTF-16 form of s in byte order
// le: where the anomalies for an address must point.
func utf16At(b []byte, s string, le bool) []int {
	e := dcetest.New(le)
	for _, u := range dcetest.UTF16(s) {
		e.U16(u)
	}
	var out []int
	for i := 0; ; {
		j := bytes.Index(b[i:], e.B)
		if j < 0 {
			return out
		}
		out = append(out, i+j)
		i += j + 1
	}
}

// checkSeedAnomalies verifies that an anomaly list holds exactly one
// invalid-network-address per fused entry, at the offset of the address
// in the stub.
func checkSeedAnomalies(t *testing.T, stub []byte, le bool, a *dissect.Anomalies, fused int) {
	t.Helper()
	offs := utf16At(stub, "157.61.239.61157.61.239.5", le)
	if len(offs) != fused {
		t.Fatalf("fixture holds %d fused addresses, want %d", len(offs), fused)
	}
	var got []int
	for i := 0; i < a.Len(); i++ {
		x := a.At(i)
		if x.Kind != dissect.AnomDCOMInvalidNetworkAddress {
			t.Errorf("unexpected anomaly %v at %d", x.Kind, x.Off)
			continue
		}
		got = append(got, x.Off)
	}
	if !reflect.DeepEqual(got, offs) {
		t.Errorf("invalid-network-address at %v, want %v", got, offs)
	}
}

func TestServerAlive2Response(t *testing.T) {
	dcetest.BothOrders(func(name string, le bool) {
		t.Run(name, func(t *testing.T) {
			stub := dcetest.ServerAlive2Response(le, seedStrings(), dcetest.DefaultSecurity)
			var p dcom.ServerAlive2Response
			n, err := p.Decode(stub, le)
			if err != nil || n != len(stub) {
				t.Fatalf("Decode = %d, %v", n, err)
			}
			if p.Version != (dcom.COMVersion{Major: 5, Minor: 7}) || !p.HasBindings || p.Status != 0 || p.Reserved != 0 {
				t.Fatalf("%+v", p)
			}
			if got := rendered(&p.Bindings); !reflect.DeepEqual(got, seedRendered) {
				t.Fatalf("bindings %q", got)
			}
			if p.Bindings.InvalidAddrs != 2 {
				t.Errorf("InvalidAddrs %d", p.Bindings.InvalidAddrs)
			}
			checkSeedAnomalies(t, stub, le, &p.Anomalies, 2)
		})
	})
}

func TestResolveOxid2Response(t *testing.T) {
	dcetest.BothOrders(func(name string, le bool) {
		t.Run(name, func(t *testing.T) {
			stub := dcetest.ResolveOxid2Response(le, seedStrings(), dcetest.DefaultSecurity)
			var p dcom.ResolveOxid2Response
			n, err := p.Decode(stub, le)
			if err != nil || n != len(stub) {
				t.Fatalf("Decode = %d, %v", n, err)
			}
			if !p.HasBindings || p.AuthnHint != 4 || p.Version.Major != 5 || p.Status != 0 ||
				p.IPIDRemUnknown != dissect.MustParseUUID("0000ec00-079c-0000-a0ec-6c1835106534") {
				t.Fatalf("%+v", p)
			}
			if got := rendered(&p.Bindings); !reflect.DeepEqual(got, seedRendered) {
				t.Fatalf("bindings %q", got)
			}
			checkSeedAnomalies(t, stub, le, &p.Anomalies, 2)
		})
	})
}

func TestOXIDResponsesNullAndStatus(t *testing.T) {
	dcetest.BothOrders(func(name string, le bool) {
		r := dcetest.OXIDReply{Status: 0x80070005, AuthnHint: 2}
		var p2 dcom.ResolveOxid2Response
		if _, err := p2.Decode(dcetest.ResolveOxid2ResponseOf(le, r), le); err != nil || p2.HasBindings || p2.Status != 0x80070005 || p2.Anomalies.Len() != 0 {
			t.Errorf("%s: ResolveOxid2 NULL: %v %+v", name, err, p2)
		}
		var p0 dcom.ResolveOxidResponse
		r.Bindings = &dcetest.DSA{Strings: dcetest.KB224460Correct}
		r.Status = 0
		if _, err := p0.Decode(dcetest.ResolveOxidResponseOf(le, r), le); err != nil || !p0.HasBindings || p0.AuthnHint != 2 || p0.Bindings.NumStrings != 2 {
			t.Errorf("%s: ResolveOxid: %v %+v", name, err, p0)
		}
		var sa dcom.ServerAliveResponse
		if n, err := sa.Decode(dcetest.ServerAliveResponse(le, 0x1c010003), le); err != nil || n != 4 || sa.Status != 0x1c010003 {
			t.Errorf("%s: ServerAlive: %v %+v", name, err, sa)
		}
		var s2 dcom.ServerAlive2Response
		stub := append(dcetest.ServerAlive2ResponseOf(le, dcetest.OXIDReply{}), 1, 2)
		if _, err := s2.Decode(stub, le); err != nil || s2.HasBindings || !s2.Anomalies.Has(dissect.AnomTrailingBytes) {
			t.Errorf("%s: ServerAlive2 trailing: %v %+v", name, err, s2)
		}
	})
}

// TestResponseTruncated cuts the stub after the bindings: the decoder
// returns ErrShort and keeps the bindings.
func TestResponseTruncated(t *testing.T) {
	dcetest.BothOrders(func(name string, le bool) {
		stub := dcetest.ResolveOxid2Response(le, dcetest.KB224460Correct, nil)
		stub = stub[:len(stub)-10]
		var p dcom.ResolveOxid2Response
		if _, err := p.Decode(stub, le); err != dissect.ErrShort || !p.HasBindings || p.Bindings.NumStrings != 2 ||
			!p.Anomalies.Has(dissect.AnomDCOMTruncated) {
			t.Errorf("%s: %v %+v", name, err, p.Anomalies)
		}
		// cut inside the array: the entries present are still decoded
		stub = dcetest.ServerAlive2Response(le, dcetest.KB224460Correct, nil)
		var s dcom.ServerAlive2Response
		if _, err := s.Decode(stub[:62], le); err != dissect.ErrShort || s.Bindings.NumStrings != 1 ||
			!s.Anomalies.Has(dissect.AnomDCOMNumEntriesBeyondData) {
			t.Errorf("%s: cut array: %v %d %v", name, err, s.Bindings.NumStrings, kinds(&s.Anomalies))
		}
	})
}

func TestResolveOxidRequest(t *testing.T) {
	dcetest.BothOrders(func(name string, le bool) {
		var q dcom.ResolveOxidRequest
		stub := dcetest.ResolveOxidRequest(le, 0x1189f948559b4a41, []uint16{7, 8}, -1)
		if n, err := q.Decode(stub, le); err != nil || n != len(stub) || q.OXID != 0x1189f948559b4a41 || q.NumKept != 2 ||
			q.Protseqs[0] != dcom.TowerNcacnIPTCP || q.Protseqs[1] != dcom.TowerNcadgIPUDP || q.Anomalies.Len() != 0 {
			t.Errorf("%s: %d %v %+v", name, n, err, q)
		}
		stub = dcetest.ResolveOxidRequest(le, 1, []uint16{7}, 3)
		if _, err := q.Decode(stub, le); err != dissect.ErrLength || !q.Anomalies.Has(dissect.AnomDCOMMaxCountMismatch) ||
			!q.Anomalies.Has(dissect.AnomCountTooLarge) {
			t.Errorf("%s: max_count 3: %v %v", name, err, kinds(&q.Anomalies))
		}
		if _, err := q.Decode(stub[:9], le); err != dissect.ErrShort {
			t.Errorf("%s: short: %v", name, err)
		}
	})
}

func remactReply() dcetest.RemoteActivationReply {
	iid := dissect.MustParseUUID("00000000-0000-0000-c000-000000000046")
	return dcetest.RemoteActivationReply{
		ORPCFlags: 0,
		Extents: []dcetest.Extent{
			{ID: dissect.MustParseUUID("f1f19680-4d2a-11ce-a66a-0020af6e72f4"), Data: []byte("error info extent")},
		},
		OXID:      0x0102030405060708,
		Bindings:  &dcetest.DSA{Strings: seedStrings(), Security: dcetest.DefaultSecurity},
		IPID:      dissect.MustParseUUID("0000ec00-079c-0000-a0ec-6c1835106534"),
		AuthnHint: 4,
		Interfaces: [][]byte{
			dcetest.ObjRefStandard(iid, dcetest.StdObjRef{PublicRefs: 5, OXID: 0x0102030405060708, OID: 9},
				dcetest.DSA{Strings: []dcetest.SB{{Tower: 7, Addr: "SRV20"}, {Tower: 7, Addr: "157.61.239.5"}}}),
			nil,
		},
		Results: []uint32{0, 0x80004002},
	}
}

func TestRemoteActivationResponse(t *testing.T) {
	dcetest.BothOrders(func(name string, le bool) {
		t.Run(name, func(t *testing.T) {
			stub := dcetest.RemoteActivationResponse(le, remactReply())
			var p dcom.RemoteActivationResponse
			n, err := p.Decode(stub, le)
			if err != nil || n != len(stub) || !p.Complete {
				t.Fatalf("Decode = %d, %v, complete %v, %v", n, err, p.Complete, kinds(&p.Anomalies))
			}
			if !p.ORPCThat.HasExtensions || p.ORPCThat.Extents != 1 || p.ORPCThat.Size != 1 {
				t.Errorf("ORPCTHAT %+v", p.ORPCThat)
			}
			if p.OXID != 0x0102030405060708 || !p.HasBindings || p.AuthnHint != 4 || p.ServerVersion.Minor != 7 {
				t.Errorf("%+v", p)
			}
			if got := rendered(&p.Bindings); !reflect.DeepEqual(got, seedRendered) {
				t.Fatalf("bindings %q", got)
			}
			checkSeedAnomalies(t, stub, le, &p.Anomalies, 2)
			if p.NumInterfaces != 2 || !p.Interfaces[0].HasObjRef || p.Interfaces[1].HasObjRef ||
				p.Interfaces[1].HR != 0x80004002 {
				t.Fatalf("interfaces %+v", p.Interfaces)
			}
			o := &p.Interfaces[0].ObjRef
			if o.Flags != dcom.ObjRefStandard || o.Std.PublicRefs != 5 || o.Std.OXID != p.OXID || !o.HasResolver {
				t.Errorf("objref %+v", o)
			}
			if got := rendered(&o.Resolver); !reflect.DeepEqual(got, []string{"ncacn_ip_tcp:SRV20", "ncacn_ip_tcp:157.61.239.5"}) {
				t.Errorf("resolver %q", got)
			}
		})
	})
}

// TestRemoteActivationTail corrupts what follows phr: the bindings survive
// and the problem is an anomaly, not an error.
func TestRemoteActivationTail(t *testing.T) {
	dcetest.BothOrders(func(name string, le bool) {
		r := remactReply()
		r.Results = r.Results[:1]
		stub := dcetest.RemoteActivationResponse(le, r)
		var p dcom.RemoteActivationResponse
		if _, err := p.Decode(stub, le); err != nil || !p.HasBindings || !p.Anomalies.Has(dissect.AnomDCOMMaxCountMismatch) {
			t.Errorf("%s: results count: %v %v", name, err, kinds(&p.Anomalies))
		}
		full := dcetest.RemoteActivationResponse(le, remactReply())
		if _, err := p.Decode(full[:len(full)-6], le); err != nil || p.Complete || p.Bindings.NumStrings != 6 ||
			!p.Anomalies.Has(dissect.AnomCountTooLarge) {
			t.Errorf("%s: cut tail: %v complete %v %v", name, err, p.Complete, kinds(&p.Anomalies))
		}
	})
}

func TestActivationResponse(t *testing.T) {
	for _, propsBE := range []bool{false, true} {
		dcetest.BothOrders(func(name string, le bool) {
			if propsBE {
				name += "/props-be"
			}
			t.Run(name, func(t *testing.T) {
				r := dcetest.SeedActivationReply()
				r.PropsBE = propsBE
				stub := dcetest.RemoteCreateInstanceResponse(le, r)
				var p dcom.ActivationResponse
				n, err := p.Decode(stub, le)
				if err != nil || n != len(stub) || !p.HasProperties || p.HR != 0 {
					t.Fatalf("Decode = %d, %v, %v", n, err, kinds(&p.Anomalies))
				}
				if p.ORPCThat.Flags != 1 || p.ObjRef.Flags != dcom.ObjRefCustom || p.ObjRef.IID != dcom.IIDIActivationPropertiesOut {
					t.Errorf("header %+v %+v", p.ORPCThat, p.ObjRef)
				}
				a := &p.Props
				if !a.HasScmReply || !a.HasRemoteReply || !a.HasPropsOut || a.OXID != 0x1189f948559b4a41 || a.AuthnHint != 4 ||
					a.Header.NumProps != 2 || a.Header.NumKept != 2 || a.NumInterfaces != 1 {
					t.Fatalf("props %+v", a.Header)
				}
				b := p.Bindings()
				if b == nil {
					t.Fatal("no bindings")
				}
				want := []string{
					"ncacn_ip_tcp:SRV20[1038]", "ncadg_ip_udp:SRV20[1039]",
					"ncadg_ip_udp:157.61.239.61157.61.239.5[1039]", "ncacn_ip_tcp:157.61.239.61157.61.239.5[1038]",
				}
				if got := rendered(b); !reflect.DeepEqual(got, want) {
					t.Fatalf("bindings %q", got)
				}
				f := &a.Interfaces[0]
				if !f.HasObjRef || f.ObjRef.Flags != dcom.ObjRefStandard || f.ObjRef.Resolver.NumStrings != 2 {
					t.Fatalf("interface %+v", f)
				}
				// 1 fused entry in the OBJREF resolver address (PropsOutInfo,
				// first), 2 in ScmReplyInfo, each reported once at its stub
				// offset. The OBJREF is little-endian whatever the stub's
				// order; the properties follow their own.
				const fused = "157.61.239.61157.61.239.5"
				wantOffs := utf16At(stub, fused, true)
				if propsBE {
					objref := wantOffs[0]
					wantOffs = wantOffs[:1]
					for _, o := range utf16At(stub, fused, false) {
						if o > objref+1 {
							wantOffs = append(wantOffs, o)
						}
					}
				}
				var got []int
				for i := 0; i < p.Anomalies.Len(); i++ {
					x := p.Anomalies.At(i)
					if x.Kind != dissect.AnomDCOMInvalidNetworkAddress {
						t.Errorf("unexpected %v at %d", x.Kind, x.Off)
					}
					got = append(got, x.Off)
				}
				if len(wantOffs) != 3 || !reflect.DeepEqual(got, wantOffs) {
					t.Errorf("anomalies at %v, want %v", got, wantOffs)
				}
			})
		})
	}
}

func TestActivationResponseCorrupt(t *testing.T) {
	other := dissect.MustParseUUID("0000033b-0000-0000-c000-000000000046")
	tests := []struct {
		name string
		mod  func(r *dcetest.ActivationReply)
		want dissect.AnomalyKind
	}{
		{"bad signature", func(r *dcetest.ActivationReply) { r.Signature = 0x574f454e }, dissect.AnomDCOMBadObjRefSignature},
		{"unexpected clsid", func(r *dcetest.ActivationReply) { r.CLSID = &other }, dissect.AnomDCOMUnexpectedCLSID},
		{"property beyond blob", func(r *dcetest.ActivationReply) { r.PropSizes = []uint32{0x100, 0x10000} }, dissect.AnomDCOMPropertySizeBeyondBlob},
		{"property sizes", func(r *dcetest.ActivationReply) { r.PropSizes = []uint32{0x100, 0x10} }, dissect.AnomDCOMPropertySizes},
		{"max count", func(r *dcetest.ActivationReply) {
			r.Bindings.MaxCount = dcetest.Ptr(uint32(3))
		}, dissect.AnomDCOMMaxCountMismatch},
	}
	for _, tc := range tests {
		dcetest.BothOrders(func(name string, le bool) {
			r := dcetest.SeedActivationReply()
			r.Bindings = &dcetest.DSA{Strings: dcetest.KB224460Correct}
			r.Interfaces[0].ObjRef = dcetest.ObjRefStandard(r.Interfaces[0].IID, dcetest.StdObjRef{}, dcetest.DSA{})
			tc.mod(&r)
			stub := dcetest.RemoteCreateInstanceResponse(le, r)
			var p dcom.ActivationResponse
			if _, err := p.Decode(stub, le); err != nil {
				t.Errorf("%s/%s: %v", tc.name, name, err)
			}
			if !p.Anomalies.Has(tc.want) {
				t.Errorf("%s/%s: anomalies %v, want %v", tc.name, name, kinds(&p.Anomalies), tc.want)
			}
		})
	}
	dcetest.BothOrders(func(name string, le bool) {
		var p dcom.ActivationResponse
		stub := dcetest.RemoteCreateInstanceResponse(le, dcetest.ActivationReply{NullProperties: true, HR: 0x80070005})
		if _, err := p.Decode(stub, le); err != nil || p.HasProperties || p.HR != 0x80070005 || p.Bindings() != nil {
			t.Errorf("%s: NULL properties: %v %+v", name, err, p)
		}
		r := dcetest.SeedActivationReply()
		r.NoReply = true
		stub = dcetest.RemoteCreateInstanceResponse(le, r)
		if _, err := p.Decode(stub, le); err != nil || !p.Props.HasScmReply || p.Props.HasRemoteReply || p.Bindings() != nil {
			t.Errorf("%s: no remote reply: %v", name, err)
		}
	})
}

// TestDecodeReset decodes A then B into one struct and compares with a
// fresh decode of B, for every response type.
func TestDecodeReset(t *testing.T) {
	dcetest.BothOrders(func(name string, le bool) {
		seed := seedStrings()
		check := func(what string, a, b any) {
			if !reflect.DeepEqual(a, b) {
				t.Errorf("%s/%s: reused decode differs from fresh", what, name)
			}
		}
		{
			a := dcetest.ServerAlive2Response(le, seed, dcetest.DefaultSecurity)
			b := dcetest.ServerAlive2ResponseOf(le, dcetest.OXIDReply{Status: 5})
			var x, y dcom.ServerAlive2Response
			x.Decode(a, le)
			x.Decode(b, le)
			y.Decode(b, le)
			check("ServerAlive2", x, y)
		}
		{
			a := dcetest.ResolveOxid2Response(le, seed, dcetest.DefaultSecurity)
			b := dcetest.ResolveOxid2Response(le, dcetest.KB224460Names, nil)
			var x, y dcom.ResolveOxid2Response
			x.Decode(a, le)
			x.Decode(b, le)
			y.Decode(b, le)
			check("ResolveOxid2", x, y)
		}
		{
			a := dcetest.RemoteActivationResponse(le, remactReply())
			b := dcetest.RemoteActivationResponse(le, dcetest.RemoteActivationReply{OXID: 3})
			var x, y dcom.RemoteActivationResponse
			x.Decode(a, le)
			x.Decode(b, le)
			y.Decode(b, le)
			check("RemoteActivation", x, y)
		}
		{
			a := dcetest.RemoteCreateInstanceResponse(le, dcetest.SeedActivationReply())
			b := dcetest.RemoteCreateInstanceResponse(le, dcetest.ActivationReply{NoReply: true})
			var x, y dcom.ActivationResponse
			x.Decode(a, le)
			x.Decode(b, le)
			y.Decode(b, le)
			check("Activation", x, y)
		}
		{
			a := dcetest.ResolveOxidRequest(le, 1, []uint16{7, 8, 9}, -1)
			b := dcetest.ResolveOxidRequest(le, 2, nil, -1)
			var x, y dcom.ResolveOxidRequest
			x.Decode(a, le)
			x.Decode(b, le)
			y.Decode(b, le)
			check("ResolveOxidRequest", x, y)
		}
	})
}
