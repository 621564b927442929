package capture

import (
	"net/netip"

	"github.com/rpcwatch/rpcwatch/dissect"
	"github.com/rpcwatch/rpcwatch/dissect/event"
)

// Per-association bounds. A connection that binds more contexts or keeps
// more calls outstanding than this is unusual; what does not fit replaces the
// oldest entry and is counted in Stats.
const (
	maxAssocContexts = 16
	maxAssocCalls    = 16
)

// ctxEntry maps a presentation context id to the interface it was bound to.
type ctxEntry struct {
	id       uint16
	iface    dissect.SyntaxID
	used     bool
	accepted bool
	ndr64    bool   // the accepted transfer syntax is NDR64
	callID   uint32 // the bind/alter_context that proposed it
	pos      uint8  // its position in that bind's context list
	pending  bool   // proposed, no bind_ack seen yet
	tick     uint32
}

// callEntry remembers a request until its response, so that the response
// (which carries no opnum) is attributed to its interface and operation.
type callEntry struct {
	used       bool
	id         uint32
	ctx        uint16
	opnum      uint16
	iface      dissect.SyntaxID
	ifaceOK    bool
	ndr64      bool
	firstFrame int64 // first frame of the response in progress (fragmented)
	tick       uint32
}

// assoc is the DCE/RPC state of one TCP connection: its presentation
// contexts, outstanding calls and stub reassembly per direction. It is
// reused across flows (Reset keeps the reassembly buffers).
type assoc struct {
	ctx   [maxAssocContexts]ctxEntry
	calls [maxAssocCalls]callEntry
	tick  uint32
	// reasm[0] reassembles client→server stubs, reasm[1] server→client.
	reasm [2]*dissect.COReassembler
	// reqFirst is the first frame of a fragmented request in progress.
	reqFirst int64
}

func (a *assoc) reset(lim dissect.COLimits) {
	// Only the used flags need clearing: propose and addCall overwrite a
	// whole entry when they take it, and every lookup and scan skips
	// entries that are not used (the LRU choice takes the first unused one
	// before comparing ticks). This spares clearing the ~1.5 KiB tables
	// for every connection that carries DCE/RPC.
	for i := range a.ctx {
		a.ctx[i].used = false
	}
	for i := range a.calls {
		a.calls[i].used = false
	}
	a.tick, a.reqFirst = 0, 0
	r0, r1 := a.reasm[0], a.reasm[1]
	if r0 == nil {
		r0 = dissect.NewCOReassembler(lim)
		r1 = dissect.NewCOReassembler(lim)
	} else {
		r0.Reset()
		r1.Reset()
	}
	a.reasm[0], a.reasm[1] = r0, r1
}

// context returns the entry for id, or nil.
func (a *assoc) context(id uint16) *ctxEntry {
	for i := range a.ctx {
		if a.ctx[i].used && a.ctx[i].id == id {
			return &a.ctx[i]
		}
	}
	return nil
}

// propose records a context offered by a bind or alter_context.
func (a *assoc) propose(callID uint32, pos int, pc *dissect.PresContext, st *Stats) {
	a.tick++
	e := a.context(pc.ID)
	if e == nil {
		e = &a.ctx[0]
		for i := range a.ctx {
			if !a.ctx[i].used {
				e = &a.ctx[i]
				break
			}
			if a.ctx[i].tick < e.tick {
				e = &a.ctx[i]
			}
		}
		if e.used {
			st.ContextsEvicted++
		}
	}
	*e = ctxEntry{id: pc.ID, iface: pc.Abstract, used: true, callID: callID, pos: uint8(pos), pending: true, tick: a.tick}
}

// call returns the outstanding call id, or nil.
func (a *assoc) call(id uint32) *callEntry {
	for i := range a.calls {
		if a.calls[i].used && a.calls[i].id == id {
			return &a.calls[i]
		}
	}
	return nil
}

// addCall records a request.
func (a *assoc) addCall(id uint32, ctx, opnum uint16, st *Stats) *callEntry {
	a.tick++
	e := a.call(id)
	if e == nil {
		e = &a.calls[0]
		for i := range a.calls {
			if !a.calls[i].used {
				e = &a.calls[i]
				break
			}
			if a.calls[i].tick < e.tick {
				e = &a.calls[i]
			}
		}
		if e.used {
			st.CallsEvicted++
		}
	}
	*e = callEntry{used: true, id: id, ctx: ctx, opnum: opnum, tick: a.tick}
	if c := a.context(ctx); c != nil {
		e.iface, e.ifaceOK, e.ndr64 = c.iface, true, c.ndr64
	}
	return e
}

