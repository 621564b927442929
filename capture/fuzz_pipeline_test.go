package capture

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/rpcwatch/rpcwatch/capture/decode"
	"github.com/rpcwatch/rpcwatch/dissect/event"
	"github.com/rpcwatch/rpcwatch/internal/pcaptest"
)

// joinFrames packs frames as 2-byte big-endian lengths and bytes, the
// input format of FuzzPipeline.
func joinFrames(frames [][]byte) []byte {
	var b []byte
	for _, f := range frames {
		if len(f) > 0xffff {
			f = f[:0xffff]
		}
		b = binary.BigEndian.AppendUint16(b, uint16(len(f)))
		b = append(b, f...)
	}
	return b
}

// FuzzPipeline feeds arbitrary sequences of Ethernet frames through one
// small pipeline (a few flow slots, so that eviction, expiry, closed
// connections and reused Conns all happen) and checks that nothing panics
// and that the flow counters add up. Seeds: the clean and late-packet
// conversations of closed_test.go and the frames of the bundled Samba
// capture.
func FuzzPipeline(f *testing.F) {
	clean := closedConversation(f, 100)
	f.Add(joinFrames(clean))
	f.Add(joinFrames(append(append([][]byte{}, clean...), closedConversation(f, 5000)...)))
	if frames, _ := pcaptest.Frames(f, "../testdata/samba-epm-loopback.pcap"); len(frames) > 0 {
		var fs [][]byte
		for _, fr := range frames[:min(len(frames), 120)] {
			fs = append(fs, fr.Data)
		}
		f.Add(joinFrames(fs))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := New(Config{MaxFlows: 3, FlowIdle: time.Second}, func(*event.Event) {})
		if err != nil {
			t.Fatal(err)
		}
		ts := time.Unix(1700000000, 0)
		for n := int64(1); len(b) >= 2; n++ {
			l := int(binary.BigEndian.Uint16(b))
			b = b[2:]
			if l > len(b) {
				l = len(b)
			}
			// every third frame jumps 700 ms, so that flows expire too
			if n%3 == 0 {
				ts = ts.Add(700 * time.Millisecond)
			}
			p.Packet(decode.LinkTypeEthernet, b[:l], n, ts)
			b = b[l:]
		}
		st := p.Finish()
		fl := st.Flows
		if left := fl.Expired + fl.Evicted + fl.Removed + fl.Flushed; left != fl.Created {
			t.Fatalf("flows created %d, left %d: %+v", fl.Created, left, fl)
		}
		if n := len(p.w.connFree); n > 3 {
			t.Fatalf("%d Conns on the free list with 3 flow slots", n)
		}
	})
}
