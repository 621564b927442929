package bench

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/rpcwatch/rpcwatch/capture/source"
)

func loadSeeds(t testing.TB) (rpc, other []*Seed) {
	t.Helper()
	root, shared, err := Dirs()
	if err != nil {
		t.Fatal(err)
	}
	if shared == "" {
		t.Log("shared captures not found: testdata seeds and synthetic non-RPC traffic only")
	}
	rpc, other, err = LoadSeeds(root, shared)
	if err != nil {
		t.Fatal(err)
	}
	return rpc, other
}

// buildCorpus builds a corpus in memory.
func buildCorpus(t testing.TB, rpc, other []*Seed, spec Spec, packets int) ([]byte, Stats) {
	t.Helper()
	spec.Packets = packets
	var buf bytes.Buffer
	st, err := Build(&buf, rpc, other, spec)
	if err != nil {
		t.Fatal(err)
	}
	if int64(buf.Len()) != st.Bytes {
		t.Fatalf("Stats.Bytes %d, wrote %d", st.Bytes, buf.Len())
	}
	return buf.Bytes(), st
}

func TestBuildDeterministic(t *testing.T) {
	rpc, other := loadSeeds(t)
	for _, spec := range []Spec{EPMHeavy, Mixed} {
		a, st := buildCorpus(t, rpc, other, spec, 30000)
		b, _ := buildCorpus(t, rpc, other, spec, 30000)
		if !bytes.Equal(a, b) {
			t.Errorf("%s: two builds differ", spec.Name)
		}
		share := float64(st.RPCPackets) / float64(st.Packets)
		if share < spec.RPCShare-0.05 || share > spec.RPCShare+0.05 {
			t.Errorf("%s: RPC share %.3f, want %.2f±0.05", spec.Name, share, spec.RPCShare)
		}
		if st.Packets < 30000 {
			t.Errorf("%s: %d packets, want ≥ 30000", spec.Name, st.Packets)
		}
		// The file reads back with every frame, in time order.
		src, err := source.NewReader(bytes.NewReader(a), spec.Name, int64(len(a)))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		var last int64
		for {
			_, info, err := src.Next()
			if err != nil {
				break
			}
			n++
			if ts := info.Timestamp.UnixNano(); ts < last {
				t.Fatalf("%s: frame %d goes back in time", spec.Name, info.Frame)
			} else {
				last = ts
			}
		}
		if n != st.Packets {
			t.Errorf("%s: read %d frames, built %d", spec.Name, n, st.Packets)
		}
	}
}

// TestRewrite checks that copies are distinct conversations with valid
// checksums: client port moved, server port kept, sequence numbers offset.
func TestRewrite(t *testing.T) {
	root, _, err := Dirs()
	if err != nil {
		t.Fatal(err)
	}
	s, err := LoadSeed(root + "/testdata/samba-epm-loopback.pcap")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for i := range s.Frames {
		f := &s.Frames[i]
		if f.l4 < 0 || f.proto != 6 {
			continue
		}
		c0 := append([]byte(nil), f.Data...)
		c1 := append([]byte(nil), f.Data...)
		rewrite(c0, f, 0)
		rewrite(c1, f, 1)
		for _, b := range [][]byte{c0, c1} {
			if !checksumOK(b, f) {
				t.Fatalf("frame %d: bad checksum after rewrite", i+1)
			}
		}
		sp0, dp0 := binary.BigEndian.Uint16(c0[f.l4:]), binary.BigEndian.Uint16(c0[f.l4+2:])
		sp1, dp1 := binary.BigEndian.Uint16(c1[f.l4:]), binary.BigEndian.Uint16(c1[f.l4+2:])
		cp0, cp1, srv0, srv1 := dp0, dp1, sp0, sp1
		if f.clientIsSrc {
			cp0, cp1, srv0, srv1 = sp0, sp1, dp0, dp1
		}
		if srv0 != srv1 {
			t.Fatalf("frame %d: server port %d became %d", i+1, srv0, srv1)
		}
		if cp0 == cp1 {
			t.Fatalf("frame %d: client port %d not moved", i+1, cp0)
		}
		if srv0 != 135 && srv0 < 49152 {
			t.Fatalf("frame %d: server port %d: client chosen wrongly", i+1, srv0)
		}
		seq0, seq1 := binary.BigEndian.Uint32(c0[f.l4+4:]), binary.BigEndian.Uint32(c1[f.l4+4:])
		if seq1-seq0 != seqStride {
			t.Fatalf("frame %d: seq %d -> %d", i+1, seq0, seq1)
		}
		if !bytes.Equal(c0[f.l4+20:], c1[f.l4+20:]) {
			t.Fatalf("frame %d: payload changed", i+1)
		}
		checked++
	}
	if checked < 100 {
		t.Fatalf("only %d TCP frames checked", checked)
	}
	syn := Synthetic(500, 7)
	for i := range syn.Frames {
		if f := &syn.Frames[i]; !checksumOK(f.Data, f) {
			t.Fatalf("synthetic frame %d: bad checksum", i+1)
		}
	}
}

func checksumOK(b []byte, f *Frame) bool {
	if !f.v6 && fold(sum(0, b[f.l3:f.l3+int(b[f.l3]&0x0f)*4])) != 0xffff {
		return false
	}
	end := f.l3 + int(binary.BigEndian.Uint16(b[f.l3+2:]))
	if f.v6 {
		end = f.l3 + 40 + int(binary.BigEndian.Uint16(b[f.l3+4:]))
	}
	var s uint64
	n := end - f.l4
	if f.v6 {
		s = sum(0, b[f.l3+8:f.l3+40])
	} else {
		s = sum(0, b[f.l3+12:f.l3+20])
	}
	s += uint64(n) + uint64(f.proto)
	return fold(sum(s, b[f.l4:end])) == 0xffff
}
