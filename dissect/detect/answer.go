package detect

import (
	"net/netip"

	"github.com/rpcwatch/rpcwatch/dissect"
	"github.com/rpcwatch/rpcwatch/dissect/dcom"
	"github.com/rpcwatch/rpcwatch/dissect/event"
)

// An answer is the set of bindings one server response advertised: the
// towers of one ept_map response, the entries of one ept_lookup iteration
// on one connection, or the string bindings of one OXID or activation
// response. Rules that compare bindings (fused parts seen elsewhere,
// foreign addresses, moved endpoints) judge whole answers, when the answer
// ends: at the next event of another frame (another connection for a
// lookup), when its connection closes, after Config.AnswerIdleNs of
// capture time, or at Flush.
type answer struct {
	open   bool
	key    answerKey
	seq    uint64
	lastNs int64
	ents   []ansEnt // capacity Config.MaxAnswer, allocated once
}

type answerKey struct {
	client, server netip.AddrPort
	src            event.Source
	frame          int64 // 0 for an ept_lookup iteration
}

type ansEnt struct {
	r     *binding
	gen   uint32
	frame int64
	ns    int64
	done  bool // scratch for the moved rule
	// known: an earlier EPM answer listed the binding and it had not moved.
	known bool
}

func (d *Detector) bindingEvent(e *event.Event) {
	// learn finds or creates the responder's server, which owns its own
	// address from creation on (server), so there is nothing to add here.
	r, prior := d.learn(e)
	if r == nil {
		return
	}
	if e.Source == event.SourceTraffic {
		// The server accepted a bind (or answered a CL call) for the
		// interface here: the endpoint serves it.
		r.moved = false
		return
	}
	known := prior.Has(event.SourceEPM) && !r.moved
	if e.Source == event.SourceEPM {
		r.moved = false // listed again: current
	}
	k := answerKey{client: e.Client, server: e.Server, src: e.Source, frame: e.Frame}
	if e.Source == event.SourceEPM && d.lastLookup.frame == e.Frame && d.lastLookup.client == e.Client && d.lastLookup.server == e.Server {
		k.frame = 0
	}
	if d.ans.open && d.ans.key != k {
		d.closeAnswer()
	}
	if d.ans.open && len(d.ans.ents) == cap(d.ans.ents) {
		d.closeAnswer()
		d.stats.AnswerSplits++
	}
	if !d.ans.open {
		d.ans.open = true
		d.ans.key = k
		d.ans.seq++
		d.ans.ents = d.ans.ents[:0]
	}
	d.ans.lastNs = e.TimeNs
	if r.ansSeq == d.ans.seq {
		return // listed twice in one answer
	}
	r.ansSeq = d.ans.seq
	d.ans.ents = append(d.ans.ents, ansEnt{r: r, gen: r.gen, frame: e.Frame, ns: e.TimeNs, known: known})
}

// closeAnswer judges the open answer.
func (d *Detector) closeAnswer() {
	if !d.ans.open {
		return
	}
	d.ans.open = false
	ents := d.ans.ents
	// Drop entries whose binding was evicted meanwhile.
	n := 0
	for _, a := range ents {
		if a.r.gen == a.gen && !a.r.evicted {
			ents[n] = a
			n++
		}
	}
	ents = ents[:n]
	if n == 0 {
		return
	}
	srv := ents[0].r.srv
	d.multihoming(srv, ents)
	for i := range ents {
		d.judgeAddress(&ents[i], ents)
	}
	if d.ans.key.src == event.SourceEPM {
		d.judgeMoves(ents)
	}
	clear(d.ans.ents) // every entry written since the last close (len); the rest is already clear
	d.ans.ents = d.ans.ents[:0]
}

// multihoming: when an answer lists an address the server owns, every other
// valid address in the same answer is the server's too (a multihomed server
// lists all its interfaces).
func (d *Detector) multihoming(s *server, ents []ansEnt) {
	anchored := false
	for _, a := range ents {
		if ip := a.r.key.b.IP.Unmap(); ip.IsValid() && s.owns(ip) {
			anchored = true
			break
		}
	}
	if !anchored {
		return
	}
	for _, a := range ents {
		if ip := a.r.key.b.IP.Unmap(); ip.IsValid() {
			s.addOwn(ip)
		}
	}
}

