package epm_test

import (
	"net/netip"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/rpcwatch/rpcwatch/dissect"
	"github.com/rpcwatch/rpcwatch/dissect/dcetest"
	"github.com/rpcwatch/rpcwatch/dissect/epm"
	"github.com/rpcwatch/rpcwatch/dissect/ndr"
	"github.com/rpcwatch/rpcwatch/internal/pcaptest"
)

// Fuzz inputs for the stub decoders are one flags byte (bit 0: little
// endian, bit 1: NDR64) followed by the stub.

func flagsOf(le bool, syn ndr.Syntax) byte {
	var f byte
	if le {
		f |= 1
	}
	if syn == ndr.NDR64 {
		f |= 2
	}
	return f
}

func splitInput(data []byte) (stub []byte, le bool, syn ndr.Syntax, ok bool) {
	if len(data) < 1 {
		return nil, false, 0, false
	}
	syn = ndr.NDR20
	if data[0]&2 != 0 {
		syn = ndr.NDR64
	}
	return data[1:], data[0]&1 != 0, syn, true
}

var (
	fzSamr = dissect.SyntaxID{UUID: dissect.MustParseUUID("12345778-1234-abcd-ef00-0123456789ac"), Major: 1}
	fzLo   = netip.MustParseAddr("127.0.0.1")
)

func fzTowers() [][]byte {
	return [][]byte{
		dcetest.EPMTowerTCP(fzSamr, fzLo, 49152),
		dcetest.EPMTowerUDP(fzSamr, netip.MustParseAddr("157.61.239.5"), 1039),
		dcetest.EPMTowerNP(fzSamr, `\pipe\lsarpc`, `\\SRV`),
		dcetest.EPMTowerLRPC(fzSamr, "rpcd_lsad"),
		dcetest.EPMTowerHTTP(fzSamr, netip.IPv4Unspecified(), 593),
		dcetest.EPMTower(dcetest.EPMFloorSyntax(fzSamr), dcetest.EPMFloorSyntax(dcetest.EPMNDR20),
			dcetest.EPMFloorRPC(dcetest.EPMProtoRPCCL, 0), dcetest.EPMFloorPort(dcetest.EPMProtoUDP, 1039),
			dcetest.EPMFloorRaw(dcetest.EPMProtoIP, []byte{157, 61, 239, 61, 157, 61, 239, 5})),
	}
}

// realCalls returns the EPM stubs of the shared captures, or nothing when
// they are absent (the fuzz targets then start from the built fixtures).
func realCalls(tb testing.TB) []epmCall {
	dir, ok := pcaptest.FindDir()
	if !ok {
		return nil
	}
	var out []epmCall
	for _, f := range []string{"samba-epm-loopback.pcap", "sbousseaden-Discovery_impacket_rpcdump.pcapng",
		"zeek-dce-rpc-mapi.pcap", "SYNTHETIC-udp-epm-lookup-corrupt-floor.pcap", "scapy-dcerpc_msnrpc.pcapng",
		"otrf-empire_psexec_dcerpc_tcp_svcctl_WORKSTATION6.cap"} {
		out = append(out, epmCalls(tb, filepath.Join(dir, f))...)
	}
	return out
}

// maxSeed keeps very large real stubs (rpcdump's 346-entry answer is
// 40 KB) out of the corpus: the fuzzer mutates small inputs far better.
const maxSeed = 6000

// addCalls seeds f with up to 16 real stubs of one operation and direction.
func addCalls(f *testing.F, op epm.Opnum, resp bool) {
	n := 0
	for _, c := range realCalls(f) {
		if epm.Opnum(c.opnum) == op && c.resp == resp && n < 16 && len(c.stub) <= maxSeed {
			f.Add(append([]byte{flagsOf(c.le, c.syn)}, c.stub...))
			n++
		}
	}
}

