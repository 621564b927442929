package epm

import (
	"net/netip"
	"testing"

	"github.com/rpcwatch/rpcwatch/dissect"
	"github.com/rpcwatch/rpcwatch/dissect/dcetest"
)

var (
	sinkInt     int
	sinkBinding dissect.Binding
	sinkUUID    dissect.UUID
	sinkIP      netip.Addr
	sinkBuf     []byte
	sinkErr     error
)

// Decoders and iterators reused across runs, as a caller would keep them.
var (
	benchLookup   LookupResponse
	benchMap      MapResponse
	benchMapReq   MapRequest
	benchLookReq  LookupRequest
	benchEntries  EntryIter
	benchTowers   TowerIter
	benchTower    TowerInfo
	benchFloors   FloorIter
	benchFreeReq  LookupHandleFreeRequest
	benchFreeResp LookupHandleFreeResponse
)

// walkMapAll decodes a map response and every tower down to its protocol
// sequence, interface, IP address and port.
func walkMapAll(stub []byte, le bool) int {
	n := 0
	benchMap.Decode(stub, le)
	for benchTowers.Reset(&benchMap); benchTowers.Next(); {
		t := &benchTowers.Tower().Tower
		sinkInt += int(t.Port) + int(t.Protseq) + int(t.Interface.Major)
		sinkUUID, sinkIP = t.Interface.UUID, t.IP
		n++
	}
	return n
}

// walkMapBindings is walkMapAll that also renders every tower's Binding.
func walkMapBindings(stub []byte, le bool) int {
	n := 0
	benchMap.Decode(stub, le)
	for benchTowers.Reset(&benchMap); benchTowers.Next(); {
		t := &benchTowers.Tower().Tower
		t.Binding(&sinkBinding)
		sinkInt += int(sinkBinding.Port) + sinkBinding.Addr.Len() + sinkBinding.Endpoint.Len()
		n++
	}
	return n
}

// walkLookupAll decodes a lookup response and every entry's tower.
func walkLookupAll(stub []byte, le bool) int {
	n := 0
	benchLookup.Decode(stub, le)
	for benchEntries.Reset(&benchLookup); benchEntries.Next(); {
		sinkInt += int(benchEntries.Entry().Tower.Port)
		n++
	}
	return n
}

// TestNoAllocs checks every decoder, iterator and the binding rendering
// with testing.AllocsPerRun.
func TestNoAllocs(t *testing.T) {
	fx := stubFixtures()
	get := func(name string) stubFixture {
		for _, f := range fx {
			if f.name == name {
				return f
			}
		}
		t.Fatalf("no fixture %s", name)
		return stubFixture{}
	}
	samba, map4, mapFused := get("samba38/be"), get("map-4/le"), get("map-fused/be")
	mapReq, lookReq := get("map-request/le"), get("lookup-request/be")
	tcp := dcetest.EPMTowerTCP(samr, lo, 49152)
	fused := mapTowers(1)[0]
	free := dcetest.New(true).EPMHandle(0, dissect.NilUUID).U32(0).B
	buf := make([]byte, 0, 128)
	tests := []struct {
		name string
		fn   func()
	}{
		{"lookup-response-38-full-walk", func() { sinkInt = walkLookupAll(samba.b, samba.le) }},
		{"map-response-4-full-walk", func() { sinkInt = walkMapAll(map4.b, map4.le) }},
		{"map-response-fused", func() { sinkInt = walkMapAll(mapFused.b, mapFused.le) }},
		{"map-response-4-bindings", func() { sinkInt = walkMapBindings(map4.b, map4.le) }},
		{"map-response-fused-bindings", func() { sinkInt = walkMapBindings(mapFused.b, mapFused.le) }},
		{"map-request", func() { sinkInt, sinkErr = benchMapReq.Decode(mapReq.b, mapReq.le) }},
		{"lookup-request", func() { sinkInt, sinkErr = benchLookReq.Decode(lookReq.b, lookReq.le) }},
		{"lookup-handle-free", func() {
			benchFreeReq.Decode(free[:20], true)
			sinkInt, sinkErr = benchFreeResp.Decode(free, true)
		}},
		{"decode-tower", func() { sinkErr = DecodeTower(tcp, &benchTower) }},
		{"floor-iter", func() {
			for benchFloors.Reset(fused, &benchTower.Anomalies); benchFloors.Next(); {
				sinkInt += len(benchFloors.Floor().RHS)
			}
		}},
		{"binding-render", func() {
			DecodeTower(tcp, &benchTower)
			benchTower.Binding(&sinkBinding)
			sinkBuf = sinkBinding.AppendTo(buf[:0])
		}},
		{"truncated-lookup", func() { sinkInt = walkLookupAll(samba.b[:len(samba.b)/2], samba.le) }},
		{"names", func() {
			sinkInt = len(ProtoTCP.String()) + len(StatusNotRegistered.String()) + len(OpMap.String()) +
				len(InquiryAll.String()) + len(VersAll.String())
		}},
	}
	for _, tt := range tests {
		if n := testing.AllocsPerRun(50, tt.fn); n != 0 {
			t.Errorf("%s: %v allocs per run, want 0", tt.name, n)
		}
	}
}