// judgeAddress applies fused-address and foreign-address to one entry.
func (d *Detector) judgeAddress(a *ansEnt, ents []ansEnt) {
	r := a.r
	b := &r.key.b
	ip := b.IP.Unmap()
	if !ip.IsValid() {
		if r.fusedReported || b.Addr.Len() == 0 {
			return
		}
		np := r.fusedSplit()
		if np < 2 && np != dcom.FusedAmbiguous && !r.fusedTower {
			return
		}
		var parts [dcom.MaxFusedParts]netip.Addr // reported once per binding: split again for the parts
		dcom.SplitFused(b.Addr.Bytes(), &parts)
		r.fusedReported = true
		d.reportFused(a, parts[:max(np, 0)], np == dcom.FusedAmbiguous || (np < 2 && r.fusedTower), ents)
		return
	}
	if ip.IsUnspecified() || r.forReport || r.srv.owns(ip) {
		return
	}
	r.forReport = true
	r.foreign = true
	f := new(Finding)
	d.initAnswerFinding(f, RuleForeignAddress, SeverityMedium, a)
	s := append(d.text[:0], "server "...)
	s = appendAddr(s, r.srv.addr)
	s = append(s, " advertises "...)
	s = b.AppendTo(s)
	s = append(s, " for "...)
	s = appendIface(s, r.key.iface)
	s = append(s, ", an address it neither answered from nor lists alongside one of its own"...)
	f.Detail = d.detail(s)
	d.report(f)
}

// initAnswerFinding fills a finding's common fields from an answer entry.
func (d *Detector) initAnswerFinding(f *Finding, rule Rule, sev Severity, a *ansEnt) {
	r := a.r
	f.Rule, f.Severity, f.Frame, f.TimeNs, f.Server, f.Client = rule, sev, a.frame, a.ns, d.ans.key.server, d.ans.key.client
	f.Iface, f.IfaceOK, f.Binding, f.HasBinding, f.Source = r.key.iface, true, r.key.b, true, d.ans.key.src
	f.AddEvidence(a.frame)
}

func (d *Detector) reportFused(a *ansEnt, parts []netip.Addr, ambiguous bool, ents []ansEnt) {
	r := a.r
	sev := SeverityMedium
	if r.key.b.Protseq == dissect.NcadgIPUDP {
		sev = SeverityHigh
	}
	x := new(fusedFinding)
	f, fd := &x.f, &x.d
	d.initAnswerFinding(f, RuleFusedAddress, sev, a)
	fd.Ambiguous, fd.FromTower = ambiguous, r.fusedTower
	if len(parts) > 0 { // Parts stays nil without parts
		fd.Parts = x.parts[:0:min(len(parts), len(x.parts))]
	}
	for _, p := range parts {
		fp := FusedPart{Addr: p, AnsweredFrom: p == r.srv.addr}
		fp.AdvertisedElsewhere = r.srv.owns(p) && p != r.srv.addr || listedElsewhere(r, p)
		fd.Parts = append(fd.Parts, fp)
	}
	f.Fused = fd
	s := r.key.b.AppendTo(d.text[:0])
	s = append(s, " from "...)
	s = appendAddr(s, r.srv.addr)
	s = append(s, " glues "...)
	if len(parts) == 0 {
		s = append(s, "addresses together in a way that cannot be split unambiguously"...)
	} else {
		for i, p := range fd.Parts {
			if i > 0 {
				s = append(s, " and "...)
			}
			s = appendAddr(s, p.Addr)
			switch {
			case p.AnsweredFrom:
				s = append(s, " (the address it answered from)"...)
			case p.AdvertisedElsewhere:
				s = append(s, " (advertised elsewhere by the same server)"...)
			default:
				s = append(s, " (not seen elsewhere)"...)
			}
		}
	}
	s = append(s, " into one network address (multihomed-server fault, KB 224460)"...)
	f.Detail = d.detail(s)
	d.report(f)
}

