package epm

import (
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/rpcwatch/rpcwatch/dissect"
	"github.com/rpcwatch/rpcwatch/dissect/dcetest"
	"github.com/rpcwatch/rpcwatch/dissect/ndr"
)

func kindsOf(a *dissect.Anomalies) []dissect.AnomalyKind {
	var k []dissect.AnomalyKind
	for i := 0; i < a.Len(); i++ {
		k = append(k, a.At(i).Kind)
	}
	return k
}

func lookupStub(le bool, r dcetest.EPMLookupResponse) []byte {
	return dcetest.New(le).EPMLookupResponse(r).B
}

func mapStub(le bool, r dcetest.EPMMapResponse) []byte {
	return dcetest.New(le).EPMMapResponse(r).B
}

// walkLookup returns the entries' bindings, annotations and tower flags.
func walkLookup(p *LookupResponse) (bindings, anns []string, towers []bool) {
	var it EntryIter
	for it.Reset(p); it.Next(); {
		e := it.Entry()
		bindings = append(bindings, bindingOf(&e.Tower).String())
		anns = append(anns, string(e.Annotation))
		towers = append(towers, e.HasTower)
	}
	return
}

func TestLookupResponseSamba38(t *testing.T) {
	want := dcetest.EPMSambaLookup38Bindings()
	dcetest.BothOrders(func(name string, le bool) {
		t.Run(name, func(t *testing.T) {
			stub := lookupStub(le, dcetest.EPMSambaLookup38())
			var p LookupResponse
			n, err := p.Decode(stub, le)
			if err != nil || n != len(stub) {
				t.Fatalf("Decode = %d, %v (len %d)", n, err, len(stub))
			}
			if p.NumEnts != 38 || p.Entries.MaxCount != 500 || p.Entries.ActualCount != 38 || p.Status != StatusNotRegistered || !p.HasStatus() {
				t.Fatalf("num %d hdr %+v status %v", p.NumEnts, p.Entries, p.Status)
			}
			if k := kindsOf(&p.Anomalies); !reflect.DeepEqual(k, []dissect.AnomalyKind{dissect.AnomEPMStatusWithEntries}) {
				t.Fatalf("anomalies %v", k)
			}
			b, anns, _ := walkLookup(&p)
			if !reflect.DeepEqual(b, want) {
				t.Fatalf("bindings\n%v\nwant\n%v", b, want)
			}
			if anns[0] != "eventlog" || anns[3] != "FileServerVssAgent" || anns[37] != "netdfs" {
				t.Fatalf("annotations %v", anns)
			}
			var it EntryIter
			for it.Reset(&p); it.Next(); {
				e := it.Entry()
				if e.Tower.Anomalies.Len() != 0 || e.TowerErr != nil || e.Tower.Off <= e.Off {
					t.Fatalf("entry %d: tower anomalies %v err %v off %d", e.Index, kindsOf(&e.Tower.Anomalies), e.TowerErr, e.Tower.Off)
				}
				if string(stub[e.Tower.Off:e.Tower.Off+len(e.Tower.Octets)]) != string(e.Tower.Octets) {
					t.Fatalf("entry %d: Tower.Off does not locate the octets", e.Index)
				}
			}
			if it.Err() != nil {
				t.Fatal(it.Err())
			}
		})
	})
}

