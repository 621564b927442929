package detect

import (
	"net/netip"
	"strconv"

	"github.com/rpcwatch/rpcwatch/dissect"
	"github.com/rpcwatch/rpcwatch/dissect/event"
	"github.com/rpcwatch/rpcwatch/dissect/names"
)

// pdu handles a DCE/RPC PDU: boot times, traffic to moved endpoints,
// rejections and faults. The common case (a PDU on a known endpoint that
// is fine) touches one map entry and allocates nothing.
func (d *Detector) pdu(e *event.Event) {
	if e.FromServer && e.PType == dissect.PTypeResponse && e.IfaceOK && e.Iface.UUID == dissect.EPMv4 && e.OpnumOK && e.Opnum == 2 {
		d.lastLookup = lookupMark{frame: e.Frame, client: e.Client, server: e.Server}
	}
	tr := e.Transport
	ep := d.endpointAt(e.Server, tr)
	cl := tr == event.UDP
	if ep != nil && cl && e.FromServer && e.ServerBoot != 0 {
		d.boot(ep, e)
	}
	switch e.PType {
	case dissect.PTypeRequest, dissect.PTypeBind, dissect.PTypeAlterContext, dissect.PTypePing:
		if e.FromServer || ep == nil {
			return
		}
		if cl && e.ServerBoot != 0 && ep.hasOld && e.ServerBoot == ep.oldBoot && ep.boot != ep.oldBoot {
			r := ep.latest()
			if e.IfaceOK {
				if x := ep.find(&e.Iface); x != nil {
					r = x
				}
			}
			d.stale(e, ep, r, CauseOldBoot, e.ServerBoot)
			return
		}
		if !e.IfaceOK {
			return
		}
		if r := ep.find(&e.Iface); r != nil {
			d.bindLRU.front(r)
			if r.moved {
				d.stale(e, ep, r, CauseTrafficAfterMove, 0)
			}
		}
	case dissect.PTypeBindAck, dissect.PTypeAlterContextResp:
		// Only "abstract syntax not supported" says the interface is not
		// served; a rejected transfer syntax is NDR64 or bind-time-feature
		// negotiation next to an accepted context.
		if !e.AckRejected || e.AckResult != dissect.AckProviderRejection || e.AckReason != dissect.ReasonAbstractSyntaxNotSupported ||
			ep == nil || !e.IfaceOK {
			return
		}
		if r := ep.find(&e.Iface); r != nil {
			d.stale(e, ep, r, CauseBindRejected, uint32(e.AckReason))
		}
	case dissect.PTypeFault, dissect.PTypeReject, dissect.PTypeBindNak:
		if !e.FromServer {
			return
		}
		d.fault(e)
		if ep == nil {
			return
		}
		r := ep.latest()
		if e.IfaceOK {
			r = ep.find(&e.Iface)
		}
		if r == nil {
			return
		}
		switch e.PType {
		case dissect.PTypeBindNak:
			if dissect.RejectReason(e.Status) != dissect.RejectProtocolVersionNotSupp { // protocol-version-not-supported negotiates
				d.stale(e, ep, r, CauseBindNak, e.Status)
			}
		default:
			stale, weak := staleStatus(e.Status)
			if !stale || (weak && !advertised(r)) {
				return
			}
			c := CauseFault
			if e.PType == dissect.PTypeReject {
				c = CauseReject
			}
			d.stale(e, ep, r, c, e.Status)
		}
	case dissect.PTypeNocall:
		if !e.FromServer || ep == nil {
			return
		}
		r := ep.latest()
		if e.IfaceOK {
			r = ep.find(&e.Iface)
		}
		if r != nil {
			d.stale(e, ep, r, CauseNocall, 0)
		}
	}
}

// advertised: a server advertised the binding (EPM, OXID, activation),
// rather than it only being seen in traffic.
func advertised(r *binding) bool {
	return r.sources.Has(event.SourceEPM) || r.sources.Has(event.SourceOXID) || r.sources.Has(event.SourceActivation)
}

