package capture

import (
	"net/netip"

	"github.com/rpcwatch/rpcwatch/dissect"
	"github.com/rpcwatch/rpcwatch/dissect/event"
)

// Handoff runs an event handler on a goroutine of its own: the pipeline's
// handler packs each event into a batch and goes on, so that on a machine
// with two or more CPUs the pipeline and what consumes its events (rpcwatch
// read: the detector and the output) overlap.
//
// Events are packed into a fixed ring of handoffBatches batches, allocated
// by NewHandoff; a full batch is sent to the consumer and an empty one taken
// back, so the producer waits when the consumer is handoffBatches batches
// behind: memory stays bounded and nothing is dropped. The consumer sees
// every event, in the order the pipeline emitted them, exactly as a
// synchronous handler would (each unpacked into one event.Event the
// Handoff reuses, as the pipeline reuses its own).
//
// Packing is what makes the hand-over cheap: an event.Event is 800 bytes,
// two thirds of them a Binding that only binding events carry, and the
// cache lines the producer writes must travel to the consumer's CPU. Most
// events (PDUs, connections) fill one 128-byte record; the fields only CL
// PDUs, bindings and anomalies carry, and a binding's texts (their used
// bytes only), go to side arrays for the events that have them.
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

	// ev is the consumer's unpacked event; evMore and evBound say whether
	// its rare fields and its Binding may be non-zero (unpack clears them
	// only then).
	ev              event.Event
	evMore, evBound bool

	// runner, when set (Pipeline.Go), decodes on the consumer's goroutine
	// the response stubs given to stub (up to maxStub bytes each), counting
	// in stubStats; deferred counts the stubs it took.
	runner    *stubRunner
	stubStats Stats
	maxStub   int
	deferred  uint64
}

const (
	handoffBatches     = 4
	handoffBatchEvents = 1024
	// handoffBytes holds the texts of a batch's bindings and the response
	// stubs it carries; a batch is handed over early when the next
	// binding's texts or stub would not fit (a binding's two texts take at
	// most 2*dissect.MaxText bytes, a stub at most handoffMaxStub).
	handoffBytes = 256 << 10
	// handoffMaxStub is the largest response stub decoded on the
	// consumer's goroutine (Pipeline.Go); larger ones (an endpoint-mapper
	// answer carries about 100 bytes per tower) are decoded by the producer.
	handoffMaxStub = 64 << 10
)

// evCore is the part of an event.Event that every event may carry, in 128
// bytes: two cache lines.
type evCore struct {
	Frame, FirstFrame, TimeNs int64
	// Client and Server, as netip.AddrPort would hold them but packed
	client, server         netip.Addr
	clientPort, serverPort uint16
	Iface                  dissect.SyntaxID
	CallID, Status         uint32
	Opnum, ContextID       uint16
	AckResult              dissect.AckResult
	AckReason              dissect.ProviderReason
	Kind                   event.Kind
	Transport              uint8
	PType                  dissect.PType
	FromServer, IfaceOK    bool
	OpnumOK, AckRejected   bool
	// more: evMore holds the rest of the fields; bound: evBind holds a
	// Binding; stub: the event is a response whose stub (evStub) the
	// consumer decodes (Handoff.stub)
	more, bound, stub bool
}

// evStub locates a response stub in evBatch.bytes.
type evStub struct {
	at, n     uint32
	le, ndr64 bool
}

// evMore is the part of an event.Event that only some events carry (CL
// PDUs, bindings, anomalies, ICMP errors).
type evMore struct {
	ServerBoot, Seqnum uint32
	Activity           dissect.UUID
	BindingIface       dissect.SyntaxID
	BindingObject      dissect.UUID
	Anomaly            dissect.Anomaly
	Source             event.Source
	HasBinding         bool
	Where              event.Where
	ICMPType, ICMPCode uint8
}

