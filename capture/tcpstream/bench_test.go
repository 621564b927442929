package tcpstream

import (
	"math/rand"
	"strconv"
	"testing"

	"github.com/rpcwatch/rpcwatch/capture/flow"
)

func BenchmarkStream(b *testing.B) {
	patterns := []struct {
		name  string
		split func(p []byte, off int) []tseg
	}{
		{"fast-path-1-PDU-per-segment", whole},
		{"split-over-3-segments", thirds},
		{"split-reordered", thirdsReordered},
	}
	for _, size := range []int{64, 1024, 4280} {
		pdus := genDCEPDUs(rand.New(rand.NewSource(1)), 16, size, size, true)
		for _, pt := range patterns {
			b.Run(pt.name+"/pdu="+strconv.Itoa(size), func(b *testing.B) {
				var h counter
				fd := newFeeder(dceFramer, Limits{}, pdus, pt.split, &h)
				fd.round()
				b.SetBytes(int64(fd.span))
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					fd.round()
				}
				b.ReportMetric(float64(len(fd.segs)), "segments/op")
			})
		}
	}
	b.Run("lost-and-resync/pdu=1024", func(b *testing.B) {
		pdus := genDCEPDUs(rand.New(rand.NewSource(1)), 16, 1024, 1024, true)
		var h counter
		fd := newFeeder(dceFramer, Limits{}, pdus, func(p []byte, off int) []tseg {
			s := thirds(p, off)
			if off%4096 == 0 {
				return []tseg{s[0], s[2]}
			}
			return s
		}, &h)
		b.SetBytes(int64(fd.span))
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			fd.round()
			fd.s.Ack(fd.isn+fd.base, &h)
		}
		st := fd.s.Stats()
		b.ReportMetric(float64(st.Gaps)/float64(b.N), "gaps/op")
	})
}

func BenchmarkConnLifecycle(b *testing.B) {
	req, resp := dcePair(1, true)
	var h counter
	c := NewConn(dceFramer, Limits{}, flow.SideB)
	var seg Segment
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		c.Reset(dceFramer, Limits{}, flow.SideB)
		cs, ss := uint32(i), uint32(7*i)
		seg = Segment{Seq: cs, Flags: SYN}
		c.Segment(flow.SideA, &seg, &h)
		seg = Segment{Seq: ss, Ack: cs + 1, Flags: SYN | ACK}
		c.Segment(flow.SideB, &seg, &h)
		seg = Segment{Seq: cs + 1, Ack: ss + 1, Flags: ACK | PSH, Payload: req}
		c.Segment(flow.SideA, &seg, &h)
		seg = Segment{Seq: ss + 1, Ack: cs + 1 + uint32(len(req)), Flags: ACK | PSH, Payload: resp}
		c.Segment(flow.SideB, &seg, &h)
		seg = Segment{Seq: cs + 1 + uint32(len(req)), Flags: ACK | FIN}
		c.Segment(flow.SideA, &seg, &h)
		seg = Segment{Seq: ss + 1 + uint32(len(resp)), Flags: ACK | FIN}
		c.Segment(flow.SideB, &seg, &h)
	}
}