// pduMeta is what the pipeline knows about the PDU being handled: where it
// came from and which frames carried it.
type pduMeta struct {
	first, last int64
	timeNs      int64
	src, dst    netip.AddrPort
	// fromServer is the sender's role as the TCP stream knows it (used
	// when the PDU itself cannot tell: it did not decode).
	fromServer bool
}

// coPDU handles one whole connection-oriented PDU cut from a TCP stream.
func (w *worker) coPDU(a *assoc, b []byte, m *pduMeta) {
	p := &w.co
	if _, err := p.Decode(b); err != nil {
		w.stats.PDUErrors++
		w.anomalyEvent(m, m.fromServer, event.InCOPDU, dissect.Anomaly{Kind: dissect.AnomTruncated, Off: 0, A: uint32(len(b))}, event.TCP)
		return
	}
	w.stats.PDUs++
	w.stats.PDUTypes[p.Header.Type&31]++
	fromServer := serverSends(p.Header.Type)
	e := w.begin(event.KindPDU, m, fromServer, event.TCP)
	e.PType = p.Header.Type
	e.CallID = p.Header.CallID
	dir := 0
	if fromServer {
		dir = 1
	}
	switch p.Header.Type {
	case dissect.PTypeBind, dissect.PTypeAlterContext:
		for i := 0; i < p.NContexts; i++ {
			a.propose(p.Header.CallID, i, &p.Contexts[i], &w.stats)
		}
		if p.NContexts > 0 {
			e.Iface, e.IfaceOK = p.Contexts[0].Abstract, true
			e.ContextID = p.Contexts[0].ID
		}
	case dissect.PTypeBindAck, dissect.PTypeAlterContextResp:
		w.bindAck(a, p, e)
	case dissect.PTypeBindNak:
		e.Status = uint32(p.RejectReason)
		for i := range a.ctx {
			c := &a.ctx[i]
			if c.used && c.pending && c.callID == p.Header.CallID {
				e.Iface, e.IfaceOK = c.iface, true
				c.pending = false
			}
		}
	case dissect.PTypeRequest:
		e.ContextID, e.Opnum, e.OpnumOK = p.ContextID, p.Opnum, true
		c := a.addCall(p.Header.CallID, p.ContextID, p.Opnum, &w.stats)
		e.Iface, e.IfaceOK = c.iface, c.ifaceOK
	case dissect.PTypeResponse, dissect.PTypeFault:
		e.ContextID = p.ContextID
		e.Status = p.Status
		if c := a.call(p.Header.CallID); c != nil {
			e.Iface, e.IfaceOK = c.iface, c.ifaceOK
			e.Opnum, e.OpnumOK = c.opnum, true
		} else if cx := a.context(p.ContextID); cx != nil {
			e.Iface, e.IfaceOK = cx.iface, true
		}
	}
	w.coAnomalies(p, m)

	// Stub reassembly and the stubs rpcwatch reads.
	switch p.Header.Type {
	case dissect.PTypeRequest, dissect.PTypeResponse, dissect.PTypeFault:
	default:
		w.emit(e)
		return
	}
	first := m.first
	c := a.call(p.Header.CallID)
	if p.Header.Flags&dissect.PFCFirstFrag != 0 && p.Header.Flags&dissect.PFCLastFrag == 0 {
		if dir == 1 && c != nil {
			c.firstFrame = m.first
		} else if dir == 0 {
			a.reqFirst = m.first
		}
	}
	if p.Header.Flags&dissect.PFCFirstFrag == 0 {
		if dir == 1 && c != nil && c.firstFrame != 0 {
			first = c.firstFrame
		} else if dir == 0 && a.reqFirst != 0 {
			first = a.reqFirst
		}
	}
	stub, _, done := a.reasm[dir].Add(p)
	if !done {
		return // the PDU event is sent with the fragment that completes the call
	}
	e.FirstFrame = first
	if p.Header.Type != dissect.PTypeResponse || !e.IfaceOK || !e.OpnumOK {
		w.emit(e)
		if p.Header.Type != dissect.PTypeRequest && c != nil {
			c.used = false
		}
		return
	}
	w.response(e, stub, p.Header.LittleEndian(), c != nil && c.ndr64)
	if c != nil {
		c.used = false
	}
}