// hasMore reports whether any of e's evMore fields is not zero.
func hasMore(e *event.Event) bool {
	return e.ServerBoot != 0 || e.Seqnum != 0 || e.Activity != (dissect.UUID{}) ||
		e.BindingIface != (dissect.SyntaxID{}) || e.BindingObject != (dissect.UUID{}) ||
		e.Anomaly != (dissect.Anomaly{}) || e.Source != 0 || e.HasBinding || e.Where != 0 ||
		e.ICMPType != 0 || e.ICMPCode != 0
}

// evBind is a Binding without its text arrays: Addr and Endpoint are
// evBatch.bytes[at:at+addrLen] and the endpoint's length after it.
type evBind struct {
	IP             netip.Addr
	at             uint32
	addrLen, epLen uint8
	Protseq        dissect.Protseq
	Port           uint16
	HasPort        bool
}

type evBatch struct {
	n     int
	used  int // of bytes
	core  [handoffBatchEvents]evCore
	more  [handoffBatchEvents]evMore
	binds [handoffBatchEvents]evBind
	stubs [handoffBatchEvents]evStub
	bytes [handoffBytes]byte
}

// NewHandoff allocates the batches for a consumer that calls consume for
// every event given to Event, in order; Start starts it.
func NewHandoff(consume event.Handler) *Handoff {
	h := &Handoff{consume: consume, free: make(chan *evBatch, handoffBatches), maxStub: handoffMaxStub}
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
			e := h.unpack(b, i)
			if b.core[i].stub {
				s := &b.stubs[i]
				h.runner.response(e, b.bytes[s.at:s.at+s.n], s.le, s.ndr64)
				continue
			}
			h.consume(e)
		}
		b.n, b.used = 0, 0
		h.free <- b
	}
}

// Event packs e for the consumer (the pipeline reuses its events); it is an
// event.Handler for the producer's goroutine.
func (h *Handoff) Event(e *event.Event) { h.put(e, nil, false, false, false) }

// stub hands the response PDU event e and its stub to the consumer, which
// decodes the stub (stubRunner.response) and sends e and what the stub
// carries to its handler; it reports false, having done nothing, when the
// Handoff has no runner or the stub is larger than maxStub.
func (h *Handoff) stub(e *event.Event, stub []byte, le, ndr64 bool) bool {
	if h.runner == nil || len(stub) > h.maxStub {
		return false
	}
	h.deferred++
	h.put(e, stub, true, le, ndr64)
	return true
}

// put packs e, and the stub when isStub, into the current batch, handing
// the batch over first when their bytes (a binding's texts, the stub) would
// not fit, and after when it is full.
func (h *Handoff) put(e *event.Event, stub []byte, isStub, le, ndr64 bool) {
	b := h.cur
	bound := e.Kind == event.KindBinding || e.HasBinding
	need := len(stub)
	if bound {
		need += e.Binding.Addr.Len() + e.Binding.Endpoint.Len()
	}
	if b.used+need > len(b.bytes) {
		h.handOver()
		b = h.cur
	}
	i := b.n
	b.pack(e, bound)
	if isStub {
		b.core[i].stub = true
		b.stubs[i] = evStub{at: uint32(b.used), n: uint32(len(stub)), le: le, ndr64: ndr64}
		b.used += copy(b.bytes[b.used:], stub)
	}
	if b.n == len(b.core) {
		h.handOver()
	}
}

// handOver sends the current batch to the consumer and takes an empty one.
func (h *Handoff) handOver() {
	h.full <- h.cur
	h.cur = <-h.free
}

