package source

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/rpcwatch/rpcwatch/capture/decode"
)

// FuzzSource feeds arbitrary bytes to the file reader: it must never
// panic, never return a frame larger than MaxPacketLen or with Frame out of
// sequence, and only return the documented error types.
func FuzzSource(f *testing.F) {
	recs := testRecs(f, 3, decode.LinkTypeEthernet, false)
	f.Add(writePcap(false, false, decode.LinkTypeEthernet, 65535, recs))
	f.Add(writePcap(true, true, decode.LinkTypeLinuxSLL2, 65535, recs))
	f.Add(writePcapNG(false, []ngIfaceSpec{{lt: decode.LinkTypeEthernet}, {lt: decode.LinkTypeRaw, tsresol: 9}}, recs))
	f.Add(writePcapNG(true, []ngIfaceSpec{{lt: decode.LinkTypeEthernet, snap: 0xffffffff}}, recs))
	f.Add(gzipped(writePcap(false, true, decode.LinkTypeEthernet, 65535, recs)))
	if dir := sharedCaptures(); dir != "" {
		for _, pat := range []string{"*.pcap", "*.pcapng"} {
			m, _ := filepath.Glob(filepath.Join(dir, pat))
			for _, name := range m {
				if st, err := os.Stat(name); err == nil && st.Size() <= 16<<10 {
					if b, err := os.ReadFile(name); err == nil {
						f.Add(b)
					}
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		src, err := NewReader(bytes.NewReader(data), "fuzz", int64(len(data)))
		if err != nil {
			checkErrType(t, err)
			return
		}
		for i := 1; i <= 100000; i++ {
			frame, ci, err := src.Next()
			if err != nil {
				if err != io.EOF {
					checkErrType(t, err)
				}
				if _, _, err2 := src.Next(); err2 != err {
					t.Fatalf("error not sticky: %v then %v", err, err2)
				}
				return
			}
			if ci.Frame != i || len(frame) != ci.CaptureLength || len(frame) > MaxPacketLen {
				t.Fatalf("frame %d: info %+v, %d bytes", i, ci, len(frame))
			}
		}
	})
}

func checkErrType(t *testing.T, err error) {
	var (
		te *TruncatedError
		fe *FormatError
		ne *NotCaptureError
	)
	if !errors.As(err, &te) && !errors.As(err, &fe) && !errors.As(err, &ne) && !errors.Is(err, decode.ErrLinkType) {
		t.Fatalf("untyped error %T: %v", err, err)
	}
}

// benchInputs returns in-memory captures to benchmark: synthetic pcap and
// pcapng files of 20000 frames and, when present, a real capture.
func benchInputs(b *testing.B) map[string][]byte {
	recs := testRecs(b, 50, decode.LinkTypeEthernet, false)
	many := make([]rec, 0, 20000)
	for len(many) < cap(many) {
		many = append(many, recs...)
	}
	in := map[string][]byte{
		"synthetic.pcap":   writePcap(false, false, decode.LinkTypeEthernet, 65535, many),
		"synthetic.pcapng": writePcapNG(false, []ngIfaceSpec{{lt: decode.LinkTypeEthernet}}, many),
	}
	if dir := sharedCaptures(); dir != "" {
		if raw, err := os.ReadFile(filepath.Join(dir, "iti-ModbusTCP-mb2.pcap")); err == nil {
			in["iti-ModbusTCP-mb2.pcap"] = raw
		}
	}
	return in
}

// BenchmarkFileNext reads a whole in-memory capture through the Source.
func BenchmarkFileNext(b *testing.B) {
	for name, data := range benchInputs(b) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			frames := 0
			for i := 0; i < b.N; i++ {
				src, err := NewReader(bytes.NewReader(data), name, int64(len(data)))
				if err != nil {
					b.Fatal(err)
				}
				n, err := readAll(src, nil)
				if err != nil {
					b.Fatal(err)
				}
				frames += n
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(frames), "ns/frame")
		})
	}
}

// BenchmarkFileDecode reads and decodes a whole in-memory capture: Source
// plus decode.Decoder, the part of the pipeline this package provides.
func BenchmarkFileDecode(b *testing.B) {
	for name, data := range benchInputs(b) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			dec := decode.NewDecoder()
			var p decode.Packet
			frames := 0
			for i := 0; i < b.N; i++ {
				src, err := NewReader(bytes.NewReader(data), name, int64(len(data)))
				if err != nil {
					b.Fatal(err)
				}
				n, err := readAll(src, func(d []byte, ci Info) { _ = dec.Decode(ci.LinkType, d, &p) })
				if err != nil {
					b.Fatal(err)
				}
				frames += n
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(frames), "ns/frame")
		})
	}
}

// BenchmarkBareLoop is the reference: pcapgo + a plain DecodingLayerParser.
func BenchmarkBareLoop(b *testing.B) {
	for name, data := range benchInputs(b) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			frames := 0
			for i := 0; i < b.N; i++ {
				n, err := BareLoop(bytes.NewReader(data))
				if err != nil {
					b.Fatal(err)
				}
				frames += n
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(frames), "ns/frame")
		})
	}
}

func TestBareLoop(t *testing.T) {
	recs := testRecs(t, 9, decode.LinkTypeEthernet, false)
	for _, data := range [][]byte{
		writePcap(false, false, decode.LinkTypeEthernet, 65535, recs),
		writePcapNG(false, []ngIfaceSpec{{lt: decode.LinkTypeEthernet}}, recs),
		gzipped(writePcap(true, true, decode.LinkTypeEthernet, 65535, recs)),
	} {
		if n, err := BareLoop(bytes.NewReader(data)); n != 9 || err != nil {
			t.Errorf("BareLoop: %d frames, %v", n, err)
		}
	}
}