func FuzzTower(f *testing.F) {
	for _, t := range fzTowers() {
		f.Add(t)
	}
	for _, c := range realCalls(f) {
		if !c.resp || epm.Opnum(c.opnum) != epm.OpMap {
			continue
		}
		var p epm.MapResponse
		p.DecodeSyntax(c.stub, c.le, c.syn)
		var it epm.TowerIter
		for it.Reset(&p); it.Next(); {
			f.Add(append([]byte(nil), it.Tower().Tower.Octets...))
		}
	}
	seed := fzTowers()[0]
	f.Fuzz(func(t *testing.T, data []byte) {
		var fresh, used epm.TowerInfo
		errFresh := epm.DecodeTower(data, &fresh)
		epm.DecodeTower(seed, &used)
		errUsed := epm.DecodeTower(data, &used)
		if errFresh != errUsed || !reflect.DeepEqual(fresh, used) {
			t.Fatal("decoding into a used TowerInfo differs from a fresh decode")
		}
		var walk epm.TowerInfo
		if errWalk := epm.DecodeTowerWalk(data, &walk); errWalk != errFresh || !reflect.DeepEqual(walk, fresh) {
			t.Fatal("DecodeTower's fast path differs from the floor walk")
		}
		if fresh.Floors > len(data)/4+1 {
			t.Fatalf("%d floors from %d octets", fresh.Floors, len(data))
		}
		for i := 0; i < fresh.Anomalies.Len(); i++ {
			if a := fresh.Anomalies.At(i); a.Off < 0 || a.Off > len(data) {
				t.Fatalf("anomaly %v at %d outside %d octets", a.Kind, a.Off, len(data))
			}
		}
		var it epm.FloorIter
		var itAn dissect.Anomalies
		n := 0
		for it.Reset(data, &itAn); it.Next(); n++ {
			fl := it.Floor()
			if fl.RHSOff+len(fl.RHS) > len(data) {
				t.Fatal("floor past the octets")
			}
			if n < epm.MaxFloors && fl.Protocol != fresh.Protocols[n] {
				t.Fatalf("floor %d: iterator %v, DecodeTower %v", n, fl.Protocol, fresh.Protocols[n])
			}
		}
		if n != fresh.Floors || (it.Err() == nil) != (errFresh == nil) {
			t.Fatalf("iterator %d floors (err %v), DecodeTower %d (err %v)", n, it.Err(), fresh.Floors, errFresh)
		}
		// DecodeTower walks the floors itself: every structural anomaly the
		// iterator finds must be among its own.
		if fresh.Anomalies.Dropped == 0 {
			for i := 0; i < itAn.Len(); i++ {
				want, found := itAn.At(i), false
				for j := 0; j < fresh.Anomalies.Len(); j++ {
					found = found || fresh.Anomalies.At(j) == want
				}
				if !found {
					t.Fatalf("iterator anomaly %+v missing from DecodeTower's", want)
				}
			}
		}
		// Binding overwrites every field of a used Binding and agrees with
		// the decoded values.
		var b, bUsed dissect.Binding
		fresh.Binding(&b)
		var seedInfo epm.TowerInfo
		epm.DecodeTower(seed, &seedInfo)
		seedInfo.Binding(&bUsed)
		fresh.Binding(&bUsed)
		if b != bUsed {
			t.Fatal("Binding into a used Binding differs from a fresh one")
		}
		if b.Protseq != fresh.Protseq || b.IP != fresh.IP || b.Port != fresh.Port || b.HasPort != fresh.HasPort ||
			(fresh.IP.IsValid() && b.Addr.String() != fresh.IP.String()) {
			t.Fatalf("binding %v disagrees with the tower's values", b)
		}
		_ = b.AppendTo(nil)
	})
}

func FuzzLookupResponse(f *testing.F) {
	for _, le := range []bool{true, false} {
		for _, syn := range []ndr.Syntax{ndr.NDR20, ndr.NDR64} {
			r := dcetest.EPMSambaLookup38()
			r.NDR64 = syn == ndr.NDR64
			f.Add(append([]byte{flagsOf(le, syn)}, dcetest.New(le).EPMLookupResponse(r).B...))
			r = dcetest.EPMLookupResponse{NDR64: r.NDR64, Entries: []dcetest.EPMEntry{{Annotation: "x"},
				{Tower: fzTowers()[5], Annotation: "fused"}}, Status: 0x16c9a0d6}
			f.Add(append([]byte{flagsOf(le, syn)}, dcetest.New(le).EPMLookupResponse(r).B...))
		}
	}
	addCalls(f, epm.OpLookup, true)
	seed := dcetest.New(true).EPMLookupResponse(dcetest.EPMSambaLookup38()).B
	f.Fuzz(func(t *testing.T, data []byte) {
		stub, le, syn, ok := splitInput(data)
		if !ok {
			return
		}
		var fresh, used epm.LookupResponse
		nf, ef := fresh.DecodeSyntax(stub, le, syn)
		used.Decode(seed, true)
		nu, eu := used.DecodeSyntax(stub, le, syn)
		if nf != nu || ef != eu || !reflect.DeepEqual(fresh, used) {
			t.Fatal("decoding into a used LookupResponse differs from a fresh decode")
		}
		if nf > len(stub) {
			t.Fatalf("consumed %d of %d", nf, len(stub))
		}
		var it epm.EntryIter
		n := 0
		for it.Reset(&fresh); it.Next(); n++ {
			e := it.Entry()
			if e.HasTower && e.Tower.Off+len(e.Tower.Octets) > len(stub) {
				t.Fatal("tower past the stub")
			}
		}
		if n > len(stub)/28 {
			t.Fatalf("%d entries from %d bytes", n, len(stub))
		}
	})
}