// failure handles a refused connection or an ICMP unreachable for a
// learned endpoint.
func (d *Detector) failure(e *event.Event, c StaleCause, tr uint8, status uint32) {
	ep := d.endpointAt(e.Server, tr)
	if ep == nil {
		return
	}
	if r := ep.latest(); r != nil {
		d.stale(e, ep, r, c, status)
	}
}

// boot tracks a CL server's boot time.
func (d *Detector) boot(ep *endpoint, e *event.Event) {
	switch {
	case ep.boot == 0:
		ep.boot, ep.bootFrame = e.ServerBoot, e.Frame
	case ep.boot == e.ServerBoot:
		ep.bootFrame = e.Frame
	default:
		x := new(rebootFinding)
		f := &x.f
		initFinding(f, RuleServerReboot, SeverityLow, e)
		x.d = RebootDetail{OldBoot: ep.boot, NewBoot: e.ServerBoot, OldBootFrame: ep.bootFrame}
		f.Reboot = &x.d
		f.AddEvidence(ep.bootFrame)
		if r := ep.latest(); r != nil {
			f.Iface, f.IfaceOK = r.key.iface, true
		}
		if e.IfaceOK {
			f.Iface, f.IfaceOK = e.Iface, true
		}
		s := append(d.text[:0], "connectionless server "...)
		s = appendAddrPort(s, e.Server)
		s = append(s, " changed its boot time from "...)
		s = appendInt(s, int64(ep.boot))
		s = append(s, " to "...)
		s = appendInt(s, int64(e.ServerBoot))
		s = append(s, " (restarted after frame "...)
		s = appendInt(s, ep.bootFrame)
		f.Detail = d.detail(append(s, ')'))
		ep.oldBoot, ep.hasOld = ep.boot, true
		ep.boot, ep.bootFrame = e.ServerBoot, e.Frame
		ep.staleClient = netip.AddrPort{}
		d.report(f)
	}
}

// stale reports a stale-binding finding once per client connection.
func (d *Detector) stale(e *event.Event, ep *endpoint, r *binding, c StaleCause, status uint32) {
	if ep.staleClient == e.Client && ep.staleClient.IsValid() {
		d.stats.StaleRepeats++
		return
	}
	ep.staleClient, ep.staleFrame = e.Client, e.Frame
	x := new(staleFinding)
	f, sd := &x.f, &x.d
	initFinding(f, RuleStaleBinding, SeverityHigh, e)
	f.Iface, f.IfaceOK = r.key.iface, true
	f.Binding, f.HasBinding = r.key.b, true
	f.Source = firstSource(r.sources)
	sd.Cause, sd.LearnedFrame, sd.LearnedTimeNs, sd.LearnedSources = c, r.first, r.firstNs, r.sources
	sd.FailureFrame, sd.Status = e.Frame, status
	f.AddEvidence(r.first)
	if r.moved {
		sd.Moved, sd.MovedFrame, sd.MovedTimeNs, sd.MovedTo = true, r.movedFrame, r.movedNs, r.movedTo
		f.AddEvidence(r.movedFrame)
	}
	f.Stale = sd
	s := r.key.b.AppendTo(d.text[:0])
	s = append(s, " for "...)
	s = appendIface(s, r.key.iface)
	s = append(s, " (learned in frame "...)
	s = appendInt(s, r.first)
	if sd.Moved {
		s = append(s, ", moved to "...)
		s = sd.MovedTo.AppendTo(s)
		s = append(s, " in frame "...)
		s = appendInt(s, sd.MovedFrame)
	}
	s = append(s, ") is stale: "...)
	switch c {
	case CauseTrafficAfterMove:
		s = appendAddrPort(s, e.Client)
		s = append(s, " still sent "...)
		s = append(s, e.PType.String()...)
		s = append(s, " to it"...)
	case CauseRefused:
		s = append(s, "connection from "...)
		s = appendAddrPort(s, e.Client)
		s = append(s, " refused"...)
	case CauseUnreachable:
		s = append(s, "ICMP destination unreachable for "...)
		s = appendAddrPort(s, e.Client)
	case CauseBindRejected:
		s = append(s, "bind rejected ("...)
		s = append(s, dissect.ProviderReason(status).String()...)
		s = append(s, ')')
	case CauseBindNak:
		s = append(s, "bind_nak ("...)
		s = append(s, dissect.RejectReason(status).String()...)
		s = append(s, ')')
	case CauseNocall:
		s = append(s, "nocall (the server does not know the call)"...)
	case CauseOldBoot:
		s = append(s, "request carries the old boot time "...)
		s = appendInt(s, int64(status))
	default:
		s = append(s, e.PType.String()...)
		s = append(s, ' ')
		s = dissect.AppendStatus(s, status)
	}
	f.Detail = d.detail(s)
	d.report(f)
}