// bindAck applies a bind_ack or alter_context_resp to the proposed contexts
// (results are positional) and reports the first rejection.
func (w *worker) bindAck(a *assoc, p *dissect.COPDU, e *event.Event) {
	for i := range a.ctx {
		c := &a.ctx[i]
		if !c.used || !c.pending || c.callID != p.Header.CallID {
			continue
		}
		c.pending = false
		if int(c.pos) >= p.NResults {
			continue
		}
		r := &p.Results[c.pos]
		c.accepted = r.Result == dissect.AckAcceptance
		c.ndr64 = c.accepted && r.Transfer.UUID == dissect.NDR64
		if !e.IfaceOK || (!e.AckRejected && !c.accepted && !isNegotiation(*r)) {
			e.Iface, e.IfaceOK, e.ContextID = c.iface, true, c.id
		}
		if !c.accepted && !e.AckRejected && !isNegotiation(*r) {
			e.AckRejected, e.AckResult, e.AckReason = true, r.Result, r.Reason
		}
		if c.accepted && !isBindTimeFeature(c.iface) {
			w.trafficBinding(e, c.iface, dissect.NcacnIPTCP)
		}
	}
	if p.NResults > 0 && !e.AckRejected {
		for i := 0; i < p.NResults; i++ {
			if r := p.Results[i]; r.Result != dissect.AckAcceptance && !isNegotiation(r) {
				e.AckRejected, e.AckResult, e.AckReason = true, r.Result, r.Reason
				break
			}
		}
	}
}

// isNegotiation reports whether a non-accepted result is an MS-RPCE bind
// time feature negotiation answer or an NDR64-vs-NDR transfer syntax
// refusal, which are part of normal binds rather than failures.
func isNegotiation(r dissect.Result) bool {
	return r.Result == dissect.AckNegotiateAck || r.Reason == dissect.ReasonProposedTransferNotSupported
}

// isBindTimeFeature reports whether a context's abstract syntax is the
// MS-RPCE bind time feature negotiation pseudo-syntax (6cb71c2c-...).
func isBindTimeFeature(s dissect.SyntaxID) bool {
	return s.UUID[0] == 0x6c && s.UUID[1] == 0xb7 && s.UUID[2] == 0x1c && s.UUID[3] == 0x2c
}

// serverSends reports whether PDUs of type t go from server to client.
func serverSends(t dissect.PType) bool {
	switch t {
	case dissect.PTypeResponse, dissect.PTypeFault, dissect.PTypeBindAck, dissect.PTypeBindNak,
		dissect.PTypeAlterContextResp, dissect.PTypeShutdown, dissect.PTypeWorking, dissect.PTypeNocall,
		dissect.PTypeReject, dissect.PTypeFack, dissect.PTypeCancelAck:
		return true
	}
	return false
}

// clPDU handles one connectionless datagram.
func (w *worker) clPDU(b []byte, m *pduMeta) bool {
	p := &w.cl
	if _, err := p.Decode(b); err != nil {
		return false // not DCE/RPC: UDP carries many things
	}
	w.stats.PDUs++
	w.stats.PDUTypes[p.Header.Type&31]++
	h := &p.Header
	fromServer := serverSends(h.Type)
	e := w.begin(event.KindPDU, m, fromServer, event.UDP)
	e.PType = h.Type
	e.Iface, e.IfaceOK = h.Interface, true
	e.Opnum, e.OpnumOK = h.Opnum, true
	e.ServerBoot, e.Activity, e.Seqnum = h.ServerBoot, h.Activity, h.Seq
	e.Status = p.Status
	for i := 0; i < p.Anomalies.Len(); i++ {
		w.anomalyEvent(m, fromServer, event.InCLPDU, p.Anomalies.At(i), event.UDP)
	}
	switch h.Type {
	case dissect.PTypeRequest, dissect.PTypeResponse:
	default:
		w.emit(e)
		return true
	}
	body, _, done := w.clReasm.Add(p)
	if !done {
		return true
	}
	if h.Type == dissect.PTypeResponse {
		w.trafficBinding(e, h.Interface, dissect.NcadgIPUDP)
		w.response(e, body, h.LittleEndian(), false)
		return true
	}
	w.emit(e)
	return true
}

