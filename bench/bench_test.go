package bench

import (
	"runtime"
	"testing"

	"github.com/rpcwatch/rpcwatch/capture"
	"github.com/rpcwatch/rpcwatch/capture/decode"
	"github.com/rpcwatch/rpcwatch/capture/flow"
	"github.com/rpcwatch/rpcwatch/capture/tcpstream"
	"github.com/rpcwatch/rpcwatch/dissect"
	"github.com/rpcwatch/rpcwatch/dissect/detect"
	"github.com/rpcwatch/rpcwatch/dissect/event"
)

// perPacket runs pass b.N times and reports ns/packet, packets/s, MB/s
// (SetBytes: the corpus file size) and allocs/packet.
func perPacket(b *testing.B, c *corpus, pass func()) {
	b.ReportAllocs()
	b.SetBytes(int64(len(c.data)))
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		pass()
	}
	b.StopTimer()
	runtime.ReadMemStats(&m1)
	n := float64(b.N) * float64(c.packets)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/packet")
	b.ReportMetric(n/b.Elapsed().Seconds(), "packets/s")
	b.ReportMetric(float64(m1.Mallocs-m0.Mallocs)/n, "allocs/packet")
}

// BenchmarkStages measures each stage over the EPM-heavy and mixed corpora
// (gatePackets each): bare (pcapgo + DecodingLayerParser, the reference),
// read (capture/source), decode (source + capture/decode), stream (TCP
// reassembly of the decoded segments through tcpstream.Conn, one per
// conversation, with the DCE/RPC framer), dissect (CO and CL PDU decoding of
// every PDU the streams and UDP datagrams carry), detect (the detector fed
// the events the pipeline produced), pipeline (capture.Pipeline: all of the
// above plus flows, stubs, EPM and DCOM) and pipeline+detect (as rpcwatch
// read runs). Stages that take pre-decoded input (stream, dissect, detect)
// report per packet of the corpus all the same.
func BenchmarkStages(b *testing.B) {
	for _, c := range testCorpora(b) {
		for _, st := range []runner{{"bare", bareRun}, gateStages[0], gateStages[1]} {
			b.Run(c.name+"/"+st.name, func(b *testing.B) { perPacket(b, c, st.make(b, c)) })
		}
		b.Run(c.name+"/stream", func(b *testing.B) { perPacket(b, c, streamRun(b, c)) })
		b.Run(c.name+"/dissect", func(b *testing.B) { perPacket(b, c, dissectRun(b, c)) })
		b.Run(c.name+"/detect", func(b *testing.B) { perPacket(b, c, detectRun(b, c)) })
		for _, st := range gateStages[2:] {
			b.Run(c.name+"/"+st.name, func(b *testing.B) { perPacket(b, c, st.make(b, c)) })
		}
	}
}

type segRef struct {
	conn int
	side flow.Side
	seg  tcpstream.Segment
}

type pduSink struct{ pdus [][]byte }

func (s *pduSink) PDU(p *tcpstream.PDU)     { s.pdus = append(s.pdus, append([]byte(nil), p.Data...)) }
func (s *pduSink) Event(e *tcpstream.Event) {}

type nopSink struct{ n int }

func (s *nopSink) PDU(p *tcpstream.PDU)     { s.n++ }
func (s *nopSink) Event(e *tcpstream.Event) {}

func rpcFramer(b []byte) (int, error) {
	if len(b) > 0 && b[0] != 5 || len(b) > 1 && b[1] > 1 {
		return 0, dissect.ErrNotCO
	}
	n, err := dissect.PeekCO(b)
	if err == dissect.ErrShort {
		return 0, tcpstream.ErrNeedMore
	}
	return n, err
}

// segments decodes the corpus once into TCP segments per conversation and
// the UDP payloads that look like CL PDUs.
func segments(c *corpus) (segs []segRef, conns int, udp [][]byte) {
	d := decode.NewDecoder()
	var p decode.Packet
	idx := map[flow.Key]int{}
	for i := range c.frames {
		if d.Decode(decode.LinkTypeEthernet, c.frames[i].data, &p) != nil {
			continue
		}
		switch p.Proto {
		case decode.ProtoTCP:
			k, side := flow.NewKey(flow.TCP, p.Src, p.SrcPort, p.Dst, p.DstPort)
			ci, ok := idx[k]
			if !ok {
				ci = len(idx)
				idx[k] = ci
			}
			segs = append(segs, segRef{ci, side, tcpstream.Segment{Seq: p.TCP.Seq, Ack: p.TCP.Ack,
				Flags: tcpstream.Flags(p.TCP.Flags), Payload: p.Payload, Frame: uint64(i + 1), Time: c.frames[i].ts}})
		case decode.ProtoUDP:
			if len(p.Payload) >= 80 && p.Payload[0] == 4 {
				udp = append(udp, p.Payload)
			}
		}
	}
	return segs, len(idx), udp
}

func streamRun(b *testing.B, c *corpus) func() {
	segs, n, _ := segments(c)
	conns := make([]*tcpstream.Conn, n)
	for i := range conns {
		conns[i] = tcpstream.NewConn(rpcFramer, capture.DefaultConfig.Stream, flow.SideA)
	}
	var h nopSink
	return func() {
		for _, c := range conns {
			c.Reset(rpcFramer, capture.DefaultConfig.Stream, flow.SideA)
		}
		for i := range segs {
			s := &segs[i]
			conns[s.conn].Segment(s.side, &s.seg, &h)
		}
		for _, c := range conns {
			c.Flush(&h)
		}
	}
}

func dissectRun(b *testing.B, c *corpus) func() {
	segs, n, udp := segments(c)
	var sink pduSink
	for i := 0; i < n; i++ {
		conn := tcpstream.NewConn(rpcFramer, capture.DefaultConfig.Stream, flow.SideA)
		for j := range segs {
			if segs[j].conn == i {
				conn.Segment(segs[j].side, &segs[j].seg, &sink)
			}
		}
		conn.Flush(&sink)
	}
	b.Logf("%s: %d CO PDUs, %d CL PDUs", c.name, len(sink.pdus), len(udp))
	var co dissect.COPDU
	var cl dissect.CLPDU
	return func() {
		for _, p := range sink.pdus {
			_, _ = co.Decode(p)
		}
		for _, p := range udp {
			_, _ = cl.Decode(p)
		}
	}
}

func detectRun(b *testing.B, c *corpus) func() {
	var evs []event.Event
	p, err := capture.New(capture.Config{}, func(e *event.Event) { evs = append(evs, *e) })
	if err != nil {
		b.Fatal(err)
	}
	for i := range c.frames {
		p.Packet(decode.LinkTypeEthernet, c.frames[i].data, int64(i+1), c.frames[i].ts)
	}
	p.Finish()
	det := detect.New(detect.Config{}, func(*detect.Finding) {})
	return func() {
		for i := range evs {
			det.Event(&evs[i])
		}
		det.Flush()
	}
}
