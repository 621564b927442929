package capture

import (
	"github.com/rpcwatch/rpcwatch/dissect"
	"github.com/rpcwatch/rpcwatch/dissect/event"
)

// Handoff runs an event handler on a goroutine of its own: the pipeline's
// handler copies each event into a batch and goes on, so that on a machine
// with two or more CPUs the pipeline and what consumes its events (rpcwatch
// read: the detector and the output) overlap.
//
// Events are copied into a fixed ring of handoffBatches batches of
// handoffBatchEvents events each, allocated by NewHandoff; a full batch is
// sent to the consumer and an empty one taken back, so the producer waits
// when the consumer is handoffBatches batches behind: memory stays bounded
// and nothing is dropped. The consumer sees every event, in the order the
// pipeline emitted them, exactly as a synchronous handler would.
//
// Not for consumers that must follow each packet promptly (live output:
// events wait for a batch to fill) or that share state with the producer
// without synchronisation.
//
// # Allocation
//
// NewHandoff allocates the batches, Start the goroutine and two channels;
// Event allocates nothing.
type Handoff struct {
	consume    event.Handler
	full, free chan *evBatch
	cur        *evBatch
	done       chan struct{}
}

const (
	handoffBatches     = 4
	handoffBatchEvents = 1024
)

type evBatch struct {
	n   int
	evs [handoffBatchEvents]event.Event
	// bound marks the slots whose Binding is not zero (see copyEvent).
	bound [handoffBatchEvents]bool
}

// NewHandoff allocates the batches for a consumer that calls consume for
// every event given to Event, in order; Start starts it.
func NewHandoff(consume event.Handler) *Handoff {
	h := &Handoff{consume: consume, free: make(chan *evBatch, handoffBatches)}
	for i := 0; i < handoffBatches; i++ {
		h.free <- new(evBatch)
	}
	return h
}

// StartHandoff is NewHandoff and Start.
func StartHandoff(consume event.Handler) *Handoff {
	h := NewHandoff(consume)
	h.Start()
	return h
}

// Start starts the consumer goroutine. Call Close when the producer is done;
// the Handoff can then be started again (its batches are reused).
func (h *Handoff) Start() {
	h.full, h.done = make(chan *evBatch, handoffBatches), make(chan struct{})
	h.cur = <-h.free
	go h.consumeAll(h.full, h.done)
}

func (h *Handoff) consumeAll(full <-chan *evBatch, done chan<- struct{}) {
	defer close(done)
	for b := range full {
		for i := 0; i < b.n; i++ {
			h.consume(&b.evs[i])
		}
		b.n = 0
		h.free <- b
	}
}

// Event copies e for the consumer (the pipeline reuses its events); it is
// an event.Handler for the producer's goroutine.
func (h *Handoff) Event(e *event.Event) {
	b := h.cur
	b.bound[b.n] = copyEvent(&b.evs[b.n], e, b.bound[b.n])
	b.n++
	if b.n == len(b.evs) {
		h.full <- b
		h.cur = <-h.free
	}
}

// Close hands over the last events and waits until the consumer has
// handled all of them.
func (h *Handoff) Close() {
	if h.cur.n > 0 {
		h.full <- h.cur
	} else {
		h.free <- h.cur
	}
	h.cur = nil
	close(h.full)
	<-h.done
}

// copyEvent copies *e to *d and reports whether d.Binding is now non-zero;
// bound says whether it was before. Binding is defined only for binding
// events and anomalies with HasBinding (event.Event's doc), and it is two
// thirds of an Event, so the other events (PDUs, connections: most of them)
// are copied field by field around it, and d.Binding is left zero (cleared
// when the slot held one). handoff_test.go fails when a field is missing.
func copyEvent(d, e *event.Event, bound bool) bool {
	if e.Kind == event.KindBinding || e.HasBinding {
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
