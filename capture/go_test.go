package capture

import (
	"path/filepath"
	"testing"

	"github.com/rpcwatch/rpcwatch/capture/decode"
	"github.com/rpcwatch/rpcwatch/internal/pcaptest"
)

// TestGoSameEvents: in Go mode (handler and response stubs on a second
// goroutine) the handler sees exactly the events a synchronous pipeline
// sends, in the same order, and Finish returns the same counters, on every
// capture: with the stubs decoded by the consumer, with every stub decoded
// by the producer (as one larger than the limit is), and on a pipeline
// reused after Finish.
func TestGoSameEvents(t *testing.T) {
	var deferred uint64
	for _, path := range allCaptures(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			frames, _ := pcaptest.Frames(t, path)
			want, got := &collected{}, &collected{}
			p, err := New(Config{}, want.handle)
			if err != nil {
				t.Fatal(err)
			}
			g, err := New(Config{}, got.handle)
			if err != nil {
				t.Fatal(err)
			}
			// Both pipelines are reused round after round (their counters
			// add up).
			for _, maxStub := range []int{handoffMaxStub, 0, handoffMaxStub} {
				want.events, got.events = want.events[:0], got.events[:0]
				g.Go()
				g.Go() // again: no effect
				h := g.w.hand
				h.maxStub = maxStub
				for _, f := range frames {
					p.Packet(decode.LinkType(f.Link), f.Data, int64(f.Number), f.Time)
					g.Packet(decode.LinkType(f.Link), f.Data, int64(f.Number), f.Time)
				}
				wantSt, gotSt := p.Finish(), g.Finish()
				deferred += h.deferred
				h.deferred = 0
				if g.w.hand != nil || g.w.spare != h {
					t.Fatal("Finish left Go mode on")
				}
				if len(got.events) != len(want.events) {
					t.Fatalf("limit %d: %d events in Go mode, %d without", maxStub, len(got.events), len(want.events))
				}
				for i := range want.events {
					if got.events[i] != want.events[i] {
						t.Fatalf("limit %d: event %d differs:\n got %+v\nwant %+v", maxStub, i, got.events[i], want.events[i])
					}
				}
				if gotSt != wantSt {
					t.Fatalf("limit %d: stats differ:\n got %+v\nwant %+v", maxStub, gotSt, wantSt)
				}
			}
		})
	}
	if deferred == 0 {
		t.Fatal("no stub was decoded on the consumer's goroutine")
	}
	t.Logf("%d stubs decoded on the consumer's goroutine", deferred)
}
