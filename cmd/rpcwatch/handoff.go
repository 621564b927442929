package main

import (
	"github.com/rpcwatch/rpcwatch/dissect"
	"github.com/rpcwatch/rpcwatch/dissect/event"
)

// handoff moves the pipeline's events to a second goroutine that runs the
// detector and the renderer, so that on a machine with two or more CPUs
// decoding and detection overlap (`rpcwatch read` on a file spends a third
// of its time in the detector and the output).
//
// Events are copied into a fixed ring of handoffBatches batches of
// handoffBatchEvents events each, allocated once per input; a full batch is
// sent to the consumer and an empty one taken back, so the producer waits
// when the consumer is handoffBatches batches behind: memory stays bounded
// and nothing is dropped. The consumer sees every event, in the order the
// pipeline emitted them, exactly as a synchronous handler would.
//
// Not used when output must follow each packet promptly (live) or when the
// finding handler reads state the producer writes (the evidence ring of -w
// on live captures and standard input).
type handoff struct {
	full, free chan *evBatch
	cur        *evBatch
	done       chan struct{}
}

const (
	handoffBatches     = 4
	handoffBatchEvents = 256
)

type evBatch struct {
	n   int
	evs [handoffBatchEvents]event.Event
	// bound marks the slots whose Binding is not zero (see copyEvent).
	bound [handoffBatchEvents]bool
}

// startHandoff starts the consumer, which calls consume for every event.
func startHandoff(consume func(*event.Event)) *handoff {
	h := &handoff{
		full: make(chan *evBatch, handoffBatches),
		free: make(chan *evBatch, handoffBatches),
		done: make(chan struct{}),
	}
	for i := 0; i < handoffBatches-1; i++ {
		h.free <- new(evBatch)
	}
	h.cur = new(evBatch)
	go func() {
		defer close(h.done)
		for b := range h.full {
			for i := 0; i < b.n; i++ {
				consume(&b.evs[i])
			}
			b.n = 0
			h.free <- b
		}
	}()
	return h
}

// event copies e for the consumer (the pipeline reuses its events).
func (h *handoff) event(e *event.Event) {
	b := h.cur
	b.bound[b.n] = copyEvent(&b.evs[b.n], e, b.bound[b.n])
	b.n++
	if b.n == len(b.evs) {
		h.full <- b
		h.cur = <-h.free
	}
}

// close hands over the last events and waits until the consumer has
// handled all of them.
func (h *handoff) close() {
	if h.cur.n > 0 {
		h.full <- h.cur
	}
	h.cur = nil
	close(h.full)
	<-h.done
}

// copyEvent sets *d to *e and reports whether d.Binding is now non-zero.
// bound says whether it was before. Most events (PDUs, connections) carry no
// binding, and Binding is two thirds of an Event, so those are copied field
// by field around it (handoff_test.go fails when a field is missing here).
func copyEvent(d, e *event.Event, bound bool) bool {
	if e.Kind == event.KindBinding || e.HasBinding || e.Binding != (dissect.Binding{}) {
		*d = *e
		return true
	}
	if bound {
		d.Binding = dissect.Binding{}
	}
	d.Kind, d.Frame, d.FirstFrame, d.TimeNs, d.Transport = e.Kind, e.Frame, e.FirstFrame, e.TimeNs, e.Transport
	d.Client, d.Server, d.FromServer = e.Client, e.Server, e.FromServer
	d.PType, d.Iface, d.IfaceOK, d.Opnum, d.OpnumOK = e.PType, e.Iface, e.IfaceOK, e.Opnum, e.OpnumOK
	d.CallID, d.ContextID, d.Status = e.CallID, e.ContextID, e.Status
	d.AckResult, d.AckReason, d.AckRejected = e.AckResult, e.AckReason, e.AckRejected
	d.ServerBoot, d.Activity, d.Seqnum = e.ServerBoot, e.Activity, e.Seqnum
	d.BindingIface, d.BindingObject, d.Source, d.HasBinding = e.BindingIface, e.BindingObject, e.Source, e.HasBinding
	d.Anomaly, d.Where = e.Anomaly, e.Where
	d.ICMPType, d.ICMPCode = e.ICMPType, e.ICMPCode
	return false
}
