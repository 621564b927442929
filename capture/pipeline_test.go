package capture

import (
	"testing"

	"github.com/rpcwatch/rpcwatch/capture/decode"
	"github.com/rpcwatch/rpcwatch/dissect/event"
	"github.com/rpcwatch/rpcwatch/internal/pcaptest"
)

// collected is a copy of the events a run produced.
type collected struct {
	events []event.Event
}

func (c *collected) handle(e *event.Event) { c.events = append(c.events, *e) }

// runFile feeds every frame of a capture through a fresh pipeline.
func runFile(t *testing.T, path string) (*collected, Stats) {
	t.Helper()
	c := &collected{}
	p, err := New(Config{}, c.handle)
	if err != nil {
		t.Fatal(err)
	}
	frames, _ := pcaptest.Frames(t, path)
	for _, f := range frames {
		p.Packet(decode.LinkType(f.Link), f.Data, int64(f.Number), f.Time)
	}
	return c, p.Finish()
}

func TestSambaLoopbackBindings(t *testing.T) {
	c, st := runFile(t, "../testdata/samba-epm-loopback.pcap")
	if st.Packets != 545 {
		t.Fatalf("packets = %d, want 545", st.Packets)
	}
	byFrame := map[int64]int{}
	for _, e := range c.events {
		if e.Kind == event.KindBinding && e.Source == event.SourceEPM {
			byFrame[e.Frame]++
		}
	}
	// rpcdump's lookup: 38 entries in a response completed by frame 11.
	if byFrame[11] != 38 {
		t.Errorf("bindings at frame 11 = %d, want 38 (all frames: %v)", byFrame[11], byFrame)
	}
	t.Logf("stats: %+v", st)
}

func TestSambaLoopbackAnomalies(t *testing.T) {
	c, _ := runFile(t, "../testdata/samba-epm-loopback.pcap")
	for _, e := range c.events {
		if e.Kind == event.KindAnomaly {
			t.Logf("frame %d %s %s off %d a=%d b=%d binding %s", e.Frame, e.Where, e.Anomaly.Kind, e.Anomaly.Off, e.Anomaly.A, e.Anomaly.B, e.Binding.String())
		}
	}
}