func TestLookupResponseAnomalies(t *testing.T) {
	tcp := dcetest.EPMTowerTCP(samr, lo, 49153)
	np := dcetest.EPMTowerNP(samr, `\pipe\samr`, "")
	base := func() dcetest.EPMLookupResponse {
		return dcetest.EPMLookupResponse{Entries: []dcetest.EPMEntry{
			{Tower: tcp, Annotation: "samr"}, {Tower: np, Annotation: "samr"}}}
	}
	cases := []struct {
		name  string
		mod   func(r *dcetest.EPMLookupResponse)
		raw   func(b []byte) []byte
		kinds []dissect.AnomalyKind
		binds []string
		err   error
	}{
		{name: "clean", mod: func(r *dcetest.EPMLookupResponse) {},
			binds: []string{"ncacn_ip_tcp:127.0.0.1[49153]", `ncacn_np:[\pipe\samr]`}},
		{name: "empty-ok", mod: func(r *dcetest.EPMLookupResponse) { r.Entries = nil; r.Status = uint32(StatusNotRegistered) }},
		{name: "null-tower", mod: func(r *dcetest.EPMLookupResponse) {
			r.Entries = append([]dcetest.EPMEntry{{Annotation: "none"}}, r.Entries...)
		}, kinds: []dissect.AnomalyKind{dissect.AnomEPMNullTower},
			binds: []string{"unknown:", "ncacn_ip_tcp:127.0.0.1[49153]", `ncacn_np:[\pipe\samr]`}},
		{name: "num-ents-mismatch", mod: func(r *dcetest.EPMLookupResponse) { r.NumEnts, r.SetNumEnts = 5, true },
			kinds: []dissect.AnomalyKind{dissect.AnomEPMCountMismatch}},
		{name: "actual-over-max", mod: func(r *dcetest.EPMLookupResponse) { r.MaxCount, r.SetMaxCount = 1, true },
			kinds: []dissect.AnomalyKind{dissect.AnomNDRVaryingBounds}},
		{name: "annotation-too-long", mod: func(r *dcetest.EPMLookupResponse) { r.Entries[0].Annotation = strings.Repeat("a", 70) },
			kinds: []dissect.AnomalyKind{dissect.AnomNDRStringTooLong}},
		{name: "annotation-unterminated", mod: func(r *dcetest.EPMLookupResponse) { r.Entries[1].RawAnnotation = []byte("samr") },
			kinds: []dissect.AnomalyKind{dissect.AnomNDRStringUnterminated}},
		{name: "duplicate-referent", mod: func(r *dcetest.EPMLookupResponse) { r.Refs = []uint32{7, 7} },
			kinds: []dissect.AnomalyKind{dissect.AnomNDRDuplicateReferent}},
		{name: "handle-attributes", mod: func(r *dcetest.EPMLookupResponse) { r.HandleAttr = 1 },
			kinds: []dissect.AnomalyKind{dissect.AnomEPMHandleAttributes}},
		{name: "trailing", mod: func(r *dcetest.EPMLookupResponse) {}, raw: func(b []byte) []byte { return append(b, 1, 2, 3, 4) },
			kinds: []dissect.AnomalyKind{dissect.AnomTrailingBytes}},
		{name: "status-with-entries", mod: func(r *dcetest.EPMLookupResponse) { r.Status = uint32(StatusNotRegistered) },
			kinds: []dissect.AnomalyKind{dissect.AnomEPMStatusWithEntries}},
		{name: "hostile-actual-count", mod: func(r *dcetest.EPMLookupResponse) {},
			raw: func(b []byte) []byte { b[32], b[33], b[34], b[35] = 0x7f, 0xff, 0xff, 0x7f; return b }, err: dissect.ErrLength,
			kinds: []dissect.AnomalyKind{dissect.AnomNDRVaryingBounds}},
	}
	for _, c := range cases {
		dcetest.BothOrders(func(name string, le bool) {
			t.Run(c.name+"/"+name, func(t *testing.T) {
				r := base()
				c.mod(&r)
				stub := lookupStub(le, r)
				if c.raw != nil {
					stub = c.raw(stub)
				}
				var p LookupResponse
				_, err := p.Decode(stub, le)
				if !errors.Is(err, c.err) || (c.err == nil && err != nil) {
					t.Fatalf("err %v, want %v", err, c.err)
				}
				if k := kindsOf(&p.Anomalies); !reflect.DeepEqual(k, c.kinds) {
					t.Fatalf("anomalies %v, want %v", k, c.kinds)
				}
				if c.binds != nil {
					if b, _, _ := walkLookup(&p); !reflect.DeepEqual(b, c.binds) {
						t.Fatalf("bindings %v, want %v", b, c.binds)
					}
				}
			})
		})
	}
}

func TestLookupResponseTwrLengths(t *testing.T) {
	tcp := dcetest.EPMTowerTCP(samr, lo, 135)
	dcetest.BothOrders(func(name string, le bool) {
		// max_count one larger than tower_length: the extra octet is not
		// part of the tower.
		e := dcetest.New(le).EPMHandle(0, dissect.NilUUID).U32(1).U32(1).U32(0).U32(1)
		e.UUID(dissect.NilUUID).U32(1).U32(0).U32(1).U8(0)
		e.EPMTwrLengths(uint32(len(tcp)+1), uint32(len(tcp)), append(append([]byte{}, tcp...), 0xee))
		e.Align(4).U32(0)
		var p LookupResponse
		if _, err := p.Decode(e.B, le); err != nil {
			t.Fatal(err)
		}
		if k := kindsOf(&p.Anomalies); !reflect.DeepEqual(k, []dissect.AnomalyKind{dissect.AnomTowerLength}) {
			t.Fatalf("%s: anomalies %v", name, k)
		}
		b, _, _ := walkLookup(&p)
		if !reflect.DeepEqual(b, []string{"ncacn_ip_tcp:127.0.0.1[135]"}) {
			t.Fatalf("%s: bindings %v", name, b)
		}
	})
}

