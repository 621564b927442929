package names

import (
	"encoding/binary"
	"slices"
	"testing"

	"github.com/rpcwatch/rpcwatch/dissect"
)

// sortedIndex is the alternative to the byUUID map that the package
// documentation says was measured: the table sorted by UUID, searched by
// comparing the UUID as two big-endian uint64 halves.
type sortedKey struct {
	hi, lo uint64
	e      *iface
}

func buildSorted() []sortedKey {
	keys := make([]sortedKey, 0, len(byUUID))
	for u, e := range byUUID {
		keys = append(keys, sortedKey{binary.BigEndian.Uint64(u[:8]), binary.BigEndian.Uint64(u[8:]), e})
	}
	slices.SortFunc(keys, func(a, b sortedKey) int {
		switch {
		case a.hi < b.hi:
			return -1
		case a.hi > b.hi:
			return 1
		case a.lo < b.lo:
			return -1
		case a.lo > b.lo:
			return 1
		}
		return 0
	})
	return keys
}

func lookupSorted(keys []sortedKey, u dissect.UUID) *iface {
	hi, lo := binary.BigEndian.Uint64(u[:8]), binary.BigEndian.Uint64(u[8:])
	i, j := 0, len(keys)
	for i < j {
		h := int(uint(i+j) >> 1)
		k := &keys[h]
		if k.hi < hi || (k.hi == hi && k.lo < lo) {
			i = h + 1
		} else {
			j = h
		}
	}
	if i < len(keys) && keys[i].hi == hi && keys[i].lo == lo {
		return keys[i].e
	}
	return nil
}

func TestSortedIndexAgrees(t *testing.T) {
	keys := buildSorted()
	for u, e := range byUUID {
		if got := lookupSorted(keys, u); got != e {
			t.Fatalf("%s: sorted index disagrees", u)
		}
	}
	if lookupSorted(keys, dissect.NilUUID) != nil {
		t.Fatal("nil UUID found")
	}
}

// benchUUIDs mixes every known UUID with as many unknown ones, so both the
// hit and the miss path are measured and branch prediction cannot learn a
// single key.
func benchUUIDs() []dissect.UUID {
	var us []dissect.UUID
	for u := range byUUID {
		us = append(us, u)
		u[15] ^= 0x5a
		us = append(us, u)
	}
	return us
}

func BenchmarkInterface(b *testing.B) {
	us := benchUUIDs()
	b.Run("map", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			sinkString, sinkBool = Interface(us[i%len(us)])
		}
	})
	b.Run("sorted", func(b *testing.B) {
		keys := buildSorted()
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			e := lookupSorted(keys, us[i%len(us)])
			sinkBool = e != nil
		}
	})
	b.Run("map/epm", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sinkString, sinkBool = Interface(dissect.EPMv4)
		}
	})
}

func BenchmarkOpnum(b *testing.B) {
	us := benchUUIDs()
	b.Run("mixed", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			sinkString, sinkBool = Opnum(us[i%len(us)], uint16(i%40))
		}
	})
	b.Run("epm/ept_map", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sinkString, sinkBool = Opnum(dissect.EPMv4, 3)
		}
	})
}

func BenchmarkByName(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		sinkUUID, sinkBool = ByName("IObjectExporter")
	}
}