// listedElsewhere reports whether another binding of r's server carries p.
func listedElsewhere(r *binding, p netip.Addr) bool {
	for _, ifc := range r.srv.ifaces {
		for _, o := range ifc.recs {
			if o != r && o.key.b.IP.Unmap() == p {
				return true
			}
		}
	}
	return false
}

// judgeMoves applies endpoint-moved: per interface and protocol sequence,
// an endpoint earlier EPM answers gave is absent from this answer, which
// lists an endpoint not known before.
func (d *Detector) judgeMoves(ents []ansEnt) {
	seq := d.ans.seq
	for i := range ents {
		a := &ents[i]
		if a.done || !a.r.key.b.HasPort {
			continue
		}
		id, ps := a.r.key.iface, a.r.key.b.Protseq
		// The group: this answer's entries for (iface, protseq).
		for j := i; j < len(ents); j++ {
			if o := ents[j].r; o.key.iface == id && o.key.b.Protseq == ps && o.key.b.HasPort {
				ents[j].done = true
			}
		}
		var newcomer *ansEnt
		for j := i; j < len(ents); j++ {
			o := ents[j].r
			if o.key.iface != id || o.key.b.Protseq != ps || !o.key.b.HasPort || ents[j].known {
				continue
			}
			if !knownPort(a.r.ifc, ps, o.key.b.Port, seq) && newcomer == nil {
				newcomer = &ents[j]
			}
		}
		if newcomer == nil {
			continue
		}
		for _, old := range a.r.ifc.recs {
			if old.ansSeq == seq || old.moved || !old.sources.Has(event.SourceEPM) || old.key.b.Protseq != ps || !old.key.b.HasPort {
				continue
			}
			if inGroup(ents, id, ps, old.key.b.Port) {
				continue
			}
			d.reportMove(old, newcomer)
		}
	}
}

// knownPort: an earlier answer (not this one) listed port for the
// interface and protocol sequence, and it has not moved.
func knownPort(ifc *iface, ps dissect.Protseq, port uint16, seq uint64) bool {
	for _, o := range ifc.recs {
		if o.ansSeq != seq && !o.moved && o.sources.Has(event.SourceEPM) && o.key.b.Protseq == ps && o.key.b.HasPort && o.key.b.Port == port {
			return true
		}
	}
	return false
}

func inGroup(ents []ansEnt, id dissect.SyntaxID, ps dissect.Protseq, port uint16) bool {
	for _, a := range ents {
		if b := &a.r.key.b; a.r.key.iface == id && b.Protseq == ps && b.HasPort && b.Port == port {
			return true
		}
	}
	return false
}

func (d *Detector) reportMove(old *binding, to *ansEnt) {
	old.moved = true
	old.movedFrame, old.movedNs = to.frame, to.ns
	old.movedTo = to.r.key.b
	if ep := old.ep; ep != nil {
		ep.staleClient = netip.AddrPort{} // a new move may be reported again
	}
	x := new(movedFinding)
	f, md := &x.f, &x.d
	d.initAnswerFinding(f, RuleEndpointMoved, SeverityLow, to)
	md.Previous = old.key.b
	md.PrevFirstFrame, md.PrevLastFrame, md.PrevFirstTimeNs, md.PrevTimeNs = old.first, old.last, old.firstNs, old.lastNs
	f.Moved = md
	f.AddEvidence(old.first)
	f.AddEvidence(old.last)
	s := append(d.text[:0], "server "...)
	s = appendAddr(s, old.srv.addr)
	s = append(s, " now maps "...)
	s = appendIface(s, old.key.iface)
	s = append(s, " to "...)
	s = to.r.key.b.AppendTo(s)
	s = append(s, "; frame "...)
	s = appendInt(s, old.last)
	s = append(s, " had it at "...)
	s = old.key.b.AppendTo(s)
	f.Detail = d.detail(s)
	d.report(f)
}
