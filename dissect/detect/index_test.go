package detect

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/netip"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/rpcwatch/rpcwatch/capture"
	"github.com/rpcwatch/rpcwatch/capture/source"
	"github.com/rpcwatch/rpcwatch/dissect/event"
	"github.com/rpcwatch/rpcwatch/internal/pcaptest"
)

// Pools for index keys: texts whose concatenations coincide ("ab"+"c",
// "a"+"bc"), an IPv4 server and the same address IPv4-mapped (equal As16),
// the zero address, a zoned address.
var (
	ixServers = []netip.Addr{netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("::ffff:10.0.0.1"), {},
		netip.MustParseAddr("fe80::1"), netip.MustParseAddr("fe80::1%eth0"), netip.MustParseAddr("10.0.0.2")}
	ixTexts = []string{"", "a", "ab", "bc", "c", "abc", "10.0.0.1", "10.0.0.110.0.0.2", string(make([]byte, 255))}
)

// ixKey decodes a key from 5 bytes.
func ixKey(b []byte) bkey {
	k := bkey{server: ixServers[int(b[0])%len(ixServers)], iface: fzIfs[int(b[0]>>4)%len(fzIfs)]}
	k.b.Protseq = fzPS[int(b[1])%len(fzPS)]
	k.b.Addr.SetString(ixTexts[int(b[1]>>4)%len(ixTexts)])
	k.b.Endpoint.SetString(ixTexts[int(b[2])%len(ixTexts)])
	if b[2]&0x80 != 0 {
		k.b.IP = ixServers[int(b[3])%len(ixServers)]
	}
	k.b.Port, k.b.HasPort = uint16(b[3]>>4), b[4]&1 != 0
	return k
}

// FuzzBindIndex drives the binding index with inserts and removes, with
// digests cut to a few bits so that keys collide, against a map keyed by
// the whole key.
func FuzzBindIndex(f *testing.F) {
	f.Add([]byte{0, 0, 0x10, 1, 0, 0, 1, 0x20, 2, 3, 0, 0, 0x12, 1, 0, 0, 1})
	f.Add([]byte{1, 1, 0x21, 4, 0x81, 5, 0, 0x11, 3, 0x82, 7, 1, 0x11, 3, 0x82, 6, 2, 0x21, 4, 0x81, 5})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 1 || len(data) > 6*2048 {
			return
		}
		x := newBindIndex()
		x.mask = [...]uint64{0, 1, 7, ^uint64(0)}[data[0]%4]
		ref := map[bkey]*binding{}
		for i := 1; i+6 <= len(data); i += 6 {
			op, k := data[i], ixKey(data[i+1:i+6])
			h := x.digest(k.server, &k.iface, &k.b)
			got := x.find(h, k.server, &k.iface, &k.b)
			if got != ref[k] {
				t.Fatalf("find %+v: got %p, want %p", k, got, ref[k])
			}
			switch {
			case got == nil && op&1 == 0:
				r := &binding{key: k, hash: h}
				x.insert(r)
				ref[k] = r
			case got != nil && op&1 != 0:
				x.remove(got)
				delete(ref, k)
				if x.get(&k) != nil {
					t.Fatalf("removed %+v still found", k)
				}
			}
			if x.len() != len(ref) {
				t.Fatalf("index holds %d, want %d", x.len(), len(ref))
			}
		}
		for k, r := range ref {
			if x.get(&k) != r {
				t.Fatalf("lost %+v", k)
			}
		}
		checkIndex(t, &x)
	})
}

// TestBindIndexKeys: keys equal under == are the same binding; keys that
// differ in any field (even only where the texts are cut) are not.
func TestBindIndexKeys(t *testing.T) {
	var keys []bkey
	for a := range 256 {
		keys = append(keys, ixKey([]byte{byte(a), byte(a * 7), byte(a * 13), byte(a * 29), byte(a >> 1)}))
	}
	x := newBindIndex()
	for _, k := range keys {
		for _, o := range keys {
			if got := k.is(o.server, &o.iface, &o.b); got != (k == o) {
				t.Fatalf("is(%+v, %+v) = %v", k, o, got)
			}
			if k == o && x.digest(k.server, &k.iface, &k.b) != x.digest(o.server, &o.iface, &o.b) {
				t.Fatalf("equal keys, different digests")
			}
		}
	}
}

