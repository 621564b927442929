package capture

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"unsafe"

	"github.com/rpcwatch/rpcwatch/dissect"
	"github.com/rpcwatch/rpcwatch/dissect/event"
)

// leafPaths lists the field index paths of every leaf of t: a field that is
// not a struct, or one of the value types set as a whole (netip addresses,
// dissect.Text).
func leafPaths(t reflect.Type, prefix []int, out *[][]int) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		p := append(append([]int(nil), prefix...), i)
		switch f.Type {
		case reflect.TypeOf(netip.Addr{}), reflect.TypeOf(netip.AddrPort{}), reflect.TypeOf(dissect.Text{}):
			*out = append(*out, p)
			continue
		}
		if f.Type.Kind() == reflect.Struct {
			leafPaths(f.Type, p, out)
			continue
		}
		*out = append(*out, p)
	}
}

// setLeaf gives v (a leaf, see leafPaths) a value that is not zero, derived
// from seed.
func setLeaf(v reflect.Value, seed uint64) {
	switch x := v.Addr().Interface().(type) {
	case *netip.Addr:
		*x = netip.AddrFrom4([4]byte{10, byte(seed), 0, 1})
		return
	case *netip.AddrPort:
		*x = netip.AddrPortFrom(netip.AddrFrom16([16]byte{0xfe, 0x80, 15: byte(seed)}), uint16(seed)+1)
		return
	case *dissect.Text:
		x.SetString(strings.Repeat(string(rune('a'+seed%26)), int(seed%40)+1))
		return
	}
	switch v.Kind() {
	case reflect.Array:
		for i := 0; i < v.Len(); i++ {
			setLeaf(v.Index(i), seed+uint64(i))
		}
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(seed%100 + 1))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		v.SetUint(seed%100 + 1)
	default:
		panic("setLeaf: unhandled " + v.Type().String())
	}
}

// handOffAll runs evs through a Handoff and returns copies of what the
// consumer saw.
func handOffAll(evs []event.Event) []event.Event {
	var got []event.Event
	h := StartHandoff(func(e *event.Event) { got = append(got, *e) })
	for i := range evs {
		h.Event(&evs[i])
	}
	h.Close()
	return got
}

// TestHandoffCarriesEveryField: the consumer sees each event exactly as it
// was given, whichever single field is set, all of them are, or the events
// before it had other fields set; a field added to event.Event without a
// line in pack and unpack (or in hasMore) fails here. Binding is carried for
// binding events and anomalies with HasBinding only (event.Event's doc), so
// the events that set a Binding field are binding events.
func TestHandoffCarriesEveryField(t *testing.T) {
	var paths [][]int
	leafPaths(reflect.TypeOf(event.Event{}), nil, &paths)
	bindingField, _ := reflect.TypeOf(event.Event{}).FieldByName("Binding")
	var evs []event.Event
	var all event.Event
	for i, p := range paths {
		var e event.Event
		setLeaf(reflect.ValueOf(&e).Elem().FieldByIndex(p), uint64(i+1))
		setLeaf(reflect.ValueOf(&all).Elem().FieldByIndex(p), uint64(i+1))
		if p[0] == bindingField.Index[0] {
			e.Kind = event.KindBinding
		}
		// each field alone, after an empty event and after a full one
		full := all
		if full.Kind != event.KindBinding && !full.HasBinding {
			full.Binding = dissect.Binding{}
		}
		evs = append(evs, e, event.Event{}, e, full, e)
	}
	all.Kind = event.KindBinding
	evs = append(evs, all, event.Event{}, all)
	all.Kind, all.HasBinding = event.KindAnomaly, true
	evs = append(evs, all)
	all.HasBinding, all.Binding = false, dissect.Binding{}
	evs = append(evs, all, event.Event{})
	if len(paths) < 40 {
		t.Fatalf("only %d leaf fields found in event.Event", len(paths))
	}
	got := handOffAll(evs)
	if len(got) != len(evs) {
		t.Fatalf("%d events arrived, want %d", len(got), len(evs))
	}
	for i := range evs {
		if got[i] != evs[i] {
			t.Fatalf("event %d differs after the hand-over:\n got %+v\nwant %+v", i, got[i], evs[i])
		}
	}
}

// TestHandoffLongTexts: bindings whose texts fill the batch's byte space
// are handed over early and arrive whole.
func TestHandoffLongTexts(t *testing.T) {
	var evs []event.Event
	for i := 0; i < 3*handoffBytes/(2*dissect.MaxText); i++ {
		var e event.Event
		e.Kind, e.Frame = event.KindBinding, int64(i+1)
		e.Binding.Addr.SetString(strings.Repeat("a", dissect.MaxText-i%3))
		e.Binding.Endpoint.SetString(strings.Repeat("e", dissect.MaxText-i%5))
		evs = append(evs, e, event.Event{Kind: event.KindPDU, Frame: int64(i + 1)})
	}
	got := handOffAll(evs)
	if len(got) != len(evs) {
		t.Fatalf("%d events arrived, want %d", len(got), len(evs))
	}
	for i := range evs {
		if got[i] != evs[i] {
			t.Fatalf("event %d differs after the hand-over", i)
		}
	}
}

// TestHandoffLayout: the record most events fill stays within two cache
// lines.
func TestHandoffLayout(t *testing.T) {
	if n := unsafe.Sizeof(evCore{}); n > 128 {
		t.Fatalf("evCore is %d bytes, more than two cache lines", n)
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

// BenchmarkHandoff: the producer's cost per event (packing and batch
// hand-over) with a consumer that reads a few fields of each event (so that
// what the producer wrote travels to the consumer's CPU, as in rpcwatch
// read), for events without and with a binding.
func BenchmarkHandoff(b *testing.B) {
	var pdu, bind event.Event
	pdu.Kind, pdu.Frame, pdu.Client, pdu.Server = event.KindPDU, 1, testAddrPort("10.0.0.1", 49152), testAddrPort("10.0.0.2", 135)
	bind = pdu
	bind.Kind, bind.HasBinding = event.KindBinding, true
	bind.Binding.Addr.SetString("10.0.0.2")
	bind.Binding.Endpoint.SetString("49154")
	for _, c := range []struct {
		name string
		e    *event.Event
	}{{"pdu", &pdu}, {"binding", &bind}} {
		b.Run(c.name, func(b *testing.B) {
			var sink int64
			h := NewHandoff(func(e *event.Event) {
				sink += e.Frame + int64(e.Client.Port()) + int64(e.Binding.Addr.Len()+e.Binding.Endpoint.Len()) + int64(e.CallID)
			})
			h.Start()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				c.e.Frame = int64(i)
				h.Event(c.e)
			}
			h.Close()
			if sink == 0 {
				b.Fatal("consumer saw nothing")
			}
		})
	}
}
