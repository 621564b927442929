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

// BenchmarkConnChurn is BenchmarkConnLifecycle the way a flow table runs
// it: many pooled Conns, each flushed, counted and reset when its slot is
// reused for a new conversation (handshake, request, response, ACKs, FINs),
// so that every Conn is cold when its turn comes. It measures the per-flow
// set-up and teardown cost that the single hot Conn of
// BenchmarkConnLifecycle hides. One op is one conversation (10 segments).
func BenchmarkConnChurn(b *testing.B) {
	for _, n := range []int{64, 4096} {
		b.Run("conns="+strconv.Itoa(n), func(b *testing.B) {
			req, resp := dcePair(1, true)
			var h counter
			pool := NewPool(0)
			conns := make([]*Conn, n)
			for i := range conns {
				conns[i] = NewConn(dceFramer, Limits{}, flow.SideB)
				conns[i].SetPool(pool)
			}
			var seg Segment
			var sink uint64
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				c := conns[i%n]
				c.Flush(&h)
				sink += c.Stats().Bytes
				c.Reset(dceFramer, Limits{}, flow.SideB)
				cs, ss := uint32(i), uint32(7*i)
				ce, se := cs+1+uint32(len(req)), ss+1+uint32(len(resp))
				seg = Segment{Seq: cs, Flags: SYN}
				c.Segment(flow.SideA, &seg, &h)
				seg = Segment{Seq: ss, Ack: cs + 1, Flags: SYN | ACK}
				c.Segment(flow.SideB, &seg, &h)
				seg = Segment{Seq: cs + 1, Ack: ss + 1, Flags: ACK}
				c.Segment(flow.SideA, &seg, &h)
				seg = Segment{Seq: cs + 1, Ack: ss + 1, Flags: ACK | PSH, Payload: req}
				c.Segment(flow.SideA, &seg, &h)
				seg = Segment{Seq: ss + 1, Ack: ce, Flags: ACK | PSH, Payload: resp}
				c.Segment(flow.SideB, &seg, &h)
				seg = Segment{Seq: ce, Ack: se, Flags: ACK}
				c.Segment(flow.SideA, &seg, &h)
				seg = Segment{Seq: ce, Ack: se, Flags: ACK | FIN}
				c.Segment(flow.SideA, &seg, &h)
				seg = Segment{Seq: se, Ack: ce + 1, Flags: ACK}
				c.Segment(flow.SideB, &seg, &h)
				seg = Segment{Seq: se, Ack: ce + 1, Flags: ACK | FIN}
				c.Segment(flow.SideB, &seg, &h)
				seg = Segment{Seq: ce + 1, Ack: se + 1, Flags: ACK}
				c.Segment(flow.SideA, &seg, &h)
			}
			if h.pdus != 2*b.N {
				b.Fatalf("%d PDUs for %d conversations", h.pdus, b.N)
			}
			_ = sink
		})
	}
}
