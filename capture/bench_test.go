package capture

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/rpcwatch/rpcwatch/capture/source"
	"github.com/rpcwatch/rpcwatch/dissect/event"
	"github.com/rpcwatch/rpcwatch/internal/pcaptest"
)

// benchCorpora are the captures the read+decode benchmarks run on: an
// EPM-heavy one (bundled) and a mixed one that is mostly non-RPC traffic
// (Modbus/S7/ENIP with DCOM chatter, from the shared captures).
func benchCorpora(b *testing.B) map[string][]byte {
	m := map[string][]byte{}
	load := func(name, path string) {
		data, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		m[name] = data
	}
	load("epm-heavy", "../testdata/samba-epm-loopback.pcap")
	if d, ok := pcaptest.FindDir(); ok {
		load("mixed", filepath.Join(d, "iti-ModbusTCP-mb2.pcap"))
	}
	return m
}

// BenchmarkReadDecode compares, in one run, the whole pipeline (read,
// link/IP/transport decode, flows, streams, DCE/RPC, events) with the bare
// pcapgo + DecodingLayerParser loop over the same bytes. ns/packet of the
// two sub-benchmarks gives the ratio the issue sets a target for.
func BenchmarkReadDecode(b *testing.B) {
	for name, data := range benchCorpora(b) {
		n, err := source.BareLoop(bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		perPacket := func(b *testing.B) {
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/packet")
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "packets/s")
		}
		b.Run(name+"/bare", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for i := 0; i < b.N; i++ {
				if _, err := source.BareLoop(bytes.NewReader(data)); err != nil {
					b.Fatal(err)
				}
			}
			perPacket(b)
		})
		b.Run(name+"/pipeline", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			var events int
			p, err := New(Config{}, func(e *event.Event) { events++ })
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				src, err := source.NewReader(bytes.NewReader(data), name, int64(len(data)))
				if err != nil {
					b.Fatal(err)
				}
				if err := p.Read(context.Background(), src); err != nil {
					b.Fatal(err)
				}
				p.Finish()
			}
			perPacket(b)
		})
	}
}
