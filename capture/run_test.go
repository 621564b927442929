package capture

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rpcwatch/rpcwatch/capture/decode"
	"github.com/rpcwatch/rpcwatch/capture/source"
	"github.com/rpcwatch/rpcwatch/dissect/event"
	"github.com/rpcwatch/rpcwatch/internal/pcaptest"
)

// allCaptures lists testdata/ and, when present, every shared capture.
func allCaptures(t *testing.T) []string {
	files, _ := filepath.Glob("../testdata/*.pcap*")
	if d, ok := pcaptest.FindDir(); ok {
		m, _ := filepath.Glob(filepath.Join(d, "*.pcap*"))
		c, _ := filepath.Glob(filepath.Join(d, "*.cap"))
		files = append(append(files, m...), c...)
	}
	if len(files) == 0 {
		t.Fatal("no capture found")
	}
	return files
}

// TestRunCountsFramesAsTshark runs every capture through Run and checks that
// the pipeline saw exactly the frames tshark counts.
func TestRunCountsFramesAsTshark(t *testing.T) {
	bin, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed (make test installs it)")
	}
	for _, path := range allCaptures(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			out, err := exec.Command(bin, "-n", "-r", path, "-T", "fields", "-e", "frame.number").Output()
			if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 2 {
				err = nil // cut short in the middle of a packet: tshark still printed the frames before it
			}
			if err != nil {
				t.Fatal(err)
			}
			want := strings.Count(string(out), "\n")
			src, err := source.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			var last int64
			st, err := Run(context.Background(), src, Config{}, func(e *event.Event) {
				if e.Frame < last-64 {
					// events come in frame order, give or take the frames
					// a reassembled PDU spans
					t.Errorf("event for frame %d after frame %d", e.Frame, last)
				}
				last = max(last, e.Frame)
			})
			if err != nil {
				t.Logf("run ended with: %v", err)
			}
			if int(st.Packets) != want {
				t.Errorf("pipeline saw %d frames, tshark %d", st.Packets, want)
			}
		})
	}
}

// mixFrames returns the frames of a few real captures with RPC and other
// traffic, for allocation tests and benchmarks.
func mixFrames(t testing.TB) []pcaptest.Frame {
	var all []pcaptest.Frame
	for _, p := range []string{"../testdata/samba-epm-loopback.pcap", "../testdata/samba-stale-binding-restart.pcap",
		"../testdata/SYNTHETIC-udp-epm-lookup-corrupt-floor.pcap"} {
		f, _ := pcaptest.Frames(t, p)
		all = append(all, f...)
	}
	return all
}

// TestPipelineNoAllocs: once flow slots and buffers have grown, a pass over
// a realistic mix (EPM lookups and maps over TCP, fragmented responses,
// binds, faults, a CL lookup, connection events) allocates nothing, flows
// created and flushed included.
func TestPipelineNoAllocs(t *testing.T) {
	frames := mixFrames(t)
	var n int
	p, err := New(Config{}, func(e *event.Event) { n++ })
	if err != nil {
		t.Fatal(err)
	}
	pass := func() {
		for i := range frames {
			f := &frames[i]
			p.Packet(decode.LinkType(f.Link), f.Data, int64(i+1), f.Time)
		}
		p.Finish()
	}
	pass()
	pass()
	if n == 0 {
		t.Fatal("no events")
	}
	if a := testing.AllocsPerRun(5, pass); a != 0 {
		t.Errorf("allocs per pass = %v, want 0", a)
	}
}

// BenchmarkPipeline reports ns and allocations per packet over the mix.
func BenchmarkPipeline(b *testing.B) {
	frames := mixFrames(b)
	p, _ := New(Config{}, func(e *event.Event) {})
	var bytes int
	for _, f := range frames {
		bytes += len(f.Data)
	}
	ts := time.Unix(0, 0)
	b.ReportAllocs()
	b.SetBytes(int64(bytes))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := range frames {
			f := &frames[j]
			p.Packet(decode.LinkType(f.Link), f.Data, int64(j+1), ts)
		}
		p.Finish()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(frames)), "ns/packet")
}
