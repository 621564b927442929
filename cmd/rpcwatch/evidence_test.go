package main

import (
	"bytes"
	"testing"
	"time"

	"github.com/rpcwatch/rpcwatch/capture/source"
)

// TestRing pushes packets of varying sizes through a small ring and checks
// that every packet still held has its own bytes (no overlap after wraps)
// and that the bounds hold.
func TestRing(t *testing.T) {
	r := newRing(8, 100)
	for f := int64(1); f <= 500; f++ {
		n := int(f*7) % 40
		data := bytes.Repeat([]byte{byte(f)}, n)
		r.push(f, source.Info{Frame: int(f), Timestamp: time.Unix(f, 0), Length: n}, data)
		if r.n > 8 {
			t.Fatalf("frame %d: %d slots held", f, r.n)
		}
		held := 0
		for g := f; g > 0; g-- {
			s := r.lookup(g)
			if s == nil {
				break
			}
			held += s.ln
			if s.frame != g || !bytes.Equal(r.buf[s.off:s.off+s.ln], bytes.Repeat([]byte{byte(g)}, int(g*7)%40)) {
				t.Fatalf("after frame %d: frame %d corrupted", f, g)
			}
		}
		if held > 100 || r.lookup(f) == nil {
			t.Fatalf("frame %d: %d bytes held, newest present %v", f, held, r.lookup(f) != nil)
		}
	}
	if r.fellOut == 0 {
		t.Error("nothing fell out of the ring")
	}
	// A new input restarts the frame numbers.
	r.push(1, source.Info{Frame: 1}, []byte{1})
	if r.n != 1 || r.lookup(1) == nil || r.lookup(500) != nil {
		t.Errorf("restart: n=%d", r.n)
	}
}