func TestLookupRequest(t *testing.T) {
	obj := dissect.MustParseUUID("00390034-0039-0037-5d00-000000000000")
	nspi := dissect.SyntaxID{UUID: dissect.MustParseUUID("f5cc5a18-4264-101a-8c59-08002b2f8426"), Major: 56}
	dcetest.BothOrders(func(name string, le bool) {
		t.Run(name, func(t *testing.T) {
			stub := dcetest.New(le).EPMLookupRequest(dcetest.EPMLookupRequest{Inquiry: 1, Object: &obj, Interface: &nspi, VersOption: 1, MaxEnts: 1}).B
			var q LookupRequest
			n, err := q.Decode(stub, le)
			if err != nil || n != len(stub) {
				t.Fatalf("Decode = %d, %v", n, err)
			}
			if q.InquiryType != InquiryMatchByIf || q.Object != obj || q.ObjectRef == 0 || q.Interface != nspi || q.VersOption != VersAll || q.MaxEnts != 1 || q.Anomalies.Len() != 0 {
				t.Fatalf("%+v", q)
			}
			stub = dcetest.New(le).EPMLookupRequest(dcetest.EPMLookupRequest{Inquiry: 9, VersOption: 9, MaxEnts: 500}).B
			if _, err := q.Decode(stub, le); err != nil || q.ObjectRef != 0 || q.InterfaceRef != 0 || q.MaxEnts != 500 {
				t.Fatalf("null pointers: %v %+v", err, q)
			}
			if k := kindsOf(&q.Anomalies); !reflect.DeepEqual(k, []dissect.AnomalyKind{dissect.AnomEPMBadInquiry, dissect.AnomEPMBadInquiry}) {
				t.Fatalf("anomalies %v", k)
			}
			var p LookupResponse
			p.NumEnts = 2
			p.CheckRequest(&LookupRequest{MaxEnts: 1})
			if !p.Anomalies.Has(dissect.AnomEPMOverMax) {
				t.Fatal("over max not flagged")
			}
		})
	})
}

func mapTowers(n int) [][]byte {
	var ts [][]byte
	for i := 0; i < n; i++ {
		ts = append(ts, dcetest.EPMTowerTCP(netlogon, netip.AddrFrom4([4]byte{172, 16, 5, byte(58 + i)}), uint16(49668+i)))
	}
	return ts
}

func walkMap(p *MapResponse) (bindings []string) {
	var it TowerIter
	for it.Reset(p); it.Next(); {
		bindings = append(bindings, bindingOf(&it.Tower().Tower).String())
	}
	return
}

func TestMapResponse(t *testing.T) {
	cases := []struct {
		name  string
		r     dcetest.EPMMapResponse
		kinds []dissect.AnomalyKind
		binds []string
	}{
		{name: "one", r: dcetest.EPMMapResponse{Towers: mapTowers(1), MaxCount: 1, SetMaxCount: true},
			binds: []string{"ncacn_ip_tcp:172.16.5.58[49668]"}},
		{name: "four", r: dcetest.EPMMapResponse{Towers: mapTowers(4), MaxCount: 4, SetMaxCount: true},
			binds: []string{"ncacn_ip_tcp:172.16.5.58[49668]", "ncacn_ip_tcp:172.16.5.59[49669]", "ncacn_ip_tcp:172.16.5.60[49670]", "ncacn_ip_tcp:172.16.5.61[49671]"}},
		{name: "none-not-registered", r: dcetest.EPMMapResponse{MaxCount: 1, SetMaxCount: true, Status: uint32(StatusNotRegistered)}},
		{name: "null-tower", r: dcetest.EPMMapResponse{Towers: append([][]byte{nil}, mapTowers(1)...)},
			kinds: []dissect.AnomalyKind{dissect.AnomEPMNullTower}, binds: []string{"unknown:", "ncacn_ip_tcp:172.16.5.58[49668]"}},
		{name: "num-mismatch", r: dcetest.EPMMapResponse{Towers: mapTowers(2), NumTowers: 1, SetNumTowers: true},
			kinds: []dissect.AnomalyKind{dissect.AnomEPMCountMismatch}},
		{name: "status-with-towers", r: dcetest.EPMMapResponse{Towers: mapTowers(1), Status: uint32(StatusCantPerformOp)},
			kinds: []dissect.AnomalyKind{dissect.AnomEPMStatusWithEntries}},
		{name: "duplicate-ref", r: dcetest.EPMMapResponse{Towers: mapTowers(3), Refs: []uint32{3, 4, 3}},
			kinds: []dissect.AnomalyKind{dissect.AnomNDRDuplicateReferent}},
	}
	for _, c := range cases {
		dcetest.BothOrders(func(name string, le bool) {
			t.Run(c.name+"/"+name, func(t *testing.T) {
				stub := mapStub(le, c.r)
				var p MapResponse
				n, err := p.Decode(stub, le)
				if err != nil || n != len(stub) {
					t.Fatalf("Decode = %d, %v", n, err)
				}
				if k := kindsOf(&p.Anomalies); !reflect.DeepEqual(k, c.kinds) {
					t.Fatalf("anomalies %v, want %v", k, c.kinds)
				}
				if b := walkMap(&p); c.binds != nil && !reflect.DeepEqual(b, c.binds) {
					t.Fatalf("bindings %v, want %v", b, c.binds)
				}
			})
		})
	}
}

