package ipfrag

import (
	"net/netip"
	"testing"
	"time"

	"github.com/rpcwatch/rpcwatch/capture/decode"
)

// fuzzByte is the content of byte pos of datagram k; salt 1 gives a
// different byte at every position (a conflicting overlap).
func fuzzByte(k, pos, salt int) byte { return byte(k*31+pos*7+pos>>8) + byte(salt*0x55) }

// FuzzIPFrag interprets data as a sequence of 5-byte fragment operations:
//
//	byte 0: bit 0 IPv6, bit 1 more-fragments, bits 2-3 datagram (0-3),
//	        bit 4 conflicting content, bits 5-7 capture time step (x5 s)
//	bytes 1-2: offset in 8-byte units (big-endian, mod 600)
//	bytes 3-4: length (big-endian, mod 2048)
//
// and checks the bounds, the counters and, for datagrams that never got
// conflicting content, the reassembled bytes.
func FuzzIPFrag(f *testing.F) {
	// In-order and reversed three-fragment datagrams, an overlap, a duplicate.
	f.Add([]byte{0x02, 0, 0, 0x05, 0xc8, 0x02, 0, 185, 0x05, 0xc8, 0x00, 1, 114, 0, 40})
	f.Add([]byte{0x01, 1, 114, 0, 40, 0x03, 0, 185, 0x05, 0xc8, 0x03, 0, 0, 0x05, 0xc8})
	f.Add([]byte{0x02, 0, 0, 0x05, 0xc8, 0x12, 0, 10, 0x01, 0x00, 0x02, 0, 0, 0x05, 0xc8, 0x00, 0, 185, 0, 8})
	f.Add([]byte{0x06, 0, 0, 0x00, 0x10, 0x0a, 0, 0, 0x00, 0x10, 0x0e, 0, 0, 0x00, 0x10, 0x02, 0, 0, 0x00, 0x10, 0xe4, 0, 2, 0, 8})
	const (
		maxDG    = 3
		maxBytes = 4096
		maxTotal = 10000
	)
	keys := [2][4][2]netip.Addr{}
	for k := 0; k < 4; k++ {
		keys[0][k] = [2]netip.Addr{netip.AddrFrom4([4]byte{10, 0, 0, byte(k)}), netip.AddrFrom4([4]byte{10, 0, 1, 1})}
		keys[1][k] = [2]netip.Addr{netip.AddrFrom16([16]byte{0xfd, 15: byte(k)}), netip.AddrFrom16([16]byte{0xfd, 14: 1, 15: 1})}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := New(Config{MaxDatagrams: maxDG, MaxDatagramBytes: maxBytes, MaxTotalBytes: maxTotal, Timeout: 20 * time.Second})
		var conflicted [2][4]bool
		now := t0
		buf := make([]byte, 2048)
		for i := 0; i+5 <= len(data) && i < 5*300; i += 5 {
			op := data[i]
			v6, more, k, salt := int(op&1), op&2 != 0, int(op>>2&3), int(op>>4&1)
			now = now.Add(time.Duration(op>>5) * 5 * time.Second)
			off := (int(data[i+1])<<8 | int(data[i+2])) % 600 * 8
			n := (int(data[i+3])<<8 | int(data[i+4])) % 2048
			if salt == 1 {
				conflicted[v6][k] = true
			}
			payload := buf[:n]
			for j := range payload {
				payload[j] = fuzzByte(k, off+j, salt)
			}
			p := &decode.Packet{Net: decode.NetIPv4, Src: keys[v6][k][0], Dst: keys[v6][k][1], IPProto: 17,
				Proto: decode.ProtoFragment, Frag: decode.Frag{ID: uint32(k), Offset: off, More: more},
				Payload: payload, PayloadLen: n}
			if v6 == 1 {
				p.Net = decode.NetIPv6
			}
			dg, ok := r.Add(p, i/5+1, now)
			st := r.Stats()
			if st.InProgress < 0 || st.InProgress > maxDG || st.BytesHeld > maxTotal || st.BytesHeld < 0 {
				t.Fatalf("op %d: bounds broken: %+v", i/5, st)
			}
			if !ok {
				continue
			}
			if len(dg.Data) == 0 || len(dg.Data) > maxBytes || dg.Src != p.Src || dg.ID != uint32(k) || dg.LastFrame != i/5+1 ||
				dg.FirstFrame > dg.LastFrame || dg.Fragments < 1 {
				t.Fatalf("op %d: bad datagram %+v (%d bytes)", i/5, dg, len(dg.Data))
			}
			if !conflicted[v6][k] {
				if dg.Overlap {
					t.Fatalf("op %d: overlap flagged without conflicting content", i/5)
				}
				for j, c := range dg.Data {
					if c != fuzzByte(k, j, 0) {
						t.Fatalf("op %d: byte %d is %#x, want %#x", i/5, j, c, fuzzByte(k, j, 0))
					}
				}
			}
		}
		st := r.Stats()
		if st.Completed+st.Duplicates+st.Overlaps+st.Malformed+st.Truncated+st.TooBig > st.Fragments*2 {
			t.Fatalf("counters inconsistent: %+v", st)
		}
	})
}