// pack appends e to b (which has room). Binding is defined only for binding
// events and anomalies with HasBinding (event.Event's doc): bound says e is
// one; the others' Binding is not carried (the consumer sees it zero).
func (b *evBatch) pack(e *event.Event, bound bool) {
	i := b.n
	b.n++
	c := &b.core[i]
	c.Frame, c.FirstFrame, c.TimeNs = e.Frame, e.FirstFrame, e.TimeNs
	c.client, c.clientPort = e.Client.Addr(), e.Client.Port()
	c.server, c.serverPort = e.Server.Addr(), e.Server.Port()
	c.Iface, c.CallID, c.Status, c.Opnum, c.ContextID = e.Iface, e.CallID, e.Status, e.Opnum, e.ContextID
	c.AckResult, c.AckReason = e.AckResult, e.AckReason
	c.Kind, c.Transport, c.PType = e.Kind, e.Transport, e.PType
	c.FromServer, c.IfaceOK, c.OpnumOK, c.AckRejected = e.FromServer, e.IfaceOK, e.OpnumOK, e.AckRejected
	c.more, c.bound, c.stub = hasMore(e), bound, false
	if c.more {
		m := &b.more[i]
		m.ServerBoot, m.Seqnum, m.Activity = e.ServerBoot, e.Seqnum, e.Activity
		m.BindingIface, m.BindingObject, m.Anomaly = e.BindingIface, e.BindingObject, e.Anomaly
		m.Source, m.HasBinding, m.Where, m.ICMPType, m.ICMPCode = e.Source, e.HasBinding, e.Where, e.ICMPType, e.ICMPCode
	}
	if bound {
		s, d := &e.Binding, &b.binds[i]
		d.IP, d.Protseq, d.Port, d.HasPort = s.IP, s.Protseq, s.Port, s.HasPort
		d.at = uint32(b.used)
		d.addrLen, d.epLen = uint8(s.Addr.Len()), uint8(s.Endpoint.Len())
		b.used += copy(b.bytes[b.used:], s.Addr.Bytes())
		b.used += copy(b.bytes[b.used:], s.Endpoint.Bytes())
	}
}

// unpack returns b's event i in h.ev, exactly as it was given to Event.
func (h *Handoff) unpack(b *evBatch, i int) *event.Event {
	e, c := &h.ev, &b.core[i]
	e.Frame, e.FirstFrame, e.TimeNs = c.Frame, c.FirstFrame, c.TimeNs
	e.Client = netip.AddrPortFrom(c.client, c.clientPort)
	e.Server = netip.AddrPortFrom(c.server, c.serverPort)
	e.Iface, e.CallID, e.Status, e.Opnum, e.ContextID = c.Iface, c.CallID, c.Status, c.Opnum, c.ContextID
	e.AckResult, e.AckReason = c.AckResult, c.AckReason
	e.Kind, e.Transport, e.PType = c.Kind, c.Transport, c.PType
	e.FromServer, e.IfaceOK, e.OpnumOK, e.AckRejected = c.FromServer, c.IfaceOK, c.OpnumOK, c.AckRejected
	switch {
	case c.more:
		m := &b.more[i]
		e.ServerBoot, e.Seqnum, e.Activity = m.ServerBoot, m.Seqnum, m.Activity
		e.BindingIface, e.BindingObject, e.Anomaly = m.BindingIface, m.BindingObject, m.Anomaly
		e.Source, e.HasBinding, e.Where, e.ICMPType, e.ICMPCode = m.Source, m.HasBinding, m.Where, m.ICMPType, m.ICMPCode
		h.evMore = true
	case h.evMore:
		e.ServerBoot, e.Seqnum, e.Activity = 0, 0, dissect.UUID{}
		e.BindingIface, e.BindingObject, e.Anomaly = dissect.SyntaxID{}, dissect.UUID{}, dissect.Anomaly{}
		e.Source, e.HasBinding, e.Where, e.ICMPType, e.ICMPCode = 0, false, 0, 0, 0
		h.evMore = false
	}
	switch {
	case c.bound:
		s, d := &b.binds[i], &e.Binding
		d.IP, d.Protseq, d.Port, d.HasPort = s.IP, s.Protseq, s.Port, s.HasPort
		at, mid := int(s.at), int(s.at)+int(s.addrLen)
		d.Addr.Set(b.bytes[at:mid])
		d.Endpoint.Set(b.bytes[mid : mid+int(s.epLen)])
		h.evBound = true
	case h.evBound:
		e.Binding = dissect.Binding{}
		h.evBound = false
	}
	return e
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
