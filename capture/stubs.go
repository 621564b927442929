package capture

import (
	"github.com/rpcwatch/rpcwatch/dissect"
	"github.com/rpcwatch/rpcwatch/dissect/dcom"
	"github.com/rpcwatch/rpcwatch/dissect/epm"
	"github.com/rpcwatch/rpcwatch/dissect/event"
	"github.com/rpcwatch/rpcwatch/dissect/ndr"
)

// IRemUnknown (00000131-0000-0000-c000-000000000046) is the interface an
// object exporter serves at the bindings ResolveOxid and activation return;
// rpcwatch files OXID and activation bindings under it.
var IRemUnknown = dissect.MustParseUUID("00000131-0000-0000-c000-000000000046")

// stubRunner decodes the response stubs rpcwatch reads and sends their
// events (the response's PDU event, bindings, anomalies) to h. A worker
// has one; in Go mode the Handoff's consumer has another, so that the
// stubs are decoded on the consumer's goroutine. Its binding and anomaly
// events are its own, reused; st counts what it reports (Bindings,
// Anomalies, StubErrors, NDR64Stubs).
type stubRunner struct {
	h        event.Handler
	st       *Stats
	dec      stubDecoders
	bev, aev event.Event
	meta     pduMeta
}

// stubDecoders holds one reused decoder per response stub rpcwatch reads.
type stubDecoders struct {
	lookup  epm.LookupResponse
	entries epm.EntryIter
	mapr    epm.MapResponse
	towers  epm.TowerIter

	resolve  dcom.ResolveOxidResponse
	resolve2 dcom.ResolveOxid2Response
	alive2   dcom.ServerAlive2Response
	remact   dcom.RemoteActivationResponse
	act      dcom.ActivationResponse
}

// response handles a complete response stub: EPM towers and DCOM string
// bindings become binding events after the PDU event e (whose Status is set
// to the stub's return code); other interfaces only get the PDU event.
//
// EPM stubs are decoded in the transfer syntax the context negotiated (NDR
// or NDR64: Windows clients negotiate NDR64 for the endpoint mapper). DCOM
// stubs in NDR64 are not decoded (DCOM uses NDR): the PDU event is sent and
// counted in Stats.NDR64Stubs.
func (w *worker) response(e *event.Event, stub []byte, le, ndr64 bool) {
	if w.hand != nil && readsStub(e.Iface.UUID, e.Opnum, ndr64) && w.hand.stub(e, stub, le, ndr64) {
		return
	}
	w.stubs.response(e, stub, le, ndr64)
}

// readsStub reports whether response decodes the stub of a response to
// opnum of iface, rather than only sending its PDU event: only such stubs
// are worth handing to the consumer's goroutine (any other is handled
// where it is, with the same result).
func readsStub(iface dissect.UUID, opnum uint16, ndr64 bool) bool {
	switch iface {
	case dissect.EPMv4:
		return opnum == uint16(epm.OpLookup) || opnum == uint16(epm.OpMap)
	case dissect.IObjectExporter:
		return !ndr64 && (opnum == uint16(dcom.OpResolveOxid) || opnum == uint16(dcom.OpResolveOxid2) || opnum == uint16(dcom.OpServerAlive2))
	case dissect.IRemoteActivation:
		return !ndr64 && opnum == 0
	case dissect.IRemoteSCMActivator:
		return !ndr64 && (opnum == 3 || opnum == 4)
	}
	return false
}

// response is worker.response's decoding (see there).
func (w *stubRunner) response(e *event.Event, stub []byte, le, ndr64 bool) {
	s := &w.dec
	iface := e.Iface.UUID
	syn := ndr.NDR20
	if ndr64 {
		syn = ndr.NDR64
	}
	switch {
	case ndr64 && iface != dissect.EPMv4:
		w.st.NDR64Stubs++
		w.h(e)
	case iface == dissect.EPMv4 && e.Opnum == uint16(epm.OpLookup):
		_, err := s.lookup.DecodeSyntax(stub, le, syn)
		e.Status = uint32(s.lookup.Status)
		w.h(e)
		w.stubAnomalies(e, &s.lookup.Anomalies, event.InEPMStub, err)
		s.entries.Reset(&s.lookup)
		for s.entries.Next() {
			en := s.entries.Entry()
			if en.HasTower {
				w.towerBinding(e, &en.Tower, en.Object)
			}
		}
	case iface == dissect.EPMv4 && e.Opnum == uint16(epm.OpMap):
		_, err := s.mapr.DecodeSyntax(stub, le, syn)
		e.Status = uint32(s.mapr.Status)
		w.h(e)
		w.stubAnomalies(e, &s.mapr.Anomalies, event.InEPMStub, err)
		s.towers.Reset(&s.mapr)
		for s.towers.Next() {
			t := s.towers.Tower()
			if t.HasTower {
				w.towerBinding(e, &t.Tower, dissect.NilUUID)
			}
		}
	case iface == dissect.IObjectExporter && e.Opnum == uint16(dcom.OpResolveOxid):
		_, err := s.resolve.Decode(stub, le)
		e.Status = s.resolve.Status
		w.dsaResponse(e, s.resolve.HasBindings, &s.resolve.Bindings, &s.resolve.Anomalies, err, IRemUnknown, event.SourceOXID)
	case iface == dissect.IObjectExporter && e.Opnum == uint16(dcom.OpResolveOxid2):
		_, err := s.resolve2.Decode(stub, le)
		e.Status = s.resolve2.Status
		w.dsaResponse(e, s.resolve2.HasBindings, &s.resolve2.Bindings, &s.resolve2.Anomalies, err, IRemUnknown, event.SourceOXID)
	case iface == dissect.IObjectExporter && e.Opnum == uint16(dcom.OpServerAlive2):
		_, err := s.alive2.Decode(stub, le)
		e.Status = s.alive2.Status
		w.dsaResponse(e, s.alive2.HasBindings, &s.alive2.Bindings, &s.alive2.Anomalies, err, dissect.IObjectExporter, event.SourceOXID)
	case iface == dissect.IRemoteActivation && e.Opnum == 0:
		_, err := s.remact.Decode(stub, le)
		e.Status = s.remact.HR
		w.dsaResponse(e, s.remact.HasBindings, &s.remact.Bindings, &s.remact.Anomalies, err, IRemUnknown, event.SourceActivation)
	case iface == dissect.IRemoteSCMActivator && (e.Opnum == 3 || e.Opnum == 4):
		_, err := s.act.Decode(stub, le)
		e.Status = s.act.HR
		d := s.act.Bindings()
		w.dsaResponse(e, d != nil, d, &s.act.Anomalies, err, IRemUnknown, event.SourceActivation)
	default:
		w.h(e)
	}
}

