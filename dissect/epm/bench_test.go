package epm

import (
	"strconv"
	"testing"

	"github.com/rpcwatch/rpcwatch/dissect/dcetest"
)

// BenchmarkMapResponse decodes ept_map responses with 1, 4 and 16 towers,
// every tower down to its protocol sequence, interface, IP address and port
// (the ≤300 ns/op target is the 4-tower case).
func BenchmarkMapResponse(b *testing.B) {
	benchMapWalk(b, walkMapAll)
}

// BenchmarkMapResponseBinding is BenchmarkMapResponse that also renders
// every tower's dissect.Binding (its address and endpoint texts).
func BenchmarkMapResponseBinding(b *testing.B) {
	benchMapWalk(b, walkMapBindings)
}

// benchMapWalk runs walk over responses of 1, 4 and 16 ncacn_ip_tcp towers
// (the shape DecodeTower's fast path takes) and of 4 ncacn_np towers (which
// take the general floor walk).
func benchMapWalk(b *testing.B, walk func([]byte, bool) int) {
	type sub struct {
		name   string
		towers [][]byte
	}
	var subs []sub
	for _, n := range []int{1, 4, 16} {
		subs = append(subs, sub{strconv.Itoa(n) + "-towers", mapTowers(n)})
	}
	np := dcetest.EPMTowerNP(netlogon, `\PIPE\lsass`, `\\DC01`)
	subs = append(subs, sub{"4-np-towers", [][]byte{np, np, np, np}})
	for _, s := range subs {
		n := len(s.towers)
		stub := mapStub(true, dcetest.EPMMapResponse{Towers: s.towers, MaxCount: uint32(n), SetMaxCount: true})
		b.Run(s.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(stub)))
			for i := 0; i < b.N; i++ {
				if walk(stub, true) != n {
					b.Fatal("short walk")
				}
			}
		})
	}
}

// BenchmarkLookupSamba38 decodes Samba's 38-entry lookup answer with every
// tower, in both byte orders.
func BenchmarkLookupSamba38(b *testing.B) {
	dcetest.BothOrders(func(name string, le bool) {
		stub := lookupStub(le, dcetest.EPMSambaLookup38())
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(stub)))
			for i := 0; i < b.N; i++ {
				if walkLookupAll(stub, le) != 38 {
					b.Fatal("short walk")
				}
			}
		})
	})
}

// BenchmarkDecodeTower decodes one tower: an ncacn_ip_tcp tower (the fast
// path), the same through the general floor walk, and an ncacn_np tower
// (which only the walk decodes).
func BenchmarkDecodeTower(b *testing.B) {
	for _, c := range []struct {
		name string
		tw   []byte
		dec  func([]byte, *TowerInfo) error
	}{
		{"tcp", dcetest.EPMTowerTCP(samr, lo, 49152), DecodeTower},
		{"tcp-walk", dcetest.EPMTowerTCP(samr, lo, 49152), DecodeTowerWalk},
		{"np", dcetest.EPMTowerNP(samr, `\PIPE\lsarpc`, `\\SRV20`), DecodeTower},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(c.tw)))
			for i := 0; i < b.N; i++ {
				c.dec(c.tw, &benchTower)
			}
		})
	}
}

// BenchmarkMapRequest decodes an ept_map request with its map tower.
func BenchmarkMapRequest(b *testing.B) {
	var f stubFixture
	for _, x := range stubFixtures() {
		if x.name == "map-request/le" {
			f = x
		}
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		benchMapReq.Decode(f.b, f.le)
	}
}