// collisionRun feeds evs to three detectors (digests intact, cut to one
// bit, all equal) and fails unless they agree on every finding, the stats
// and the inventory.
func collisionRun(t *testing.T, cfg Config, evs []event.Event) {
	t.Helper()
	var fs [3][]Finding
	var ds [3]*Detector
	for i, mask := range []uint64{^uint64(0), 1, 0} {
		ds[i] = New(cfg, func(f *Finding) { fs[i] = append(fs[i], *f) })
		ds[i].bindings.mask = mask
		for j := range evs {
			ds[i].Event(&evs[j])
		}
		ds[i].Flush()
		checkBounds(t, ds[i])
	}
	for i := 1; i < 3; i++ {
		if len(fs[i]) != len(fs[0]) {
			t.Fatalf("mask %d: %d findings, want %d", i, len(fs[i]), len(fs[0]))
		}
		for j := range fs[0] {
			if !reflect.DeepEqual(fs[i][j], fs[0][j]) {
				t.Fatalf("finding %d differs with colliding digests:\n got %+v\nwant %+v", j, fs[i][j], fs[0][j])
			}
		}
		if a, b := ds[i].Stats(), ds[0].Stats(); a != b {
			t.Fatalf("stats differ:\n got %+v\nwant %+v", a, b)
		}
		if a, b := ds[i].Inventory(), ds[0].Inventory(); !reflect.DeepEqual(a, b) {
			t.Fatalf("inventories differ")
		}
	}
}

// TestBindIndexCollisions: colliding digests change nothing, on random
// event streams through small caps (evictions) and on the captures.
func TestBindIndexCollisions(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cfg := Config{MaxBindings: 8, MaxServers: 3, MaxBindingsPerInterface: 3, MaxInterfacesPerEndpoint: 2,
		MaxAnswer: 4, MaxFaultCounters: 4, AnswerIdleNs: 1e9}
	for range 50 {
		evs := make([]event.Event, 400)
		var b [8]byte
		for i := range evs {
			for j := range b {
				b[j] = byte(rng.Uint32())
			}
			fzEvent(b[:], int64(i+1), &evs[i])
		}
		collisionRun(t, cfg, evs)
		collisionRun(t, Config{}, evs)
	}
	paths, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "*.pcap"))
	if dir, ok := pcaptest.FindDir(); ok {
		more, _ := filepath.Glob(filepath.Join(dir, "*.pcap*"))
		paths = append(paths, more...)
	}
	if len(paths) == 0 {
		t.Fatal("no captures")
	}
	for _, p := range paths {
		evs := captureEvents(t, p)
		collisionRun(t, Config{}, evs)
		collisionRun(t, cfg, evs)
	}
}

func captureEvents(t *testing.T, path string) []event.Event {
	t.Helper()
	src, err := source.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var evs []event.Event
	_, err = capture.Run(context.Background(), src, capture.Config{}, func(e *event.Event) { evs = append(evs, *e) })
	var te *source.TruncatedError
	if err != nil && !errors.As(err, &te) {
		t.Fatalf("%s: %v", path, err)
	}
	return evs
}

func TestIndexNoAllocs(t *testing.T) {
	d, evs := steady(t)
	e := &evs[2]
	srv := e.Server.Addr().Unmap()
	var sink *binding
	var ep *endpoint
	k := epkey{unmap(evs[9].Server), event.TCP}
	tests := []struct {
		name string
		fn   func()
	}{
		{"digest and find", func() {
			sink = d.bindings.find(d.bindings.digest(srv, &e.BindingIface, &e.Binding), srv, &e.BindingIface, &e.Binding)
		}},
		{"endpoint memo hit", func() { ep = d.endpoint(k) }},
		{"endpoint memo miss", func() { d.epMemo.valid = false; ep = d.endpoint(k) }},
	}
	for _, tt := range tests {
		if n := testing.AllocsPerRun(100, tt.fn); n != 0 {
			t.Errorf("%s: %v allocs", tt.name, n)
		}
	}
	if sink == nil || ep == nil {
		t.Fatal("steady state binding or endpoint not found")
	}
}

func BenchmarkBindIndex(b *testing.B) {
	d, evs := steady(b)
	e := &evs[2]
	srv := e.Server.Addr().Unmap()
	b.Run("digest", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = d.bindings.digest(srv, &e.BindingIface, &e.Binding)
		}
	})
	b.Run("digest+find", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = d.bindings.find(d.bindings.digest(srv, &e.BindingIface, &e.Binding), srv, &e.BindingIface, &e.Binding)
		}
	})
}