// stubAnomalies reports a stub's anomalies (and a decode failure).
func (w *stubRunner) stubAnomalies(e *event.Event, an *dissect.Anomalies, where event.Where, err error) {
	w.stubAnomaliesExcept(e, an, where, err, dissect.AnomNone)
}

// stubAnomaliesExcept is stubAnomalies leaving out anomalies of kind skip
// (reported elsewhere).
func (w *stubRunner) stubAnomaliesExcept(e *event.Event, an *dissect.Anomalies, where event.Where, err error, skip dissect.AnomalyKind) {
	m := &w.meta
	m.first, m.last, m.timeNs = e.FirstFrame, e.Frame, e.TimeNs
	if e.FromServer {
		m.src, m.dst = e.Server, e.Client
	} else {
		m.src, m.dst = e.Client, e.Server
	}
	if err != nil {
		w.st.StubErrors++
		if an.Len() == 0 {
			w.anomaly(m, e.FromServer, where, dissect.Anomaly{Kind: dissect.AnomTruncated}, e.Transport)
		}
	}
	for i := 0; i < an.Len(); i++ {
		if a := an.At(i); a.Kind != skip {
			w.anomaly(m, e.FromServer, where, a, e.Transport)
		}
	}
}

// anomaly reports one anomaly of a stub.
func (w *stubRunner) anomaly(m *pduMeta, fromServer bool, where event.Where, an dissect.Anomaly, transport uint8) {
	fillAnomaly(&w.aev, m, fromServer, where, an, transport)
	w.st.Anomalies++
	w.h(&w.aev)
}

// towerBinding reports the binding a tower advertises, and the tower's
// anomalies attached to it.
func (w *stubRunner) towerBinding(e *event.Event, t *epm.TowerInfo, object dissect.UUID) {
	b := beginBinding(&w.bev, e, t.Interface, object, event.SourceEPM)
	t.Binding(&b.Binding)
	w.st.Bindings++
	w.h(b)
	for i := 0; i < t.Anomalies.Len(); i++ {
		a := t.Anomalies.At(i)
		a.Off += t.Off
		w.bindingAnomaly(b, a, event.InTower)
	}
}

// bindingAnomaly reports an anomaly that belongs to the binding in b.
func (w *stubRunner) bindingAnomaly(b *event.Event, a dissect.Anomaly, where event.Where) {
	x := &w.aev
	*x = *b
	x.Kind, x.Anomaly, x.Where = event.KindAnomaly, a, where
	w.st.Anomalies++
	w.h(x)
}

// dsaResponse reports a DCOM response: the PDU event, the stub's anomalies
// that do not belong to a string binding, and each string binding with the
// anomalies found in it.
func (w *stubRunner) dsaResponse(e *event.Event, has bool, d *dcom.DualStringArray, an *dissect.Anomalies, err error,
	iface dissect.UUID, src event.Source) {
	w.h(e)
	// An invalid network address is reported once, attached to its string
	// binding below, not again as a stub-level anomaly.
	w.stubAnomaliesExcept(e, an, event.InDCOMStub, err, dissect.AnomDCOMInvalidNetworkAddress)
	if !has || d == nil {
		return
	}
	it := d.StringBindings()
	for it.Next() {
		sb := it.Entry()
		b := beginBinding(&w.bev, e, dissect.SyntaxID{UUID: iface}, dissect.NilUUID, src)
		b.Binding = sb.Binding
		w.st.Bindings++
		w.h(b)
		if sb.Checked && !sb.Kind.Valid() {
			w.bindingAnomaly(b, dissect.Anomaly{Kind: dissect.AnomDCOMInvalidNetworkAddress, Off: d.Base + sb.Off}, event.InStringBinding)
		}
	}
}
