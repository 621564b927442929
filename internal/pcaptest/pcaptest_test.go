package pcaptest

import "testing"

func TestSambaLoopbackPDUs(t *testing.T) {
	p := Glob(t, "samba-epm-loopback.pcap")[0]
	frames, trunc := Frames(t, p)
	if len(frames) != 545 || trunc {
		t.Fatalf("frames = %d (truncated %v), want 545", len(frames), trunc)
	}
	pdus := PDUs(t, p)
	if len(pdus) < 100 {
		t.Fatalf("only %d PDUs", len(pdus))
	}
	// frames 10 and 11 are the two fragments of rpcdump's lookup answer
	var f10, f11 bool
	for _, q := range pdus {
		f10 = f10 || q.Frame == 10
		f11 = f11 || q.Frame == 11
	}
	if !f10 || !f11 {
		t.Fatalf("fragments at frames 10/11 not found")
	}
}