func TestMapRequest(t *testing.T) {
	obj := dissect.MustParseUUID("a8e0653c-2744-4389-a61d-7373df8b2292")
	dcetest.BothOrders(func(name string, le bool) {
		t.Run(name, func(t *testing.T) {
			tw := dcetest.EPMTowerTCP(netlogon, netip.IPv4Unspecified(), 135)
			stub := dcetest.New(le).EPMMapRequest(dcetest.EPMMapRequest{Object: &obj, Tower: tw, MaxTowers: 4}).B
			var q MapRequest
			n, err := q.Decode(stub, le)
			if err != nil || n != len(stub) || !q.HasTower || q.TowerErr != nil {
				t.Fatalf("Decode = %d, %v, tower %v %v", n, err, q.HasTower, q.TowerErr)
			}
			if q.Object != obj || q.MaxTowers != 4 || bindingOf(&q.Tower).String() != "ncacn_ip_tcp:0.0.0.0[135]" || q.Tower.Interface != netlogon {
				t.Fatalf("%v %d %s %v", q.Object, q.MaxTowers, bindingOf(&q.Tower).String(), q.Tower.Interface)
			}
			if q.Tower.Off != 32 || q.Anomalies.Len() != 0 {
				t.Fatalf("tower off %d anomalies %v", q.Tower.Off, kindsOf(&q.Anomalies))
			}
			stub = dcetest.New(le).EPMMapRequest(dcetest.EPMMapRequest{MaxTowers: 1}).B
			if _, err := q.Decode(stub, le); err != nil || q.HasTower || !q.Anomalies.Has(dissect.AnomEPMNullTower) {
				t.Fatalf("null tower: %v %v", err, kindsOf(&q.Anomalies))
			}
			var p MapResponse
			p.Towers.ActualCount = 5
			p.CheckRequest(&MapRequest{MaxTowers: 4})
			if !p.Anomalies.Has(dissect.AnomEPMOverMax) {
				t.Fatal("over max not flagged")
			}
		})
	})
}

func TestLookupHandleFree(t *testing.T) {
	h := dissect.MustParseUUID("7cfc5f3b-92b0-7544-a3e3-e4d53df481df")
	dcetest.BothOrders(func(name string, le bool) {
		var q LookupHandleFreeRequest
		stub := dcetest.New(le).EPMHandle(0, h).B
		if n, err := q.Decode(stub, le); err != nil || n != 20 || q.Handle.UUID != h {
			t.Fatalf("%s request: %d %v %v", name, n, err, q.Handle)
		}
		var p LookupHandleFreeResponse
		stub = dcetest.New(le).EPMLookupHandleFreeResponse(dissect.NilUUID, 0).B
		if n, err := p.Decode(stub, le); err != nil || n != 24 || !p.Handle.IsZero() || p.Status != StatusOK {
			t.Fatalf("%s response: %d %v %+v", name, n, err, p)
		}
		if _, err := p.Decode(stub[:23], le); !errors.Is(err, dissect.ErrShort) {
			t.Fatalf("%s short response: %v", name, err)
		}
	})
}

// stubFixtures are the stubs the reuse, truncation and fuzz tests share.
type stubFixture struct {
	name string
	op   Opnum
	resp bool
	le   bool
	syn  ndr.Syntax
	b    []byte
}

