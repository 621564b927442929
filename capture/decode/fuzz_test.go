package decode

import (
	"bufio"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"unsafe"

	"github.com/google/gopacket"
	"github.com/google/gopacket/pcapgo"

	"github.com/rpcwatch/rpcwatch/internal/pcaptest"
)

// sharedCaptures is the shared captures folder, "" when absent.
func sharedCaptures() string {
	d, _ := pcaptest.FindDir()
	return d
}

// captureSeeds returns up to max frames from each classic pcap file in
// shared/captures (all of them are Ethernet).
func captureSeeds(tb testing.TB, max int) [][]byte {
	dir := sharedCaptures()
	if dir == "" {
		return nil
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.pcap"))
	var out [][]byte
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			continue
		}
		r, err := pcapgo.NewReader(bufio.NewReader(f))
		if err == nil {
			for i := 0; i < max; i++ {
				data, _, err := r.ReadPacketData()
				if err != nil {
					break
				}
				out = append(out, data)
			}
		}
		f.Close()
	}
	return out
}

// within reports whether sub lies inside b's backing array.
func within(sub, b []byte) bool {
	if len(sub) == 0 {
		return true
	}
	if len(b) == 0 {
		return false
	}
	s, lo := uintptr(unsafe.Pointer(unsafe.SliceData(sub))), uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	return s >= lo && s+uintptr(len(sub)) <= lo+uintptr(len(b))
}

func FuzzDecode(f *testing.F) {
	for _, s := range samples(f) {
		f.Add(uint16(s.lt), s.frame)
		f.Add(uint16(s.lt), s.frame[:s.ipLen/2])
	}
	f.Add(uint16(LinkTypeIPv6), ipv6WithExt(f, true, 0, true))
	for _, b := range captureSeeds(f, 20) {
		f.Add(uint16(LinkTypeEthernet), b)
	}
	d := NewDecoder()
	f.Fuzz(func(t *testing.T, lt uint16, data []byte) {
		var p Packet
		err := d.Decode(LinkType(lt), data, &p)
		switch err {
		case nil, ErrTruncated, ErrMalformed, ErrLinkType:
		default:
			t.Fatalf("unexpected error %v", err)
		}
		if !within(p.Payload, data) {
			t.Fatalf("payload does not alias the frame")
		}
		if p.PayloadLen < len(p.Payload) {
			t.Fatalf("PayloadLen %d < len(Payload) %d", p.PayloadLen, len(p.Payload))
		}
		if p.Net != NetNone && (!p.Src.IsValid() || !p.Dst.IsValid()) {
			t.Fatalf("IP packet without addresses: %+v", p)
		}
		if err == ErrTruncated && !p.Truncated {
			t.Fatalf("ErrTruncated without Truncated")
		}
		if int(p.NumVLAN) > MaxVLANTags {
			t.Fatalf("NumVLAN %d", p.NumVLAN)
		}
		for i := 0; i < p.Anomalies.Len(); i++ {
			if a := p.Anomalies.At(i); a.Off < 0 || a.Off > len(data) {
				t.Fatalf("anomaly offset %d outside frame of %d", a.Off, len(data))
			}
		}
		// A second decode (same Decoder, dirty Packet) gives the same result.
		q := p
		q.Src, q.SrcPort, q.Payload = q.Dst, 0xffff, nil
		if err2 := d.Decode(LinkType(lt), data, &q); err2 != err || !reflect.DeepEqual(p, q) {
			t.Fatalf("second decode differs: %v vs %v; %s", err, err2, diffPacket(&q, &p))
		}
	})
}

func FuzzSLL2(f *testing.F) {
	for _, s := range samples(f) {
		if s.lt == LinkTypeLinuxSLL2 {
			f.Add(s.frame)
		}
	}
	f.Add([]byte{})
	f.Add(make([]byte, SLL2Len))
	f.Fuzz(func(t *testing.T, data []byte) {
		var s SLL2
		err := s.DecodeFromBytes(data, gopacket.NilDecodeFeedback)
		if len(data) < SLL2Len {
			if err != ErrTruncated {
				t.Fatalf("short header: err %v", err)
			}
			return
		}
		if err != nil {
			t.Fatalf("err %v", err)
		}
		if len(s.Contents) != SLL2Len || len(s.Payload) != len(data)-SLL2Len || !within(s.Payload, data) {
			t.Fatalf("contents %d payload %d of %d", len(s.Contents), len(s.Payload), len(data))
		}
		// Round trip: serializing the decoded header gives the same bytes.
		buf := gopacket.NewSerializeBuffer()
		if err := s.SerializeTo(buf, gopacket.SerializeOptions{}); err != nil {
			t.Fatal(err)
		}
		if string(buf.Bytes()) != string(data[:SLL2Len]) {
			t.Fatalf("round trip %x != %x", buf.Bytes(), data[:SLL2Len])
		}
		// The full Decoder on the same bytes must not panic either.
		var p Packet
		_ = NewDecoder().Decode(LinkTypeLinuxSLL2, data, &p)
	})
}
