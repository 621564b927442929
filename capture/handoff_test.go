package capture

import (
	"net/netip"
	"reflect"
	"testing"
	"unsafe"

	"github.com/rpcwatch/rpcwatch/dissect"
	"github.com/rpcwatch/rpcwatch/dissect/event"
)

// setEvery sets every field reachable in v to a value derived from seed.
func setEvery(v reflect.Value, seed uint64) {
	switch v.Kind() {
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			f := v.Field(i)
			if !f.CanSet() {
				f = reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem()
			}
			setEvery(f, seed+uint64(i)*7)
		}
	case reflect.Array:
		for i := 0; i < v.Len(); i++ {
			setEvery(v.Index(i), seed+uint64(i))
		}
	case reflect.Bool:
		v.SetBool(seed%2 == 1)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(seed%100 + 1))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		v.SetUint(seed%100 + 1)
	}
}

// TestCopyEventCopiesEveryField: whatever the destination held, copyEvent
// leaves an exact copy, for events with and without a binding; a field
// added to event.Event without a line in copyEvent fails here.
func TestCopyEventCopiesEveryField(t *testing.T) {
	var withBinding, noBinding, garbage event.Event
	setEvery(reflect.ValueOf(&withBinding).Elem(), 1)
	setEvery(reflect.ValueOf(&noBinding).Elem(), 2)
	// netip values are not plain memory: give them real addresses
	for _, e := range []*event.Event{&withBinding, &noBinding} {
		e.Client, e.Server = testAddrPort("10.0.0.1", 49152), testAddrPort("10.0.0.2", 135)
	}
	noBinding.Kind, noBinding.HasBinding, noBinding.Binding = event.KindPDU, false, dissect.Binding{}
	setEvery(reflect.ValueOf(&garbage).Elem(), 3)
	garbage.Client = testAddrPort("fe80::1", 1)
	for _, src := range []*event.Event{&withBinding, &noBinding} {
		for _, bound := range []bool{true, false} {
			d := garbage
			if !bound {
				d.Binding = dissect.Binding{}
			}
			nb := copyEvent(&d, src, bound)
			if d != *src {
				t.Fatalf("copyEvent (source binding %v, destination bound %v) differs from the source", src.HasBinding, bound)
			}
			if nb != (d.Binding != dissect.Binding{}) {
				t.Fatalf("copyEvent reported bound=%v for a Binding that is %v", nb, d.Binding)
			}
		}
	}
}

// TestHandoffOrder: every event arrives once, in order, across batches.
func TestHandoffOrder(t *testing.T) {
	var got []int64
	h := NewHandoff(func(e *event.Event) { got = append(got, e.Frame) })
	var e event.Event
	for _, n := range []int{handoffBatchEvents*handoffBatches*3 + 17, 0, handoffBatchEvents, 5} {
		got = got[:0]
		h.Start() // again after Close: the batches are reused
		for i := int64(1); i <= int64(n); i++ {
			e.Frame = i
			h.Event(&e)
		}
		h.Close()
		if len(got) != n {
			t.Fatalf("%d events arrived, want %d", len(got), n)
		}
		for i, f := range got {
			if f != int64(i+1) {
				t.Fatalf("event %d has frame %d", i, f)
			}
		}
	}
	if len(h.free) != handoffBatches {
		t.Fatalf("%d batches free after Close, want %d", len(h.free), handoffBatches)
	}
}

func testAddrPort(a string, p uint16) netip.AddrPort {
	return netip.AddrPortFrom(netip.MustParseAddr(a), p)
}

// BenchmarkHandoff: the producer's cost per event (copy and batch hand-over)
// with a consumer that does nothing, for events without and with a binding.
func BenchmarkHandoff(b *testing.B) {
	var pdu, bind event.Event
	pdu.Kind, pdu.Frame, pdu.Client, pdu.Server = event.KindPDU, 1, testAddrPort("10.0.0.1", 49152), testAddrPort("10.0.0.2", 135)
	bind = pdu
	bind.Kind, bind.HasBinding = event.KindBinding, true
	bind.Binding.Addr.SetString("10.0.0.2")
	for _, c := range []struct {
		name string
		e    *event.Event
	}{{"pdu", &pdu}, {"binding", &bind}} {
		b.Run(c.name, func(b *testing.B) {
			h := NewHandoff(func(*event.Event) {})
			h.Start()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				h.Event(c.e)
			}
			h.Close()
		})
	}
}