func FuzzMapResponse(f *testing.F) {
	for _, le := range []bool{true, false} {
		for _, syn := range []ndr.Syntax{ndr.NDR20, ndr.NDR64} {
			r := dcetest.EPMMapResponse{Towers: fzTowers(), NDR64: syn == ndr.NDR64}
			f.Add(append([]byte{flagsOf(le, syn)}, dcetest.New(le).EPMMapResponse(r).B...))
			r = dcetest.EPMMapResponse{Towers: [][]byte{nil, fzTowers()[0]}, NDR64: syn == ndr.NDR64, Status: 0x16c9a0d6}
			f.Add(append([]byte{flagsOf(le, syn)}, dcetest.New(le).EPMMapResponse(r).B...))
		}
	}
	addCalls(f, epm.OpMap, true)
	seed := dcetest.New(true).EPMMapResponse(dcetest.EPMMapResponse{Towers: fzTowers()}).B
	f.Fuzz(func(t *testing.T, data []byte) {
		stub, le, syn, ok := splitInput(data)
		if !ok {
			return
		}
		var fresh, used epm.MapResponse
		nf, ef := fresh.DecodeSyntax(stub, le, syn)
		used.Decode(seed, true)
		nu, eu := used.DecodeSyntax(stub, le, syn)
		if nf != nu || ef != eu || !reflect.DeepEqual(fresh, used) {
			t.Fatal("decoding into a used MapResponse differs from a fresh decode")
		}
		if nf > len(stub) {
			t.Fatalf("consumed %d of %d", nf, len(stub))
		}
		var it epm.TowerIter
		n := 0
		for it.Reset(&fresh); it.Next(); n++ {
			m := it.Tower()
			if m.HasTower && m.Tower.Off+len(m.Tower.Octets) > len(stub) {
				t.Fatal("tower past the stub")
			}
		}
		if n > len(stub)/4 {
			t.Fatalf("%d towers from %d bytes", n, len(stub))
		}
	})
}

func FuzzMapRequest(f *testing.F) {
	obj := dissect.MustParseUUID("a8e0653c-2744-4389-a61d-7373df8b2292")
	for _, le := range []bool{true, false} {
		for _, syn := range []ndr.Syntax{ndr.NDR20, ndr.NDR64} {
			q := dcetest.EPMMapRequest{Object: &obj, Tower: dcetest.EPMTowerTCP(fzSamr, netip.IPv4Unspecified(), 135),
				MaxTowers: 4, NDR64: syn == ndr.NDR64}
			f.Add(append([]byte{flagsOf(le, syn)}, dcetest.New(le).EPMMapRequest(q).B...))
			q = dcetest.EPMMapRequest{MaxTowers: 1, NDR64: syn == ndr.NDR64}
			f.Add(append([]byte{flagsOf(le, syn)}, dcetest.New(le).EPMMapRequest(q).B...))
		}
	}
	addCalls(f, epm.OpMap, false)
	seed := dcetest.New(true).EPMMapRequest(dcetest.EPMMapRequest{Object: &obj, Tower: fzTowers()[2], MaxTowers: 4}).B
	f.Fuzz(func(t *testing.T, data []byte) {
		stub, le, syn, ok := splitInput(data)
		if !ok {
			return
		}
		var fresh, used epm.MapRequest
		nf, ef := fresh.DecodeSyntax(stub, le, syn)
		used.Decode(seed, true)
		nu, eu := used.DecodeSyntax(stub, le, syn)
		if nf != nu || ef != eu || !reflect.DeepEqual(fresh, used) {
			t.Fatal("decoding into a used MapRequest differs from a fresh decode")
		}
		if nf > len(stub) || (fresh.HasTower && fresh.Tower.Off+len(fresh.Tower.Octets) > len(stub)) {
			t.Fatalf("consumed %d of %d", nf, len(stub))
		}
		// The lookup request and handle-free decoders share the input.
		var lq epm.LookupRequest
		if n, _ := lq.DecodeSyntax(stub, le, syn); n > len(stub) {
			t.Fatal("lookup request past the stub")
		}
		var hf epm.LookupHandleFreeResponse
		if n, _ := hf.Decode(stub, le); n > len(stub) {
			t.Fatal("handle free past the stub")
		}
	})
}
