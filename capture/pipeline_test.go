package capture

import (
	"path/filepath"
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

// TestBindNegotiationIsNotRejection: Windows binds offer NDR and NDR64 (one
// is refused with "proposed transfer syntaxes not supported") and the bind
// time feature pseudo-context (answered negotiate_ack). Neither is a failed
// bind; Samba's refusal of IObjectExporter (abstract syntax not supported,
// frame 538) is.
func TestBindNegotiationIsNotRejection(t *testing.T) {
	rejected := func(path string) []int64 {
		c, _ := runFile(t, path)
		var fs []int64
		for _, e := range c.events {
			if e.Kind == event.KindPDU && e.AckRejected {
				fs = append(fs, e.Frame)
			}
		}
		return fs
	}
	if got := rejected("../testdata/samba-epm-loopback.pcap"); len(got) != 1 || got[0] != 538 {
		t.Errorf("samba: rejected binds at %v, want [538]", got)
	}
	d := pcaptest.Dir(t)
	for _, name := range []string{"otrf-empire_psexec_dcerpc_tcp_svcctl_WORKSTATION6.cap", "scapy-dcerpc_privacy_ntlm.pcapng"} {
		if got := rejected(filepath.Join(d, name)); len(got) != 0 {
			t.Errorf("%s: negotiation answers reported as rejected binds at frames %v", name, got)
		}
	}
}