func firstSource(s SourceSet) event.Source {
	for src := event.SourceEPM; src <= event.SourceTraffic; src++ {
		if s.Has(src) {
			return src
		}
	}
	return event.SourceNone
}

// fault reports a fault, CL reject or bind_nak with its status named and
// counted per server and interface.
func (d *Detector) fault(e *event.Event) {
	k := faultKey{server: e.Server.Addr().Unmap()}
	if e.IfaceOK {
		k.iface = e.Iface
	}
	var n uint64
	if c, ok := d.faults[k]; ok || len(d.faults) < d.cfg.MaxFaultCounters {
		n = c + 1
		d.faults[k] = n
	} else {
		d.stats.FaultCountersFull++
	}
	sev := SeverityInfo
	if st, _ := staleStatus(e.Status); st && e.PType != dissect.PTypeBindNak {
		sev = SeverityLow
	}
	x := new(faultFinding)
	f, fd := &x.f, &x.d
	initFinding(f, RuleFault, sev, e)
	f.Iface, f.IfaceOK = e.Iface, e.IfaceOK
	// The finding names the endpoint that answered, as a binding.
	switch e.Transport {
	case event.TCP:
		f.Binding.Protseq = dissect.NcacnIPTCP
	case event.UDP:
		f.Binding.Protseq = dissect.NcadgIPUDP
	}
	if f.Binding.Protseq != dissect.ProtseqUnknown {
		f.Binding.SetIP(e.Server.Addr().Unmap())
		f.Binding.SetPort(e.Server.Port())
		f.HasBinding = true
	}
	fd.PType, fd.Status, fd.Count = e.PType, e.Status, n
	s := appendAddrPort(d.text[:0], e.Server)
	s = append(s, " answered "...)
	s = append(s, e.PType.String()...)
	s = append(s, ' ')
	if e.PType == dissect.PTypeBindNak {
		fd.StatusName = dissect.RejectReason(e.Status).String()
		s = append(s, fd.StatusName...)
	} else {
		fd.StatusName = dissect.StatusName(e.Status)
		s = dissect.AppendStatus(s, e.Status)
	}
	f.Fault = fd
	if e.IfaceOK {
		s = append(s, " for "...)
		s = appendIface(s, e.Iface)
		if e.OpnumOK {
			if op, ok := names.Opnum(e.Iface.UUID, e.Opnum); ok {
				s = append(s, ' ')
				s = append(s, op...)
			} else {
				s = append(s, " opnum "...)
				s = appendInt(s, int64(e.Opnum))
			}
		}
	}
	if n > 0 {
		s = append(s, " (fault "...)
		s = strconv.AppendUint(s, n, 10)
		s = append(s, " from this server and interface)"...)
	}
	f.Detail = d.detail(s)
	d.report(f)
}

func unmap(ap netip.AddrPort) netip.AddrPort {
	if ap.Addr().Is4In6() {
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	return ap
}
