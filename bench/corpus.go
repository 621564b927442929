package bench

import (
	"bufio"
	"encoding/binary"
	"io"
	"time"
)

// Spec says what corpus to build.
type Spec struct {
	Name     string
	Packets  int     // target size; whole seed copies, so the result is within one seed of it
	RPCShare float64 // share of packets taken from the RPC seeds
}

// The two corpora of issue 6, at the README's size; CI sets Packets lower.
var (
	EPMHeavy = Spec{Name: "epm", Packets: 1_000_000, RPCShare: 0.9}
	Mixed    = Spec{Name: "mixed", Packets: 1_000_000, RPCShare: 0.1}
)

// Kinds lists the corpora by name.
var Kinds = map[string]Spec{"epm": EPMHeavy, "mixed": Mixed}

// Start is the capture time of a corpus's first frame.
var Start = time.Date(2024, 6, 3, 8, 0, 0, 0, time.UTC)

// copyGap separates the last frame of one copy from the first of the next.
const copyGap = time.Millisecond

// Stats describes a built corpus.
type Stats struct {
	Packets, RPCPackets int
	Bytes               int64 // file size
	Copies              map[string]int
}

// Build writes the corpus spec asks for as a classic pcap file (Ethernet,
// microsecond timestamps) to w. The output depends only on the seeds and
// spec.
func Build(w io.Writer, rpc, other []*Seed, spec Spec) (Stats, error) {
	st := Stats{Copies: map[string]int{}}
	bw := bufio.NewWriterSize(w, 1<<20)
	var hdr [24]byte
	binary.LittleEndian.PutUint32(hdr[0:], 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(hdr[4:], 2)
	binary.LittleEndian.PutUint16(hdr[6:], 4)
	binary.LittleEndian.PutUint32(hdr[16:], 262144)
	binary.LittleEndian.PutUint32(hdr[20:], 1)
	bw.Write(hdr[:])
	st.Bytes = 24
	clock := Start
	copies := map[*Seed]int{}
	var ri, oi int
	buf := make([]byte, 0, 1<<16)
	var rec [16]byte
	for st.Packets < spec.Packets {
		var s *Seed
		if len(other) == 0 || (len(rpc) > 0 && float64(st.RPCPackets) < spec.RPCShare*float64(st.Packets+1)) {
			s = rpc[ri%len(rpc)]
			ri++
		} else {
			s = other[oi%len(other)]
			oi++
		}
		c := copies[s]
		copies[s]++
		st.Copies[s.Name]++
		shift := clock.Sub(s.Frames[0].Time)
		for i := range s.Frames {
			f := &s.Frames[i]
			buf = append(buf[:0], f.Data...)
			rewrite(buf, f, c)
			ts := f.Time.Add(shift)
			binary.LittleEndian.PutUint32(rec[0:], uint32(ts.Unix()))
			binary.LittleEndian.PutUint32(rec[4:], uint32(ts.Nanosecond()/1000))
			binary.LittleEndian.PutUint32(rec[8:], uint32(len(buf)))
			binary.LittleEndian.PutUint32(rec[12:], uint32(max(f.OrigLen, len(buf))))
			bw.Write(rec[:])
			bw.Write(buf)
			st.Bytes += int64(16 + len(buf))
		}
		st.Packets += len(s.Frames)
		if s.RPC {
			st.RPCPackets += len(s.Frames)
		}
		clock = clock.Add(s.Span() + copyGap)
	}
	return st, bw.Flush()
}