func stubFixtures() []stubFixture {
	var out []stubFixture
	obj := dissect.MustParseUUID("a8e0653c-2744-4389-a61d-7373df8b2292")
	dcetest.BothOrders(func(name string, le bool) {
		add := func(n string, op Opnum, resp bool, b []byte) {
			out = append(out, stubFixture{n + "/" + name, op, resp, le, ndr.NDR20, b})
		}
		add64 := func(n string, op Opnum, resp bool, b []byte) {
			out = append(out, stubFixture{n + "-ndr64/" + name, op, resp, le, ndr.NDR64, b})
		}
		s38 := dcetest.EPMSambaLookup38()
		s38.NDR64 = true
		add64("samba38", OpLookup, true, lookupStub(le, s38))
		add64("map-4", OpMap, true, mapStub(le, dcetest.EPMMapResponse{Towers: mapTowers(4), NDR64: true}))
		add64("map-request", OpMap, false, dcetest.New(le).EPMMapRequest(dcetest.EPMMapRequest{Object: &obj,
			Tower: dcetest.EPMTowerTCP(netlogon, netip.IPv4Unspecified(), 135), MaxTowers: 4, NDR64: true}).B)
		add64("lookup-request", OpLookup, false, dcetest.New(le).EPMLookupRequest(dcetest.EPMLookupRequest{
			Object: &obj, Interface: &samr, VersOption: 1, MaxEnts: 500, NDR64: true}).B)
		add("samba38", OpLookup, true, lookupStub(le, dcetest.EPMSambaLookup38()))
		add("lookup-null-tower", OpLookup, true, lookupStub(le, dcetest.EPMLookupResponse{Entries: []dcetest.EPMEntry{
			{Annotation: "x"}, {Tower: dcetest.EPMTowerUDP(samr, kbAddr, 1039), Annotation: "fused"}}}))
		add("map-4", OpMap, true, mapStub(le, dcetest.EPMMapResponse{Towers: mapTowers(4)}))
		add("map-fused", OpMap, true, mapStub(le, dcetest.EPMMapResponse{Towers: [][]byte{floors(dcetest.EPMProtoRPCCL,
			fPort(dcetest.EPMProtoUDP, 1039), fRaw(dcetest.EPMProtoIP, []byte{157, 61, 239, 61, 157, 61, 239, 5}))}}))
		add("map-request", OpMap, false, dcetest.New(le).EPMMapRequest(dcetest.EPMMapRequest{Object: &obj,
			Tower: dcetest.EPMTowerTCP(netlogon, netip.IPv4Unspecified(), 135), MaxTowers: 4}).B)
		add("lookup-request", OpLookup, false, dcetest.New(le).EPMLookupRequest(dcetest.EPMLookupRequest{Interface: &samr, VersOption: 1, MaxEnts: 500}).B)
	})
	return out
}

// decodeAny decodes a fixture and returns everything observable.
type decoded struct {
	lookupReq  LookupRequest
	lookupResp LookupResponse
	mapReq     MapRequest
	mapResp    MapResponse
	entries    []string
	err        error
}

func decodeFixture(f stubFixture, d *decoded) {
	d.entries = d.entries[:0]
	switch {
	case f.op == OpLookup && f.resp:
		_, d.err = d.lookupResp.DecodeSyntax(f.b, f.le, f.syn)
		var it EntryIter
		for it.Reset(&d.lookupResp); it.Next(); {
			e := it.Entry()
			d.entries = append(d.entries, bindingOf(&e.Tower).String()+"|"+string(e.Annotation))
		}
	case f.op == OpLookup:
		_, d.err = d.lookupReq.DecodeSyntax(f.b, f.le, f.syn)
	case f.resp:
		_, d.err = d.mapResp.DecodeSyntax(f.b, f.le, f.syn)
		var it TowerIter
		for it.Reset(&d.mapResp); it.Next(); {
			d.entries = append(d.entries, bindingOf(&it.Tower().Tower).String())
		}
	default:
		_, d.err = d.mapReq.DecodeSyntax(f.b, f.le, f.syn)
	}
}

// TestDecodeReuse: decoding A then B into the same structs equals decoding
// B fresh, for every pair of fixtures of the same operation.
func TestDecodeReuse(t *testing.T) {
	fx := stubFixtures()
	for _, a := range fx {
		for _, b := range fx {
			if a.op != b.op || a.resp != b.resp {
				continue
			}
			var used, fresh decoded
			decodeFixture(a, &used)
			decodeFixture(b, &used)
			decodeFixture(b, &fresh)
			if !reflect.DeepEqual(used, fresh) {
				t.Fatalf("%s then %s differs from fresh %s", a.name, b.name, b.name)
			}
		}
	}
}