// trafficBinding reports that the server endpoint of e answered for iface:
// a binding learned from traffic rather than advertised.
func (w *worker) trafficBinding(e *event.Event, iface dissect.SyntaxID, ps dissect.Protseq) {
	b := beginBinding(&w.bev, e, iface, dissect.NilUUID, event.SourceTraffic)
	b.Binding.Protseq = ps
	b.Binding.SetIP(e.Server.Addr().Unmap())
	b.Binding.SetPort(e.Server.Port())
	w.stats.Bindings++
	w.h(b)
}

// begin fills the shared event with the frame, time and endpoints of m.
func (w *worker) begin(k event.Kind, m *pduMeta, fromServer bool, transport uint8) *event.Event {
	e := &w.ev
	// w.ev carries only PDU events, so its binding, anomaly and ICMP
	// fields are never set and stay zero (handlers must not modify
	// events). Resetting the header and PDU fields one by one avoids
	// clearing the whole Event, most of which is the binding's two Texts:
	// it was the costliest line of the PDU path.
	e.Kind, e.Frame, e.FirstFrame, e.TimeNs, e.Transport, e.FromServer = k, m.last, m.first, m.timeNs, transport, fromServer
	e.PType, e.Iface, e.IfaceOK, e.Opnum, e.OpnumOK = 0, dissect.SyntaxID{}, false, 0, false
	e.CallID, e.ContextID, e.Status = 0, 0, 0
	e.AckResult, e.AckReason, e.AckRejected = 0, 0, false
	e.ServerBoot, e.Activity, e.Seqnum = 0, dissect.UUID{}, 0
	if fromServer {
		e.Server, e.Client = m.src, m.dst
	} else {
		e.Server, e.Client = m.dst, m.src
	}
	return e
}

// beginBinding fills b, a reused binding event, with e's frame, time and
// endpoints and the given interface, object and source, and returns it; the
// caller then sets every field of Binding (SetIP or Addr.Set, SetPort or
// Endpoint.Set, Protseq), which the Text setters do without clearing all
// 255 bytes.
//
// b carries only binding events (worker.bev, stubRunner.bev), so its PDU,
// anomaly and ICMP fields are never set and stay zero (handlers must not
// modify events): only the header and binding fields are assigned, rather
// than clearing the ~800-byte Event per tower.
func beginBinding(b, e *event.Event, iface dissect.SyntaxID, object dissect.UUID, src event.Source) *event.Event {
	b.Kind, b.Frame, b.FirstFrame, b.TimeNs = event.KindBinding, e.Frame, e.FirstFrame, e.TimeNs
	b.Transport, b.Client, b.Server, b.FromServer = e.Transport, e.Client, e.Server, e.FromServer
	b.BindingIface, b.BindingObject, b.Source, b.HasBinding = iface, object, src, true
	return b
}

func (w *worker) emit(e *event.Event) { w.h(e) }

// anomalyEvent reports one structural anomaly.
func (w *worker) anomalyEvent(m *pduMeta, fromServer bool, where event.Where, an dissect.Anomaly, transport uint8) {
	fillAnomaly(&w.aev, m, fromServer, where, an, transport)
	w.stats.Anomalies++
	w.h(&w.aev)
}

// fillAnomaly sets a to the anomaly an found in the PDU m describes.
func fillAnomaly(a *event.Event, m *pduMeta, fromServer bool, where event.Where, an dissect.Anomaly, transport uint8) {
	*a = event.Event{Kind: event.KindAnomaly, Frame: m.last, FirstFrame: m.first, TimeNs: m.timeNs,
		Transport: transport, FromServer: fromServer, Anomaly: an, Where: where}
	if fromServer {
		a.Server, a.Client = m.src, m.dst
	} else {
		a.Server, a.Client = m.dst, m.src
	}
}

func (w *worker) coAnomalies(p *dissect.COPDU, m *pduMeta) {
	fromServer := serverSends(p.Header.Type)
	for i := 0; i < p.Anomalies.Len(); i++ {
		w.anomalyEvent(m, fromServer, event.InCOPDU, p.Anomalies.At(i), event.TCP)
	}
}
