package capture

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	"github.com/rpcwatch/rpcwatch/capture/decode"
	"github.com/rpcwatch/rpcwatch/capture/source"
	"github.com/rpcwatch/rpcwatch/dissect/event"
	"github.com/rpcwatch/rpcwatch/internal/pcaptest"
)

// prefetchInputs are the bundled captures plus every shared one.
func prefetchInputs(t *testing.T) []string {
	paths, _ := filepath.Glob("../testdata/*.pcap")
	if d, ok := pcaptest.FindDir(); ok {
		for _, g := range []string{"*.pcap", "*.pcapng", "*.cap"} {
			m, _ := filepath.Glob(filepath.Join(d, g))
			paths = append(paths, m...)
		}
	}
	if len(paths) == 0 {
		t.Fatal("no captures found")
	}
	return paths
}

// TestPrefetcherMatchesSource: every frame comes out in order with the
// source's data, info and decode, and the run ends with the source's own
// error (io.EOF, or the truncation error of a file cut short).
func TestPrefetcherMatchesSource(t *testing.T) {
	pf := NewPrefetcher() // reused across files: Start after a finished run
	dec := decode.NewDecoder()
	var want decode.Packet
	for _, path := range prefetchInputs(t) {
		direct, err := source.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		ahead, err := source.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		pf.Start(ahead)
		n := 0
		for {
			data, ci, derr := direct.Next()
			fr, perr := pf.Next()
			if derr != nil || perr != nil {
				if derr == nil || perr == nil || derr.Error() != perr.Error() {
					t.Fatalf("%s frame %d: source error %v, prefetcher %v", path, n+1, derr, perr)
				}
				if _, again := pf.Next(); again == nil || again.Error() != perr.Error() {
					t.Fatalf("%s: error not sticky: %v then %v", path, perr, again)
				}
				break
			}
			n++
			werr := dec.Decode(ci.LinkType, data, &want)
			if !bytes.Equal(fr.Data, data) || fr.Info != ci || !errors.Is(fr.derr, werr) {
				t.Fatalf("%s frame %d differs", path, n)
			}
			// the packets point into different buffers: compare all but the slices' addresses
			got := fr.pkt
			if !bytes.Equal(got.Payload, want.Payload) {
				t.Fatalf("%s frame %d: payload differs", path, n)
			}
			got.Payload, want.Payload = nil, nil
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%s frame %d: decoded packet differs:\n got %+v\nwant %+v", path, n, got, want)
			}
		}
		pf.Stop()
		direct.Close()
		ahead.Close()
	}
}

// TestPrefetcherManyBatches crosses batch and arena boundaries: a corpus of
// large frames (the arena fills before the slots) and one of small frames
// (the slots fill first).
func TestPrefetcherManyBatches(t *testing.T) {
	for _, size := range []int{60, 9000, source.MaxPacketLen} {
		frames := prefetchFrames*prefetchBatches*2 + 3
		if size == source.MaxPacketLen {
			frames = 40
		}
		var buf bytes.Buffer
		w := pcapgo.NewWriter(&buf)
		if err := w.WriteFileHeader(source.MaxPacketLen, layers.LinkTypeEthernet); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < frames; i++ {
			f := make([]byte, size)
			f[0], f[1] = byte(i), byte(i>>8)
			ci := gopacket.CaptureInfo{Timestamp: time.Unix(int64(i), 0), CaptureLength: size, Length: size}
			if err := w.WritePacket(ci, f); err != nil {
				t.Fatal(err)
			}
		}
		src, err := source.NewReader(bytes.NewReader(buf.Bytes()), "mem", int64(buf.Len()))
		if err != nil {
			t.Fatal(err)
		}
		pf := NewPrefetcher()
		pf.Start(src)
		for i := 0; i < frames; i++ {
			fr, err := pf.Next()
			if err != nil {
				t.Fatalf("size %d frame %d: %v", size, i+1, err)
			}
			if len(fr.Data) != size || fr.Data[0] != byte(i) || fr.Data[1] != byte(i>>8) || fr.Info.Frame != i+1 {
				t.Fatalf("size %d: frame %d out of order or damaged", size, i+1)
			}
		}
		if _, err := pf.Next(); err != io.EOF {
			t.Fatalf("size %d: end: %v, want io.EOF", size, err)
		}
		pf.Stop()
	}
}

// TestPrefetcherStopEarly: stopping in the middle ends the reading
// goroutine, and the prefetcher can start again.
func TestPrefetcherStopEarly(t *testing.T) {
	path := "../testdata/demo.pcap"
	before := runtime.NumGoroutine()
	pf := NewPrefetcher()
	for round := 0; round < 3; round++ {
		src, err := source.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		pf.Start(src)
		if _, err := pf.Next(); err != nil {
			t.Fatal(err)
		}
		pf.Stop()
		src.Close()
	}
	pf.Stop() // twice is harmless
	if n := runtime.NumGoroutine(); n > before {
		t.Fatalf("%d goroutines after stopping, %d before", n, before)
	}
}

func TestPrefetcherNextNoAllocs(t *testing.T) {
	data, err := os.ReadFile("../testdata/demo.pcap")
	if err != nil {
		t.Fatal(err)
	}
	pf := NewPrefetcher()
	src, err := source.NewReader(bytes.NewReader(data), "mem", int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	pf.Start(src)
	defer pf.Stop()
	if n := testing.AllocsPerRun(100, func() {
		if _, err := pf.Next(); err != nil && err != io.EOF {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Fatalf("Next: %v allocs, want 0", n)
	}
}

// TestReadEqualsPacketLoop: Pipeline.Read (prefetching) gives the same
// events and counters as feeding the frames one by one.
func TestReadEqualsPacketLoop(t *testing.T) {
	for _, path := range prefetchInputs(t) {
		var a, b []event.Event
		pa, _ := New(Config{}, func(e *event.Event) { a = append(a, *e) })
		pb, _ := New(Config{}, func(e *event.Event) { b = append(b, *e) })
		src, err := source.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		errA := pa.Read(context.Background(), src)
		src.Close()
		src, _ = source.Open(path)
		errB := pb.readEach(context.Background(), src)
		src.Close()
		sa, sb := pa.Finish(), pb.Finish()
		if (errA == nil) != (errB == nil) || !reflect.DeepEqual(a, b) || sa != sb {
			t.Fatalf("%s: prefetching read differs (%d vs %d events, errors %v / %v)", path, len(a), len(b), errA, errB)
		}
	}
}
