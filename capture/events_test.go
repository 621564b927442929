package capture

import (
	"testing"

	"github.com/rpcwatch/rpcwatch/dissect"
	"github.com/rpcwatch/rpcwatch/dissect/event"
)

// TestEventsNoStaleFields checks what the partial resets in begin,
// beginBinding and connEvent rely on: every event carries only the fields of its kind,
// so nothing from an earlier event of another kind shows through.
func TestEventsNoStaleFields(t *testing.T) {
	c, _ := runFile(t, "../testdata/samba-epm-loopback.pcap")
	var kinds [16]int
	for i, e := range c.events {
		kinds[e.Kind&15]++
		var pdu, bind event.Event
		pdu.PType, pdu.Iface, pdu.IfaceOK, pdu.Opnum, pdu.OpnumOK = e.PType, e.Iface, e.IfaceOK, e.Opnum, e.OpnumOK
		pdu.CallID, pdu.ContextID, pdu.Status = e.CallID, e.ContextID, e.Status
		pdu.AckResult, pdu.AckReason, pdu.AckRejected = e.AckResult, e.AckReason, e.AckRejected
		pdu.ServerBoot, pdu.Activity, pdu.Seqnum = e.ServerBoot, e.Activity, e.Seqnum
		bind.Binding, bind.BindingIface, bind.BindingObject, bind.Source, bind.HasBinding = e.Binding, e.BindingIface, e.BindingObject, e.Source, e.HasBinding
		switch e.Kind {
		case event.KindConnAttempt, event.KindConnRefused, event.KindConnReset, event.KindConnClosed:
			if pdu != (event.Event{}) || bind != (event.Event{}) || e.Anomaly != (dissect.Anomaly{}) || e.Where != 0 || e.ICMPType != 0 || e.ICMPCode != 0 {
				t.Fatalf("event %d (%s, frame %d) has fields of another kind set: %+v", i, e.Kind, e.Frame, e)
			}
		case event.KindPDU:
			if bind != (event.Event{}) || e.Anomaly != (dissect.Anomaly{}) || e.Where != 0 || e.ICMPType != 0 || e.ICMPCode != 0 {
				t.Fatalf("event %d (pdu, frame %d) has non-PDU fields set: %+v", i, e.Frame, e)
			}
		case event.KindBinding:
			if pdu != (event.Event{}) || e.Anomaly != (dissect.Anomaly{}) || e.Where != 0 || e.ICMPType != 0 || e.ICMPCode != 0 {
				t.Fatalf("event %d (binding, frame %d) has non-binding fields set: %+v", i, e.Frame, e)
			}
			// Text invariant: bytes past the length are zero, so equal
			// bindings compare equal after a longer one was rendered.
			var fresh dissect.Binding
			fresh.Protseq, fresh.IP, fresh.Port, fresh.HasPort = e.Binding.Protseq, e.Binding.IP, e.Binding.Port, e.Binding.HasPort
			fresh.Addr.Set(e.Binding.Addr.Bytes())
			fresh.Endpoint.Set(e.Binding.Endpoint.Bytes())
			if fresh != e.Binding {
				t.Fatalf("event %d (binding, frame %d): stale bytes past a Text's length", i, e.Frame)
			}
		}
	}
	if kinds[event.KindPDU] == 0 || kinds[event.KindBinding] == 0 || kinds[event.KindConnAttempt] == 0 {
		t.Fatalf("no PDU or binding events: %v", kinds)
	}
}