// TestStubTruncation decodes every strict prefix of every fixture: it must
// fail with a sentinel error, never panic, and the iterators must still
// stop.
func TestStubTruncation(t *testing.T) {
	for _, f := range stubFixtures() {
		for n := 0; n < len(f.b); n++ {
			g := f
			g.b = f.b[:n]
			var d decoded
			decodeFixture(g, &d)
			if d.err == nil {
				t.Fatalf("%s[:%d] of %d decoded without error", f.name, n, len(f.b))
			}
			if !errors.Is(d.err, dissect.ErrShort) && !errors.Is(d.err, dissect.ErrLength) {
				t.Fatalf("%s[:%d]: error %v", f.name, n, d.err)
			}
		}
	}
}

// TestNDR64Stubs decodes the NDR64 fixtures and checks they say what their
// NDR 2.0 twins say.
func TestNDR64Stubs(t *testing.T) {
	fx := stubFixtures()
	byName := map[string]stubFixture{}
	for _, f := range fx {
		byName[f.name] = f
	}
	for _, f := range fx {
		if f.syn != ndr.NDR64 {
			continue
		}
		twin := byName[strings.Replace(f.name, "-ndr64", "", 1)]
		var a, b decoded
		decodeFixture(f, &a)
		decodeFixture(twin, &b)
		if a.err != nil || b.err != nil {
			t.Fatalf("%s: errors %v / %v", f.name, a.err, b.err)
		}
		if len(a.entries) != len(b.entries) {
			t.Fatalf("%s: %d entries, NDR 2.0 twin %d", f.name, len(a.entries), len(b.entries))
		}
		for i := range a.entries {
			if a.entries[i] != b.entries[i] {
				t.Fatalf("%s entry %d: %q vs %q", f.name, i, a.entries[i], b.entries[i])
			}
		}
		if f.op == OpMap && !f.resp && (bindingOf(&a.mapReq.Tower) != bindingOf(&b.mapReq.Tower) || a.mapReq.MaxTowers != 4 || a.mapReq.Object != b.mapReq.Object) {
			t.Fatalf("%s: map request differs", f.name)
		}
		if f.op == OpLookup && !f.resp && (a.lookupReq.Interface != samr || a.lookupReq.MaxEnts != 500 || a.lookupReq.ObjectRef == 0) {
			t.Fatalf("%s: lookup request %+v", f.name, a.lookupReq)
		}
		for _, an := range []*dissect.Anomalies{&a.lookupResp.Anomalies, &a.mapResp.Anomalies, &a.mapReq.Anomalies, &a.lookupReq.Anomalies} {
			for i := 0; i < an.Len(); i++ {
				if k := an.At(i).Kind; k != dissect.AnomEPMStatusWithEntries {
					t.Fatalf("%s: anomaly %v", f.name, k)
				}
			}
		}
	}
}

// TestMapResponseManyTowers walks more towers than MapResponse caches, with
// a twr_t whose max_count exceeds tower_length at the last cached place.
func TestMapResponseManyTowers(t *testing.T) {
	dcetest.BothOrders(func(name string, le bool) {
		ts := mapTowers(12)
		e := dcetest.New(le).EPMHandle(0, dissect.NilUUID).U32(12).U32(12).U32(0).U32(12)
		for i := 0; i < 12; i++ {
			e.U32(uint32(3 + i))
		}
		var want []string
		for i, tw := range ts {
			if i == 7 {
				e.EPMTwrLengths(uint32(len(tw)+3), uint32(len(tw)), append(append([]byte{}, tw...), 1, 2, 3))
			} else {
				e.EPMTwr(tw)
			}
			var ti TowerInfo
			DecodeTower(tw, &ti)
			want = append(want, bindingOf(&ti).String())
		}
		e.Align(4).U32(0)
		var p MapResponse
		if _, err := p.Decode(e.B, le); err != nil {
			t.Fatal(err)
		}
		if got := walkMap(&p); !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: bindings %v, want %v", name, got, want)
		}
		if k := kindsOf(&p.Anomalies); !reflect.DeepEqual(k, []dissect.AnomalyKind{dissect.AnomTowerLength}) {
			t.Fatalf("%s: anomalies %v", name, k)
		}
	})
}
